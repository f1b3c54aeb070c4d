"""/docs works on an intranet: the page and everything it loads come from the app itself, under
a strict Content-Security-Policy; in production the docs and the schema are for staff only."""

from __future__ import annotations

import base64
import hashlib
import re

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from tests.chat import settings_for
from tests.production import PRODUCTION_SECRETS
from tests.staff_helpers import create_staff, token_for


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


def test_the_docs_page_runs_only_its_own_scripts(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    page = client.get("/docs")
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    # The app's own files, and the one inline start-up script by its exact hash: nothing else.
    [inline] = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert policy["script-src"].split() == ["'self'", f"'sha256-{digest}'"]
    assert "unsafe" not in policy["script-src"] and policy["connect-src"] == "'self'"
    assert page.headers["cache-control"] == "no-store"


def test_the_schema_is_public_in_dev_and_documents_only_the_staff_api(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/me", "/api/v1/staff", "/api/v1/staff/{staff_id}"} <= paths
    assert all(path.startswith("/api/v1/") for path in paths), paths  # no webhook, simulator
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"field", "reason"}


def test_in_production_the_docs_and_schema_are_for_signed_in_staff_only(database: Engine) -> None:
    settings = settings_for(database, **PRODUCTION_SECRETS)
    client = TestClient(create_app(settings, database=database), follow_redirects=False)
    page = client.get("/docs")
    assert (page.status_code, page.headers["location"]) == (303, "/console/login")
    schema = client.get("/openapi.json")
    assert schema.status_code == 401
    assert schema.json()["detail"][0]["field"] == "authorization"
    bad = {"Authorization": "Bearer lnl_not-a-real-token"}
    assert client.get("/openapi.json", headers=bad).status_code == 401
    staff = token_for(database, create_staff(database, "clerk"))
    assert client.get("/docs", headers=staff).status_code == 200
    assert "/api/v1/reports" in client.get("/openapi.json", headers=staff).json()["paths"]
