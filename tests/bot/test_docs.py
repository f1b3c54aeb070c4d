"""/docs works on an intranet: the page and everything it loads come from the app itself."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from tests.chat import settings_for


def test_the_api_docs_load_nothing_from_outside_the_app(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert re.findall(r"https?://", page.text) == []  # no CDN, no validator, no fonts
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(referenced) == 3  # script, style sheet, icon
    for url in referenced:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 500, url
    assert "'/openapi.json'" in page.text
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/static/redoc.standalone.js").status_code == 404  # only the list


def test_the_schema_is_public_and_documents_only_the_staff_api(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/me", "/api/v1/staff", "/api/v1/staff/{staff_id}"} <= paths
    assert all(path.startswith("/api/v1/") for path in paths), paths  # no webhook, simulator
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"field", "reason"}
