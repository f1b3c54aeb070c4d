"""A store refusal a route lets through: the API's error body (409 for a conflict with the
object's state, else 422); a console page in Chinese, never JSON."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from store.errors import Refused
from store.places.models import Place
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for


def _refusing(database: Engine) -> FastAPI:
    """The app, with routes that refuse the way a store service does."""
    app = create_app(settings_for(database), database=database)

    def conflict() -> None:
        raise Refused("action", "not allowed in this status", conflict=True)

    def invalid() -> None:
        raise Refused("note", "required")

    app.add_api_route("/api/v1/conflict", conflict)
    app.add_api_route("/api/v1/invalid", invalid)
    app.add_api_route("/console/invalid", invalid)
    return app


def test_an_api_refusal_answers_409_for_a_conflict_else_422_naming_the_field(
    database: Engine,
) -> None:
    client = TestClient(_refusing(database))
    conflict = client.get("/api/v1/conflict")
    assert conflict.status_code == 409
    assert conflict.json() == {
        "detail": [{"field": "action", "reason": "not allowed in this status"}]
    }
    invalid = client.get("/api/v1/invalid")
    assert invalid.status_code == 422
    assert invalid.json() == {"detail": [{"field": "note", "reason": "required"}]}


def test_a_refusal_reaching_the_console_is_a_page_in_chinese(database: Engine) -> None:
    app = _refusing(database)
    answer = TestClient(app).get("/console/invalid")
    wording = app.state.services.content.console
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert wording.invalid_title in answer.text and wording.invalid in answer.text


def test_the_places_api_refuses_half_a_position_and_stores_nothing(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    body = {"committee_id": clerk.committee_id, "kind": "building", "name": "3栋", "lat": 23.1}
    answer = client.post("/api/v1/places", json=body, headers=token_for(database, admin))
    assert answer.status_code == 422
    assert [problem["field"] for problem in answer.json()["detail"]] == ["lat"]
    with Session(database) as session:
        assert session.exec(select(Place)).all() == []
