"""Sign-in tells nothing about usernames and cannot be used to lock everyone out: every attempt
verifies one password hash whatever the account's state, and an address that fails too often is
refused, with the same answer, before any account is touched."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from bot.main import create_app
from store.db import unit_of_work
from store.staff import accounts as staff
from store.staff import audit, login_throttle, passwords
from store.staff.models import LoginAttempt, StaffUser
from tests.chat import settings_for
from tests.staff_helpers import NOW, PASSWORD, create_staff

ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The password hashes verified, in order (a spy on store.passwords.verify)."""
    seen: list[str] = []
    real: Callable[[str, str], bool] = passwords.verify

    def spy(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify", spy)
    return seen


def _sign_in(
    database: Engine, username: str, password: str, address: str, *, at: datetime = NOW
) -> str | None:
    with unit_of_work(database) as session:
        found = login_throttle.sign_in(session, username, password, address=address, now=at)
        return found.username if found else None


def _account(database: Engine, username: str) -> StaffUser:
    with Session(database) as session:
        found = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
    return found


def _lock(database: Engine, username: str) -> None:
    for _ in range(staff.MAX_FAILED_LOGINS):
        _sign_in(database, username, "wrong password!", OFFICE)


@pytest.mark.parametrize("state", ["unknown", "disabled", "locked", "wrong password", "right"])
def test_every_attempt_verifies_exactly_one_hash(
    database: Engine, verifications: list[str], state: str
) -> None:
    create_staff(database, "clerk")
    if state == "disabled":
        with unit_of_work(database) as session:
            person = session.get(StaffUser, _account(database, "clerk").id)
            assert person is not None
            staff.set_disabled(session, person, disabled=True, actor=audit.CLI, now=NOW)
    if state == "locked":
        _lock(database, "clerk")
    verifications.clear()
    username = "nobody" if state == "unknown" else "clerk"
    password = "wrong password!" if state == "wrong password" else PASSWORD
    signed_in = _sign_in(database, username, password, ATTACKER)
    assert signed_in == ("clerk" if state == "right" else None)
    assert len(verifications) == 1


def test_an_address_that_fails_too_often_is_refused_without_touching_any_account(
    database: Engine, verifications: list[str]
) -> None:
    create_staff(database, "clerk")
    for n in range(login_throttle.MAX_FAILURES_PER_ADDRESS):
        assert _sign_in(database, f"guess{n}", "wrong password!", ATTACKER) is None
    verifications.clear()
    # Even the right password is refused from there, with no hash and no lock-out counted.
    for _ in range(staff.MAX_FAILED_LOGINS + 1):
        assert _sign_in(database, "clerk", "wrong password!", ATTACKER) is None
    assert _sign_in(database, "clerk", PASSWORD, ATTACKER) is None
    assert verifications == []
    clerk = _account(database, "clerk")
    assert (clerk.failed_logins, clerk.locked_until) == (0, None)
    assert _sign_in(database, "clerk", PASSWORD, OFFICE) == "clerk"  # others are not affected
    later = NOW + login_throttle.WINDOW + timedelta(seconds=1)
    assert _sign_in(database, "clerk", PASSWORD, ATTACKER, at=later) == "clerk"


def test_one_visitor_cannot_lock_every_account(database: Engine) -> None:
    names = [f"clerk{n}" for n in range(6)]
    for name in names:
        create_staff(database, name)
    for name in names:
        for _ in range(staff.MAX_FAILED_LOGINS):
            _sign_in(database, name, "wrong password!", ATTACKER)
    locked = [name for name in names if _account(database, name).locked_until is not None]
    most = login_throttle.MAX_FAILURES_PER_ADDRESS // staff.MAX_FAILED_LOGINS
    assert len(locked) <= most < len(names)
    for name in set(names) - set(locked):
        assert _sign_in(database, name, PASSWORD, OFFICE) == name


def test_old_attempts_are_pruned(database: Engine) -> None:
    _sign_in(database, "nobody", "wrong password!", ATTACKER)
    _sign_in(database, "nobody", "wrong password!", OFFICE, at=NOW + login_throttle.KEEP_FOR)
    assert _sign_in(database, "x", "y", OFFICE, at=NOW + login_throttle.KEEP_FOR * 2) is None
    with Session(database) as session:
        kept = session.exec(select(func.count()).select_from(LoginAttempt)).one()
    assert kept == 2  # the first one is gone


def test_the_console_gives_a_throttled_address_the_usual_answer(database: Engine) -> None:
    create_staff(database, "clerk")
    app = create_app(settings_for(database), database=database)
    attacker = TestClient(app, client=(ATTACKER, 40000))
    office = TestClient(app, client=(OFFICE, 40000))
    answers = {
        _post_login(attacker, f"guess{n}", "wrong password!")
        for n in range(login_throttle.MAX_FAILURES_PER_ADDRESS)
    }
    assert answers == {"/console/login?failed=1"}
    assert _post_login(attacker, "clerk", PASSWORD) == "/console/login?failed=1"
    assert _post_login(office, "clerk", PASSWORD) == "/console"
    with Session(database) as session:
        addresses = set(session.exec(select(LoginAttempt.address)))
    assert addresses == {ATTACKER, OFFICE}


def _post_login(client: TestClient, username: str, password: str) -> str:
    form = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    answer = client.post("/console/login", data={
        "username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False)  # fmt: skip
    return answer.headers.get("location", "")
