"""Fixtures the bot tests share."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.bot.sandbox_box import Box
from tests.report_helpers import Neighbourhood, seed


@pytest.fixture
def place(database: Engine) -> Neighbourhood:
    """A committee with 3栋 (its grid worker wang), 5栋 and 小区东门."""
    return seed(database)


@pytest.fixture
def box() -> Box:
    """A fresh in-process WeChat sandbox."""
    return Box()
