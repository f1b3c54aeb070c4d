"""Authorisation by default: every /api/v1, /console and /open311 route refuses strangers, and
every one of them, listed in a table, refuses or scopes staff of another committee and admins of
another sub-district. A route missing from either table fails the tests."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from store.binding.models import Registration, ResidentBinding, SelfReport
from store.broadcasts.models import Broadcast
from store.campaigns.models import Campaign
from store.places.models import Place
from store.registry.import_models import RegistryConflict, RegistryImport
from store.reports.models import Report
from store.reviews.models import Appointment, ReviewRecord
from store.staff.models import StaffUser
from tests.bot.web.scope_world import Committee, World, build
from tests.chat import settings_for
from tests.routes import all_routes
from tests.staff_helpers import create_staff, token_for

SCOPED = ("/api/v1", "/console", "/open311")
# The only routes under those prefixes anyone may call without signing in.
PUBLIC = {("GET", "/console/login"), ("POST", "/console/login"),
          ("GET", "/console/static/console.css"), ("GET", "/open311/v2/services.{fmt}"),
          ("GET", "/open311/v2/services/{service_code}.{fmt}")}  # fmt: skip


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route under /api/v1, /console and /open311."""
    return sorted(
        (method, route.path)
        for route in all_routes(app.routes)
        if route.path.startswith(SCOPED)
        for method in route.methods - {"HEAD", "OPTIONS"}
    )


def test_every_protected_route_refuses_anonymous_callers(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    client = TestClient(app, follow_redirects=False)
    routes = [r for r in _routes(app) if r not in PUBLIC]
    assert len(routes) >= 30  # the enumeration really found the routes
    for method, template in routes:
        path = re.sub(r"\{fmt\}", "json", template)
        path = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(method, path)
        if path.startswith("/console"):
            assert (response.status_code, response.headers.get("location")) == (
                303, "/console/login"), (method, path)  # fmt: skip
        elif path.startswith("/open311"):
            assert response.status_code == 403, (method, path, response.status_code)
            assert "api_key" in response.text
        else:
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["detail"][0]["field"] == "authorization"
    bad = {"Authorization": "Bearer lnl_not-a-real-token"}
    for method, path in routes:
        if not path.startswith("/console"):
            path = re.sub(r"\{[^}]+\}", "1", path.replace("{fmt}", "json"))
            assert client.request(method, path, headers=bad).status_code in (401, 403)


# -- another committee, another sub-district -------------------------------------------------


@dataclass
class Probe:
    """One attacker's view: their client and credentials, whose data they must never see."""

    client: TestClient
    world: World
    headers: dict[str, str]
    admin: bool
    own: Committee  # what they may see: it must show where a list is meant to show it
    victim: Committee  # whose objects they address by id
    foreign: list[str]  # markers of everything outside their scope

    def call(self, method: str, template: str, **kwargs: Any) -> httpx.Response:
        """Call a route with the victim's ids filled in, as the attacker."""
        values = {
            "reference": self.victim.reference, "service_request_id": self.victim.reference,
            "staff_id": self.victim.staff.id, "token_id": self.victim.token_id,
            "position": 1, "action": "accept", "change": "disable", "fmt": "json",
            "service_code": "shared_bike", "resident_id": self.victim.resident_id,
            "household_id": self.victim.household_id,
            "import_id": self.victim.import_id, "conflict_id": self.victim.conflict_id,
            "binding_id": self.victim.binding_id,
            "registration_id": self.victim.registration_id,
            "self_report_id": self.victim.self_report_id,
            "campaign_id": self.victim.campaign_id,
            "record_id": self.victim.review_record_id,
            "appointment_id": self.victim.appointment_id, "step": "exempt",
            "broadcast_id": self.victim.broadcast_id,
        }  # fmt: skip
        path = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)
        return self.client.request(method, path, headers=self.headers, **kwargs)

    def clean(self, response: httpx.Response) -> None:
        """Nothing outside the attacker's scope is in the answer (beyond what they asked for)."""
        text, asked = _text(response), str(response.request.url)
        leaked = [marker for marker in self.foreign if marker in text and marker not in asked]
        assert leaked == [], (response.request.url, leaked)


def _text(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(response.content))
        return " ".join(str(c) for s in book for row in s.iter_rows(values_only=True) for c in row)
    if "json" in kind:
        return json.dumps(response.json(), ensure_ascii=False)
    return response.text if kind.startswith("text/") else ""


Check = Callable[[Probe, str, str], None]


