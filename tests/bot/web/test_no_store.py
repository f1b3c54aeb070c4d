"""Answers that may carry personal data are never kept by a browser or a proxy."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for


def test_json_open311_and_exports_are_no_store_and_style_sheets_may_be_cached(
    database: Engine,
) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    clerk = token_for(database, create_staff(database, "clerk"))
    answers = {
        "api": client.get("/api/v1/reports", headers=clerk),
        "api refusal": client.get("/api/v1/reports"),
        "call list": client.get("/api/v1/outbox/unreachable", headers=clerk),
        "open311": client.get("/open311/v2/services.json"),
        "open311 xml": client.get("/open311/v2/requests.xml", headers=clerk),
        "xlsx": client.get("/console/reports/export.xlsx", headers=clerk),
        "console page": client.get("/console/reports", headers=clerk),
    }
    for name, answer in answers.items():
        assert answer.headers.get("cache-control") == "no-store", (name, answer.status_code)
    assert answers["xlsx"].headers["content-type"].startswith("application/vnd.openxml")
    css = client.get("/console/static/console.css")
    assert css.status_code == 200 and "cache-control" not in css.headers
    assert "cache-control" not in client.get("/healthz").headers
