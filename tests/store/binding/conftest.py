"""The small registry of 东风 (tests/resident_helpers.py), with a sub-district admin beside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import unit_of_work
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from store.staff.scope import Scope
from tests.resident_helpers import NOW, Registry, build_registry
from tests.staff_helpers import create_staff

# The resident's day (Asia/Shanghai) began at 16:00 UTC the day before NOW.
SINCE = NOW.replace(hour=16) - timedelta(days=1)


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's small registry: 张秀英, 王建国 and 张小明, its clerk, and 西湖's clerk."""
    return build_registry(database)


@pytest.fixture
def admin(registry: Registry) -> StaffUser:
    """The sub-district's admin, who sees both committees."""
    return create_staff(registry.database, "admin", role="subdistrict_admin", committee=None)


@contextmanager
def as_staff(database: Engine, who: StaffUser) -> Iterator[tuple[Session, Scope, audit.Actor]]:
    """One transaction as a member of staff: the session, their scope, and them as the actor."""
    with unit_of_work(database) as session:
        yield session, scopes.of(session, who), audit.Actor.of(who)