def listed(shows: Callable[[Committee], str] | None = None, query: str = "") -> Check:
    """A list or page: answered, only the caller's scope in it (and their own data shown)."""

    def check(probe: Probe, method: str, template: str) -> None:
        answer = probe.call(method, template + query)
        assert answer.status_code == 200, (template, answer.status_code, answer.text[:300])
        probe.clean(answer)
        if shows is not None:
            assert shows(probe.own) in _text(answer), template

    return check


def answers(status: int, **kwargs: Any) -> Check:
    """The route answers `status` for the victim's object (404: as if it did not exist)."""

    def check(probe: Probe, method: str, template: str) -> None:
        answer = probe.call(method, template, **kwargs)
        assert answer.status_code == status, (template, answer.status_code, answer.text[:300])
        probe.clean(answer)

    return check


def admins(then: Check) -> Check:
    """An admin-only route: 403 for staff; for an admin of another sub-district, `then`."""

    def check(probe: Probe, method: str, template: str) -> None:
        (then if probe.admin else answers(403))(probe, method, template)

    return check


def posts(status: int, form: Callable[[Probe], dict[str, Any]]) -> Check:
    """A write naming the victim's committee or object: refused with `status`."""

    def check(probe: Probe, method: str, template: str) -> None:
        answers(status, **form(probe))(probe, method, template)

    return check


def console_write(form: Callable[[Probe], dict[str, Any]]) -> Check:
    """An admin console form naming another committee: 403 for staff; for an admin of another
    sub-district the page explains the refusal (200) and nothing is written (checked after)."""

    def check(probe: Probe, method: str, template: str) -> None:
        answers(200 if probe.admin else 403, **form(probe))(probe, method, template)

    return check


def api_write(form: Callable[[Probe], dict[str, Any]]) -> Check:
    """An admin API write naming another committee: 403 for staff, 404 for another admin."""

    def check(probe: Probe, method: str, template: str) -> None:
        answers(404 if probe.admin else 403, **form(probe))(probe, method, template)

    return check


# What the caller's own data looks like in each list.
def _ref(c: Committee) -> str:
    return c.reference


def _place(c: Committee) -> str:
    return f"PLACE-{c.key}"


def _user(c: Committee) -> str:
    return c.staff.username


def _notice(c: Committee) -> str:
    return f"NOTICE-{c.key}"


def _audit(c: Committee) -> str:
    return f"AUDIT-{c.key}"


def _resident(c: Committee) -> str:
    return f"RES-{c.key}"


def _household(c: Committee) -> str:
    return f"HH-{c.key}"


INTRUDER = "INTRUDER"


# Writes that name the victim's committee or place.
def _api_place(p: Probe) -> dict[str, Any]:
    return {"json": {"committee_id": p.victim.committee_id, "kind": "building", "name": INTRUDER}}


def _staff_form(p: Probe) -> dict[str, Any]:
    fields = {"username": "intruder", "display_name": INTRUDER, "role": "committee_staff",
              "password": "a long passphrase 1"}  # fmt: skip
    return {"data": {**fields, "committee_id": str(p.victim.committee_id)}}


def _place_form(p: Probe) -> dict[str, Any]:
    fields = {"committee_id": str(p.victim.committee_id), "name": INTRUDER, "kind": "building"}
    return {"data": fields}


def _residents_sheet_form(p: Probe) -> dict[str, Any]:
    sheet = f"姓名,身份证号\n{INTRUDER},11010519491231002X\n".encode()
    return {
        "data": {"committee_id": str(p.victim.committee_id)},
        "files": {"file": ("r.csv", sheet)},
    }


def _import_form(p: Probe) -> dict[str, Any]:
    sheet = f"名称,类型\n{INTRUDER},楼栋\n".encode()
    return {
        "data": {"committee_id": str(p.victim.committee_id)},
        "files": {"file": ("p.csv", sheet)},
    }


def _campaign_form(p: Probe) -> dict[str, Any]:
    return {"preview": "1", "title": INTRUDER, "committee_id": str(p.victim.committee_id),
            "place_id": str(p.victim.place_id)}  # fmt: skip


def _broadcast_form(p: Probe) -> dict[str, Any]:
    return {"title": INTRUDER, "text": INTRUDER, "committee_id": str(p.victim.committee_id),
            "place_id": str(p.victim.place_id)}  # fmt: skip


def _bulk_form(p: Probe) -> dict[str, Any]:
    return {"data": {"programme": "family_planning_review", "change": "exempt", "note": INTRUDER,
                     "record_id": str(p.victim.review_record_id)}}  # fmt: skip


def _open311_form(p: Probe) -> dict[str, Any]:
    fields = {"service_code": "shared_bike", "description": INTRUDER,
              "address_id": str(p.victim.place_id)}  # fmt: skip
    return {"data": fields}


