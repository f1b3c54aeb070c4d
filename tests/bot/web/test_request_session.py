"""One request, one database session: sign-in and the route share the request's unit of work,
and what sign-in records (a token's or session's last use) is committed with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.web.auth import require_staff
from bot.web.db import read_session
from store.staff.models import ApiToken
from store.staff.sessions import IDLE_EXPIRY
from tests.bot.console.test_console import _csrf, _sign_in
from tests.chat import settings_for
from tests.routes import all_routes
from tests.staff_helpers import PASSWORD, create_staff, token_for


@contextmanager
def checkouts(database: Engine) -> Iterator[list[object]]:
    """Every connection taken from the pool while the block runs (one per session that ran SQL,
    and one more each time a session starts a second transaction)."""
    taken: list[object] = []

    def took(_dbapi: Any, record: Any, _proxy: Any) -> None:
        taken.append(record)

    event.listen(database, "checkout", took)
    try:
        yield taken
    finally:
        event.remove(database, "checkout", took)


@pytest.fixture
def admin_client(database: Engine) -> tuple[TestClient, dict[str, str], int]:
    """A signed-in sub-district admin's browser, their API token, and a committee id."""
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    assert clerk.committee_id is not None
    client = TestClient(create_app(settings_for(database), database=database))
    assert _sign_in(client, "admin", PASSWORD) == "/console"
    return client, token_for(database, admin), clerk.committee_id


def _place(_csrf_token: str, committee_id: int) -> dict[str, Any]:
    return {"json": {"committee_id": committee_id, "kind": "building", "name": "9栋"}}


def _place_form(csrf_token: str, committee_id: int) -> dict[str, Any]:
    fields = {"committee_id": committee_id, "kind": "building", "name": "9栋"}
    return {"data": {**fields, "csrf_token": csrf_token}}


def _token_form(csrf_token: str, _committee_id: int) -> dict[str, Any]:
    return {"data": {"name": "script", "csrf_token": csrf_token}}


def _refused_password(csrf_token: str, _committee_id: int) -> dict[str, Any]:
    fields = {"current_password": "wrong", "new_password": "x"}
    return {"data": {**fields, "csrf_token": csrf_token}}


def _staff_form(csrf_token: str, committee_id: int) -> dict[str, Any]:
    fields = {"username": "grid9", "display_name": "网格员", "role": "grid_worker",
              "password": "a long passphrase 9", "committee_id": str(committee_id)}  # fmt: skip
    return {"data": {**fields, "csrf_token": csrf_token}}


def _nothing(_csrf_token: str, _committee_id: int) -> dict[str, Any]:
    return {}


# What a signed-in caller asks: method, path, and the request's arguments made from the CSRF
# token and a committee id. API calls carry a token, console calls the session cookie.
CALLS: list[tuple[str, str, Callable[[str, int], dict[str, Any]]]] = [
    ("GET", "/api/v1/me", _nothing),
    ("GET", "/api/v1/staff", _nothing),
    ("GET", "/api/v1/places", _nothing),
    ("GET", "/api/v1/outbox/unreachable", _nothing),
    ("POST", "/api/v1/places", _place),
    ("GET", "/console", _nothing),
    ("GET", "/console/account", _nothing),
    ("GET", "/console/staff", _nothing),
    ("GET", "/console/places", _nothing),
    ("GET", "/console/audit", _nothing),
    ("POST", "/console/places", _place_form),
    ("POST", "/console/account/tokens", _token_form),
    ("POST", "/console/account", _refused_password),
    ("POST", "/console/staff", _staff_form),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_a_signed_in_request_opens_one_database_session(
    database: Engine,
    admin_client: tuple[TestClient, dict[str, str], int],
    method: str,
    path: str,
    kwargs: Callable[[str, int], dict[str, Any]],
) -> None:
    client, token, committee_id = admin_client
    csrf = _csrf(client.get("/console/account").text)
    headers = token if path.startswith("/api/") else {}
    with checkouts(database) as taken:
        answer = client.request(method, path, headers=headers, follow_redirects=False,
                                **kwargs(csrf, committee_id))  # fmt: skip
    assert answer.status_code in (200, 201, 303), (path, answer.status_code, answer.text[:300])
    assert len(taken) == 1, (path, len(taken))


def test_staff_who_keep_working_stay_signed_in(
    database: Engine, admin_client: tuple[TestClient, dict[str, str], int]
) -> None:
    """Each page refreshes the session's last use in the request's own unit of work."""
    client, token, _ = admin_client
    services = client.app.state.services  # type: ignore[attr-defined]
    start, step = datetime.now(UTC), IDLE_EXPIRY * 3 / 4
    for steps in (1, 2, 3):  # each step within the idle limit, together well beyond it
        services.clock = lambda steps=steps: start + step * steps
        page = client.get("/console/places", follow_redirects=False)
        assert page.status_code == 200, steps
    assert client.get("/api/v1/places", headers=token).status_code == 200
    with Session(database) as session:
        used = session.exec(select(ApiToken.last_used_at)).one()
    assert used is not None and used.replace(tzinfo=UTC) == start + step * 3


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = set()
    for inner in dependant.dependencies:
        found |= {inner.call, *_calls(inner)}
    return found


def test_no_signed_in_route_opens_a_second_session(database: Engine) -> None:
    """Sign-in writes through the WriteSession, so a signed-in route reads through it too."""
    app = create_app(settings_for(database), database=database)
    signed_in = [r for r in all_routes(app.routes) if require_staff in _calls(r.dependant)]
    assert len(signed_in) > 20
    assert [r.path for r in signed_in if read_session in _calls(r.dependant)] == []
