"""Fixtures the bot tests share."""

from __future__ import annotations

import pytest

from tests.bot.sandbox.sandbox_box import Box


@pytest.fixture
def box() -> Box:
    """A fresh in-process WeChat sandbox."""
    return Box()