# (method, path template) → how the other committee's staff member and the other sub-district's
# admin are refused or scoped. Every route under /api/v1, /console and /open311 has a line.
SCOPE: dict[tuple[str, str], Check] = {
    # the JSON API
    ("GET", "/api/v1/me"): listed(),
    ("GET", "/api/v1/staff"): listed(_user),
    ("GET", "/api/v1/staff/{staff_id}"): answers(404),
    ("GET", "/api/v1/places"): listed(_place),
    ("POST", "/api/v1/places"): api_write(_api_place),
    ("GET", "/api/v1/reports"): listed(_ref),
    ("GET", "/api/v1/reports/{reference}"): answers(404),
    ("POST", "/api/v1/reports/{reference}/actions"): answers(404, json={"action": "accept"}),
    ("POST", "/api/v1/reports/{reference}/notes"): answers(404, json={"text": INTRUDER}),
    ("POST", "/api/v1/reports/{reference}/assign"): answers(404, json={"staff_id": 1}),
    ("GET", "/api/v1/reports/{reference}/photos/{position}"): answers(404),
    ("POST", "/api/v1/reports/{reference}/reveal"): answers(404),
    ("GET", "/api/v1/outbox/unreachable"): listed(_notice),
    ("GET", "/api/v1/residents"): listed(_resident),
    ("GET", "/api/v1/residents/{resident_id}"): answers(404),
    ("POST", "/api/v1/residents/{resident_id}/reveal"): answers(
        404, json={"field": "mobile", "why": INTRUDER}
    ),
    ("GET", "/api/v1/households"): listed(_household),
    ("GET", "/api/v1/households/{household_id}"): answers(404),
    ("GET", "/api/v1/applications"): listed(),
    ("GET", "/api/v1/applications/{reference}"): answers(404),
    ("POST", "/api/v1/applications/{reference}/status"): answers(404, json={"status": "accepted"}),
    ("GET", "/api/v1/reviews"): listed(
        _place, query=f"?programme=family_planning_review&cycle={datetime.now(UTC).year}"
    ),
    ("POST", "/api/v1/reviews/{record_id}/actions"): answers(
        404, json={"action": "exempt", "note": INTRUDER}
    ),
    # the console
    ("GET", "/console/login"): answers(200),
    ("POST", "/console/login"): answers(403, data={"username": "west1", "password": "x"}),
    ("GET", "/console/static/console.css"): answers(200),
    ("GET", "/console"): listed(),
    ("POST", "/console/logout"): answers(303, follow_redirects=False),
    ("GET", "/console/account"): listed(),
    ("POST", "/console/account"): answers(
        200, data={"current_password": "wrong", "new_password": "x"}
    ),
    ("POST", "/console/account/tokens"): answers(200, data={"name": INTRUDER}),
    ("POST", "/console/account/tokens/{token_id}/revoke"): answers(404),
    ("GET", "/console/staff"): admins(listed(_user)),
    ("POST", "/console/staff"): console_write(_staff_form),
    ("POST", "/console/staff/{staff_id}/{change}"): admins(answers(404)),
    ("GET", "/console/audit"): admins(listed(_audit)),
    ("GET", "/console/audit.csv"): admins(listed(_audit)),
    ("GET", "/console/places"): admins(listed(_place)),
    ("POST", "/console/places"): console_write(_place_form),
    ("POST", "/console/places/import"): console_write(_import_form),
    ("GET", "/console/reports"): listed(_ref),
    ("GET", "/console/reports/export.xlsx"): listed(_ref),
    ("GET", "/console/reports/{reference}"): answers(404),
    ("GET", "/console/reports/{reference}/photos/{position}"): answers(404),
    ("POST", "/console/reports/{reference}/{action}"): answers(404, data={"note": INTRUDER}),
    ("POST", "/console/reports/{reference}/reveal"): answers(404),
    # ---- registry console: residents pages ----
    ("PATCH", "/api/v1/residents/{resident_id}"): answers(404, json={"name": INTRUDER}),
    ("GET", "/console/residents"): listed(_resident),
    ("GET", "/console/residents/{resident_id}"): answers(404),
    ("POST", "/console/residents/{resident_id}/reveal"): answers(
        404, data={"field": "mobile", "why": INTRUDER}
    ),
    ("GET", "/console/residents/{resident_id}/edit"): answers(404),
    ("POST", "/console/residents/{resident_id}/edit"): answers(404, data={"name": INTRUDER}),
    ("GET", "/console/households/{household_id}"): answers(404),
    ("GET", "/console/registry/quality"): listed(_resident),
    ("GET", "/console/registry/quality.xlsx"): listed(_resident),
    # ---- registry console: import pages ----
    ("GET", "/console/registry/import"): listed(lambda c: f"IMPORT-{c.key}"),
    ("GET", "/console/registry/import/template.xlsx"): listed(),
    ("POST", "/console/registry/import"): posts(404, _residents_sheet_form),
    ("GET", "/console/registry/import/{import_id}"): answers(404),
    ("GET", "/console/registry/import/{import_id}/report.xlsx"): answers(404),
    ("POST", "/console/registry/import/{import_id}/plan"): answers(404, data={"accept": "3"}),
    ("POST", "/console/registry/import/{import_id}/apply"): answers(404),
    ("POST", "/console/registry/import/{import_id}/cancel"): answers(404),
    ("GET", "/console/registry/conflicts"): listed(lambda c: f"CONFLICT-{c.key}"),
    ("POST", "/console/registry/conflicts/{conflict_id}"): answers(404, data={"decision": "take"}),
    # ---- registry console: exports and census ----
    ("GET", "/console/registry/exports"): listed(),
    ("GET", "/console/registry/exports/download"): listed(_resident, query="?profile=roster"),
    ("POST", "/console/registry/exports/download"): posts(
        404,
        lambda p: {
            "data": {
                "profile": "roster",
                "committee_id": str(p.victim.committee_id),
                "why": INTRUDER,
            }
        },
    ),
    ("GET", "/console/registry/census"): listed(),
    ("POST", "/console/registry/census"): posts(
        404,
        lambda p: {
            "data": {"committee_id": str(p.victim.committee_id)},
            "files": {"file": ("s.csv", f"姓名,身份证号\n{INTRUDER},1\n".encode())},
        },
    ),
    ("GET", "/console/registry/census/download"): answers(404, params={"file": "x" * 32}),
    # ---- registry console: binding review and self-reports ----
    ("GET", "/console/registry/bindings"): listed(_resident),
    ("POST", "/console/registry/bindings/{binding_id}"): answers(404, data={"decision": "approve"}),
    ("POST", "/console/registry/registrations/{registration_id}"): answers(
        404, data={"decision": "approve"}
    ),
    ("GET", "/console/registry/self-reports"): listed(_resident),
    ("POST", "/console/registry/self-reports/{self_report_id}"): answers(
        404, data={"decision": "approve"}
    ),
    # ---- registry console: confirmation campaigns ----
    ("GET", "/console/registry/campaigns"): listed(lambda c: f"CAMPAIGN-{c.key}"),
    ("GET", "/console/registry/campaigns/new"): posts(200, lambda p: {"params": _campaign_form(p)}),
    ("POST", "/console/registry/campaigns"): posts(200, lambda p: {"data": _campaign_form(p)}),
    ("GET", "/console/registry/campaigns/{campaign_id}"): answers(404),
    ("POST", "/console/registry/campaigns/{campaign_id}/start"): answers(404),
    # ---- 发通知: staff broadcasts ----
    ("GET", "/console/broadcasts"): listed(lambda c: f"BROADCAST-{c.key}"),
    ("GET", "/console/broadcasts/new"): listed(),
    ("POST", "/console/broadcasts"): posts(200, lambda p: {"data": _broadcast_form(p)}),
    ("GET", "/console/broadcasts/{broadcast_id}"): answers(404),
    ("POST", "/console/broadcasts/{broadcast_id}/send"): answers(
        404, data={"total": "1", "reachable": "1", "opted_out": "0", "not_bound": "0"}
    ),
    # ---- 年审: the tracker, a record, the call list, the day's visits ----
    ("GET", "/console/reviews"): listed(_place),
    ("GET", "/console/reviews/export.xlsx"): listed(_place),
    ("POST", "/console/reviews/bulk"): posts(404, _bulk_form),
    ("GET", "/console/reviews/calls"): listed(),
    ("GET", "/console/reviews/records/{record_id}"): answers(404),
    ("POST", "/console/reviews/records/{record_id}/{step}"): answers(404, data={"note": INTRUDER}),
    ("GET", "/console/visits"): listed(),
    ("POST", "/console/visits/{appointment_id}"): answers(404, data={"outcome": "done"}),
    # ---- 办事申请 and 办事统计 ----
    ("GET", "/console/applications"): listed(),
    ("GET", "/console/applications/demand"): listed(),
    ("GET", "/console/applications/{reference}"): answers(404),
    ("POST", "/console/applications/{reference}/status"): answers(404, data={"to": "accepted"}),
    ("POST", "/console/applications/{reference}/reveal"): answers(404),
    # ---- 没看懂的话: the installation's log and overlay, for admins ----
    ("GET", "/console/unmatched"): admins(listed()),
    ("POST", "/console/unmatched"): admins(
        answers(200, data={"ids": "1", "wording": "屋企冇钱开饭", "label": "service:dibao"})
    ),
    # Open311
    ("GET", "/open311/v2/services.{fmt}"): answers(200),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): answers(200),
    ("GET", "/open311/v2/requests.{fmt}"): listed(_ref),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): answers(404),
    ("POST", "/open311/v2/requests.{fmt}"): posts(400, _open311_form),
}


