"""Authorisation by default: every /api/v1 and /console route refuses strangers, and staff of
one committee cannot see another committee's objects."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for

# The only routes under /api/v1 or /console anyone may call.
PUBLIC = {("GET", "/console/login"), ("POST", "/console/login"),
          ("GET", "/console/static/console.css")}  # fmt: skip


def _all_routes(routes: list[object]) -> list[APIRoute]:
    """Every APIRoute, including those of included routers (FastAPI keeps those nested)."""
    flat: list[APIRoute] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            flat.extend(_all_routes(nested.routes))
        elif isinstance(route, APIRoute):
            flat.append(route)
    return flat


def _protected_routes(app: object) -> list[tuple[str, str]]:
    found = []
    for route in _all_routes(app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        if not route.path.startswith(("/api/v1", "/console")):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, route.path) not in PUBLIC:
                found.append((method, re.sub(r"\{[^}]+\}", "1", route.path)))
    return found


def test_every_protected_route_refuses_anonymous_callers(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    client = TestClient(app, follow_redirects=False)
    routes = _protected_routes(app)
    assert len(routes) >= 10  # the enumeration really found the routes
    for method, path in routes:
        response = client.request(method, path)
        if path.startswith("/console"):
            assert (response.status_code, response.headers.get("location")) == (
                303, "/console/login"), (method, path)  # fmt: skip
        else:
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["detail"][0]["field"] == "authorization"
    bad = {"Authorization": "Bearer lnl_not-a-real-token"}
    for method, path in routes:
        if path.startswith("/api/v1"):
            assert client.request(method, path, headers=bad).status_code == 401


def test_staff_of_one_committee_get_404_for_another_committees_staff(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    client = TestClient(app)
    east = create_staff(database, "east1", committee="东风社区居委会")
    west = create_staff(database, "west1", committee="西湖社区居委会")
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    as_east = token_for(database, east)
    assert client.get(f"/api/v1/staff/{east.id}", headers=as_east).status_code == 200
    missing = client.get(f"/api/v1/staff/{west.id}", headers=as_east)
    assert missing.status_code == 404
    assert missing.json()["detail"] == [{"field": "staff_id", "reason": "not found"}]
    listed = client.get("/api/v1/staff", headers=as_east).json()
    assert [p["username"] for p in listed["items"]] == ["east1"]
    as_admin = token_for(database, admin)
    everyone = client.get("/api/v1/staff?sort=username", headers=as_admin).json()
    assert [p["username"] for p in everyone["items"]] == ["admin", "east1", "west1"]
    other = create_staff(database, "far", committee="远方居委会", district="另一个街道")
    assert client.get(f"/api/v1/staff/{other.id}", headers=as_admin).status_code == 404


def test_list_conventions_page_and_sort_and_name_bad_fields(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    for n in range(5):
        create_staff(database, f"clerk{n}")
    headers = token_for(database, admin)
    page = client.get("/api/v1/staff?per_page=2&page=2&sort=-username", headers=headers).json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 6)
    assert [p["username"] for p in page["items"]] == ["clerk2", "clerk1"]
    wrong = client.get("/api/v1/staff?sort=password_hash", headers=headers)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "sort"
    too_many = client.get("/api/v1/staff?per_page=1000", headers=headers)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["field"] == "per_page"
