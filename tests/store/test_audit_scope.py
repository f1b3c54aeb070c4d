"""Every audit entry belongs to a sub-district and is shown only within it; snapshots never
hold a whole openid, an unmasked personal number or a sealed value."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import unit_of_work
from store.reports.models import Report
from store.staff import accounts as staff
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry, StaffUser
from tests.staff_helpers import create_staff

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _entry(database: Engine, actor: audit.Actor, marker: str, **scope: int | None) -> AuditEntry:
    with unit_of_work(database) as session:
        return audit.record(session, actor=actor, action="test.marker", object_type="marker",
                            object_id=marker, now=NOW, **scope)  # fmt: skip


def _seen_by(database: Engine, person: StaffUser) -> set[str]:
    with Session(database) as session:
        scope = scopes.of(session, person)
        found = audit.search(session, scope=scope, action="test.marker")
    return {entry.object_id or "" for entry in found}


def test_an_entry_takes_its_sub_district_from_the_committee_the_argument_or_the_actor(
    database: Engine,
) -> None:
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    far = create_staff(database, "far", committee="远方居委会", district="另一个街道")
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    home = clerk.sub_district_id
    # The committee wins over whatever else is said.
    of_committee = _entry(database, audit.Actor.of(far), "c", committee_id=clerk.committee_id,
                          sub_district_id=far.sub_district_id)  # fmt: skip
    given = _entry(database, audit.CLI, "g", sub_district_id=home)
    of_actor = _entry(database, audit.Actor.of(admin), "a")
    nowhere = _entry(database, audit.CLI, "n")
    assert [e.sub_district_id for e in (of_committee, given, of_actor, nowhere)] == [
        home, home, home, None]  # fmt: skip


def test_admins_see_only_their_sub_districts_entries_and_staff_only_their_committees(
    database: Engine,
) -> None:
    east = create_staff(database, "east", committee="东风社区居委会")
    west = create_staff(database, "west", committee="西湖社区居委会")
    far = create_staff(database, "far", committee="远方居委会", district="另一个街道")
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    far_admin = create_staff(database, "far_admin", role="subdistrict_admin", committee=None,
                             district="另一个街道")  # fmt: skip
    _entry(database, audit.Actor.of(east), "east", committee_id=east.committee_id)
    _entry(database, audit.Actor.of(west), "west", committee_id=west.committee_id)
    _entry(database, audit.Actor.of(far), "far", committee_id=far.committee_id)
    _entry(database, audit.Actor.of(admin), "admin's own")  # e.g. a token revoked
    _entry(database, audit.Actor.of(far_admin), "far admin's own")
    # A report nobody could place in a committee, filed through Open311 by a district system.
    _entry(database, audit.Actor.of(far), "unplaced report", sub_district_id=east.sub_district_id)
    _entry(database, audit.CLI, "bare cli")
    assert _seen_by(database, admin) == {"east", "west", "admin's own", "unplaced report"}
    assert _seen_by(database, far_admin) == {"far", "far admin's own"}
    assert _seen_by(database, east) == {"east"}
    with Session(database) as session:  # the server's command line sees everything
        assert len(audit.search(session, action="test.marker")) == 7


def test_a_cli_created_admin_is_in_its_sub_districts_log(database: Engine) -> None:
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    with Session(database) as session:
        scope = scopes.of(session, admin)
        [entry] = audit.search(session, scope=scope, action="staff.create")
    assert entry.object_id == str(admin.id)


def test_snapshots_mask_openids_and_numbers_and_leave_out_sealed_values(database: Engine) -> None:
    report = Report(
        reference="BS-20261128-0001", category="other", source="wechat", status="submitted",
        description="我的电话 13812345678，身份证 110101199003074512",
        description_sealed="ciphertext-of-the-description", reporter_openid="o_resident_abcd1234",
        answers=[{"key": "k", "question": "怎么联系？", "answer": "020-87654321"}],
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    shot = audit.snapshot(report)
    text = str(shot)
    for clear in ("13812345678", "110101199003074512", "87654321", "o_resident_abcd1234",
                  "ciphertext"):  # fmt: skip
        assert clear not in text, clear
    assert "description_sealed" not in shot
    assert shot["reporter_openid"] == "…1234"
    assert shot["description"] == "我的电话 138****5678，身份证 110101********4512"
    assert shot["created_at"] == NOW.isoformat()


def test_a_staff_snapshot_still_names_the_account_but_never_the_password(
    database: Engine,
) -> None:
    with unit_of_work(database) as session:
        where = staff.sub_district(session, "示例街道")
        person = staff.create(
            session, actor=audit.CLI, username="clerk", display_name="王 020-83001234",
            password="correct horse battery", role="subdistrict_admin", district=where,
            committee_of=None, now=NOW,
        )  # fmt: skip
        shot = audit.snapshot(person)
    assert shot["username"] == "clerk" and "password_hash" not in shot
    assert shot["display_name"] == "王 020-****1234"