def test_every_route_has_a_line_in_the_scope_table(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    routes = set(_routes(app))
    assert routes - set(SCOPE) == set()  # a new route needs its line in the table
    assert set(SCOPE) - routes == set()  # and a route that is gone, its line removed


ATTACKERS = ("staff of another committee", "admin of another sub-district")


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_no_route_shows_or_changes_what_is_outside_the_callers_scope(
    database: Engine, tmp_path: Path, attacker: str
) -> None:
    world = build(database, tmp_path / "media")
    app = create_app(settings_for(database, media_dir=tmp_path / "media"), database=database)
    client = TestClient(app)
    outside = world.west.markers + world.far.markers + world.home_markers
    if attacker == ATTACKERS[0]:
        probe = Probe(client, world, world.east.headers, False, world.east, world.west,
                      outside + world.nowhere_markers)  # fmt: skip
    else:
        probe = Probe(client, world, world.far_admin_headers, True, world.far, world.west,
                      world.east.markers + world.west.markers + world.home_markers
                      + world.nowhere_markers)  # fmt: skip
    for (method, template), check in sorted(SCOPE.items()):
        check(probe, method, template)
    # Nothing of the victim's changed: its report, its staff member, its token, its places.
    with Session(database) as session:
        report = session.exec(select(Report).where(Report.reference == world.west.reference)).one()
        assert (report.status, report.assignee_id) == ("submitted", None)
        victim = session.get(StaffUser, world.west.staff.id)
        assert victim is not None and not victim.disabled
        assert session.exec(select(Place).where(Place.name == INTRUDER)).all() == []
        assert session.exec(select(StaffUser).where(StaffUser.username == "intruder")).all() == []
        assert session.exec(select(Report).where(Report.description == INTRUDER)).all() == []
        # The victim's import still waits, and its conflict is still open.
        waiting = session.get(RegistryImport, world.west.import_id)
        left = session.get(RegistryConflict, world.west.conflict_id)
        assert waiting is not None and waiting.status == "planned"
        assert left is not None and left.status == "open"
        # What the victim's residents asked for in WeChat still waits for the victim's staff.
        asked = (session.get(ResidentBinding, world.west.binding_id),
                 session.get(Registration, world.west.registration_id),
                 session.get(SelfReport, world.west.self_report_id))  # fmt: skip
        assert [row.status if row else None for row in asked] == ["pending"] * 3
        # No campaign was saved for the victim's committee, and theirs did not start.
        assert session.exec(select(Campaign).where(Campaign.title == INTRUDER)).all() == []
        theirs = session.get(Campaign, world.west.campaign_id)
        assert theirs is not None and theirs.started_at is None
        # No notice was saved for the victim's committee, and theirs was not sent.
        assert session.exec(select(Broadcast).where(Broadcast.title == INTRUDER)).all() == []
        notice = session.get(Broadcast, world.west.broadcast_id)
        assert notice is not None and notice.sent_at is None
        # The victim's 年审 record and its visit are as they were.
        record = session.get(ReviewRecord, world.west.review_record_id)
        visit = session.get(Appointment, world.west.appointment_id)
        assert record is not None and record.state == "booked"
        assert visit is not None and visit.state == "booked"
    assert client.get("/api/v1/me", headers=world.west.headers).status_code == 200


def test_the_home_admin_sees_both_committees_and_the_sub_districts_own(
    database: Engine, tmp_path: Path
) -> None:
    world = build(database, tmp_path / "media")
    client = TestClient(create_app(settings_for(database), database=database))
    admin = token_for(database, world.admin)
    calls = client.get("/api/v1/outbox/unreachable", headers=admin).text
    assert all(f"NOTICE-{key}" in calls for key in ("EAST", "WEST", "HOME"))
    assert "NOTICE-FARR" not in calls and "NOTICE-NONE" not in calls
    log = client.get("/console/audit.csv", headers=admin).text
    assert all(f"AUDIT-{key}" in log for key in ("EAST", "WEST", "HOME", "HNOC"))
    assert "AUDIT-FARR" not in log and "AUDIT-NONE" not in log


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
