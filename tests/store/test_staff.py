"""Staff accounts, sign-in with lock-out, sessions, API tokens and the append-only audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from bot.demo import data as demo_data
from store.db import unit_of_work
from store.errors import Refused
from store.staff import accounts as staff
from store.staff import audit, passwords
from store.staff import sessions as staff_sessions
from store.staff.models import AuditEntry, StaffSession, StaffUser

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _admin(session: Session) -> StaffUser:
    district = staff.sub_district(session, "示例街道")
    return staff.create(
        session, actor=audit.CLI, username="admin", display_name="管理员", password=PASSWORD,
        role="subdistrict_admin", district=district, committee_of=None, now=NOW,
    )  # fmt: skip


def _worker(session: Session, username: str = "grid1") -> StaffUser:
    district = staff.sub_district(session, "示例街道")
    home = staff.committee(session, district, "示例社区居委会")
    return staff.create(
        session, actor=audit.CLI, username=username, display_name="网格员", password=PASSWORD,
        role="grid_worker", district=district, committee_of=home, now=NOW,
    )  # fmt: skip


def test_a_new_account_is_audited_without_its_password(database: Engine) -> None:
    with unit_of_work(database) as session:
        admin = _admin(session)
    with Session(database) as session:
        [entry] = session.exec(select(AuditEntry)).all()
    assert (entry.action, entry.actor, entry.object_id) == ("staff.create", "cli", str(admin.id))
    assert entry.after is not None and entry.after["username"] == "admin"
    assert "password_hash" not in entry.after
    assert PASSWORD not in str(entry.after)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "admin"}, "username"),
        ({"username": "has space"}, "username"),
        ({"role": "mayor"}, "role"),
        ({"password": "short"}, "password"),
        ({"password": "zhang-wei-2026", "username": "zhang-wei"}, "password"),
        ({"committee_of": None}, "committee"),
        ({"password": "zzzzzzzzzzzz"}, "password"),  # one character repeated
        ({"password": "abcabcabcabc"}, "password"),  # a short pattern repeated
        ({"password": "woaini1314"}, "password"),  # common
        ({"password": "123456789a"}, "password"),
        ({"password": "1qaz2wsx3edc"}, "password"),
        ({"password": "QWERTYUIOP"}, "password"),
        ({"password": "0987654321"}, "password"),  # a run of digits
        ({"password": "hijklmnopqrs"}, "password"),  # a run of letters
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    database: Engine, changes: dict[str, object], field: str
) -> None:
    with unit_of_work(database) as session:
        _admin(session)
        district = staff.sub_district(session, "示例街道")
        values = {"actor": audit.CLI, "username": "clerk", "display_name": "工作人员",
                  "password": PASSWORD, "role": "committee_staff", "district": district,
                  "committee_of": staff.committee(session, district, "示例社区居委会"),
                  "now": NOW, **changes}  # fmt: skip
        with pytest.raises(Refused) as refused:
            staff.create(session, **values)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_five_wrong_passwords_lock_the_account_for_a_while(database: Engine) -> None:
    with unit_of_work(database) as session:
        _worker(session)
    for _ in range(staff.MAX_FAILED_LOGINS):
        with unit_of_work(database) as session:
            assert staff.authenticate(session, "grid1", "wrong password!", NOW) is None
    with unit_of_work(database) as session:
        assert staff.authenticate(session, "grid1", PASSWORD, NOW) is None  # locked
    later = NOW + staff.LOCK_OUT_FOR + timedelta(seconds=1)
    with unit_of_work(database) as session:
        assert staff.authenticate(session, "grid1", PASSWORD, later) is not None
    with unit_of_work(database) as session:
        assert staff.authenticate(session, "nobody", PASSWORD, later) is None


def test_the_demo_password_is_still_accepted() -> None:
    assert passwords.weakness(demo_data.ACCOUNTS[0][3], "demo-grid") is None


def test_a_password_change_ends_every_other_session_and_every_token(database: Engine) -> None:
    with unit_of_work(database) as session:
        worker = _worker(session)
        here = staff_sessions.open_session(session, worker, NOW)
        elsewhere = staff_sessions.open_session(session, worker, NOW)
        token = staff_sessions.issue_token(session, worker, "导出脚本", NOW)
    with unit_of_work(database) as session:
        me = session.get(StaffUser, worker.id)
        assert me is not None
        ended = staff.change_password(session, me, current=PASSWORD, new="a new passphrase 2",
                                      now=NOW, keep_session=here)  # fmt: skip
    assert ended == (1, 1)
    with unit_of_work(database) as session:
        assert staff_sessions.staff_for_session(session, here, NOW) is not None
        assert staff_sessions.staff_for_session(session, elsewhere, NOW) is None
        assert staff_sessions.staff_for_token(session, token, NOW) is None
        [entry] = audit.search(session, action="staff.change_password")
    assert entry.after == {"sessions_ended": 1, "tokens_revoked": 1}


def test_re_enabling_an_account_revives_none_of_its_sessions_or_tokens(database: Engine) -> None:
    with unit_of_work(database) as session:
        admin, worker = _admin(session), _worker(session)
        raw_session = staff_sessions.open_session(session, worker, NOW)
        raw_token = staff_sessions.issue_token(session, worker, "导出脚本", NOW)
    actor = audit.Actor.of(admin)
    for disabled in (True, False):
        with unit_of_work(database) as session:
            person = session.get(StaffUser, worker.id)
            assert person is not None
            staff.set_disabled(session, person, disabled=disabled, actor=actor, now=NOW)
    with unit_of_work(database) as session:
        assert staff_sessions.staff_for_session(session, raw_session, NOW) is None
        assert staff_sessions.staff_for_token(session, raw_token, NOW) is None
        assert staff.authenticate(session, "grid1", PASSWORD, NOW) is not None  # may sign in anew
        [disable] = audit.search(session, action="staff.disable")
        revoked = session.exec(select(StaffSession.revoked_at)).all()
    assert (disable.after or {})["sessions_ended"] == 1
    assert (disable.after or {})["tokens_revoked"] == 1
    assert revoked == [NOW]


def test_a_session_expires_when_idle_and_on_sign_out(database: Engine) -> None:
    with unit_of_work(database) as session:
        worker = _worker(session)
        raw = staff_sessions.open_session(session, worker, NOW)
    with unit_of_work(database) as session:
        assert staff_sessions.staff_for_session(session, raw, NOW + timedelta(hours=1)) is not None
        idle = NOW + timedelta(hours=1) + staff_sessions.IDLE_EXPIRY + timedelta(seconds=1)
        assert staff_sessions.staff_for_session(session, raw, idle) is None
    with unit_of_work(database) as session:
        raw = staff_sessions.open_session(session, worker, NOW)
        staff_sessions.close_session(session, raw, NOW)
        assert staff_sessions.staff_for_session(session, raw, NOW) is None


def test_a_disabled_account_loses_its_sessions_and_tokens(database: Engine) -> None:
    with unit_of_work(database) as session:
        admin, worker = _admin(session), _worker(session)
        raw_session = staff_sessions.open_session(session, worker, NOW)
        raw_token = staff_sessions.issue_token(session, worker, "导出脚本", NOW)
        staff.set_disabled(session, worker, disabled=True, actor=audit.Actor.of(admin), now=NOW)
    with unit_of_work(database) as session:
        assert staff_sessions.staff_for_session(session, raw_session, NOW) is None
        assert staff_sessions.staff_for_token(session, raw_token, NOW) is None
        actions = [e.action for e in audit.search(session)]
    assert actions[:2] == ["staff.disable", "api_token.issue"]


def test_secrets_are_stored_only_as_hashes(database: Engine) -> None:
    with unit_of_work(database) as session:
        worker = _worker(session)
        raw_session = staff_sessions.open_session(session, worker, NOW)
        raw_token = staff_sessions.issue_token(session, worker, "脚本", NOW)
    with database.connect() as connection:
        dump = " ".join(
            str(row)
            for table in ("staff_user", "staff_session", "api_token", "audit_entry")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for secret in (PASSWORD, raw_session, raw_token):
        assert secret not in dump


def test_the_audit_log_cannot_be_changed_or_deleted(database: Engine) -> None:
    with unit_of_work(database) as session:
        _admin(session)
    for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), database.begin() as connection:
            connection.execute(text(statement))
    with Session(database) as session:
        assert [e.actor for e in session.exec(select(AuditEntry))] == ["cli"]
