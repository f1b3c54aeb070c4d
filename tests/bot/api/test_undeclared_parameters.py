"""A query parameter no route reads is refused, never silently ignored: a mistyped filter
(`comittee_id=3`) would otherwise list every place, report or resident the caller may see."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for

LISTS = (
    "/api/v1/places", "/api/v1/reports", "/api/v1/outbox/unreachable", "/api/v1/households",
    "/api/v1/residents", "/api/v1/staff",
)  # fmt: skip


@pytest.mark.parametrize("path", LISTS)
def test_a_list_refuses_a_parameter_it_does_not_read(database: Engine, path: str) -> None:
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    client = TestClient(create_app(settings_for(database), database=database))
    headers = token_for(database, admin)
    assert client.get(path, headers=headers).status_code == 200
    for query, field in (({"comittee_id": "1"}, "comittee_id"), ({"": "null"}, "query")):
        answer = client.get(path, params={"page": "1", **query}, headers=headers)
        assert answer.status_code == 422, (path, query)
        assert answer.json()["detail"][0]["field"] == field
