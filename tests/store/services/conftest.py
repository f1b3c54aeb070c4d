"""东风's small registry (tests/resident_helpers.py) with a sub-district admin, and
applications made in chat to work on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import unit_of_work
from store.services import applications
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from store.staff.scope import Scope
from tests.chat import SEALER, WORDS
from tests.resident_helpers import NOW, Registry, build_registry
from tests.staff_helpers import create_staff

MOBILE = "13822223333"
RESIDENT = audit.Actor(None, WORDS.reports.staff.resident)
FIELDS = (("name", "李桂芳"), ("address", "3栋2单元301"), ("purpose", "孩子上学"),
          ("mobile", MOBILE))  # fmt: skip


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's small registry: its clerk, grid worker, and 西湖's clerk."""
    return build_registry(database)


@pytest.fixture
def admin(registry: Registry) -> StaffUser:
    """The sub-district's admin, who sees both committees and what belongs to neither."""
    return create_staff(registry.database, "admin", role="subdistrict_admin", committee=None)


@contextmanager
def as_staff(database: Engine, who: StaffUser) -> Iterator[tuple[Session, Scope, audit.Actor]]:
    """One transaction as a member of staff: the session, their scope, and them as the actor."""
    with unit_of_work(database) as session:
        yield session, scopes.of(session, who), audit.Actor.of(who)


def submit(database: Engine, committee_id: int | None, openid: str = "o_li_guifang_01") -> str:
    """A 开具居住证明 application made in chat; its number."""
    new = applications.NewApplication(
        openid=openid, service="residence_certificate", version="2026-11-29.1", fields=FIELDS,
        committee_id=committee_id,
    )  # fmt: skip
    with unit_of_work(database) as session:
        return applications.submit(session, SEALER, new, now=NOW, resident=RESIDENT).reference
