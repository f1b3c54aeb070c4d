"""Plain builders for staff in tests: a sub-district, committees, accounts and their tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from store.db import unit_of_work
from store.staff import accounts as staff
from store.staff import audit
from store.staff import sessions as staff_sessions
from store.staff.models import StaffUser

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def create_staff(
    database: Engine,
    username: str,
    *,
    role: str = "committee_staff",
    committee: str | None = "东风社区居委会",
    district: str = "示例街道",
) -> StaffUser:
    """An account in a committee (created if new); sub-district admins get committee=None."""
    with unit_of_work(database) as session:
        where = staff.sub_district(session, district)
        home = staff.committee(session, where, committee) if committee else None
        return staff.create(
            session, actor=audit.CLI, username=username, display_name=username,
            password=PASSWORD, role=role, district=where, committee_of=home, now=NOW,
        )  # fmt: skip


def token_for(database: Engine, person: StaffUser) -> dict[str, str]:
    """Authorization headers with a fresh personal API token."""
    with unit_of_work(database) as session:
        raw = staff_sessions.issue_token(session, person, "tests", NOW)
    return {"Authorization": f"Bearer {raw}"}
