"""Every console form and filter, fed hostile values one field at a time: ids past 64 bits,
negative and non-numeric numbers, NUL and other control characters, overlong text. None may
answer 5xx; an id that names nothing reads as the page for an unknown id, in Chinese.
A console route without an entry in ROUTES fails the test."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.reports import service as reporting
from store.db import unit_of_work
from store.places.models import Place
from store.reports import service as reports
from store.staff import sessions as staff_sessions
from store.staff.models import ApiToken, StaffUser
from tests.chat import settings_for
from tests.routes import all_routes
from tests.staff_helpers import PASSWORD, create_staff

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
HOSTILE = (
    "99999999999999999999",  # past 64 bits: OverflowError in the drivers
    "9223372036854775808",  # 2**63
    "2147483648",  # 2**31, past the INTEGER columns
    "-1",
    "0",
    "abc",
    "1.5",
    "NaN",
    "１２",  # full-width digits
    "a\x00b",  # PostgreSQL text cannot hold NUL
    "a\x01b\x1bc\x7f",
    "长" * 5000,
    "x" * 300,  # past every VARCHAR column, in ASCII
    "",
)


@dataclass(frozen=True)
class Case:
    """A console route called the way its own page calls it, with valid values to vary."""

    method: str
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    file: bool = False


@dataclass(frozen=True)
class Scene:
    """The ids and reference the valid calls use."""

    committee_id: int
    clerk_id: int
    token_id: int
    reference: str


def routes(scene: Scene) -> dict[tuple[str, str], Case]:
    """One entry per console route."""
    committee, clerk = str(scene.committee_id), str(scene.clerk_id)
    ref = {"reference": scene.reference}
    campaign = {"committee_id": committee, "title": "冬季核对", "place_id": "1",
                "tag": "party_member", "unconfirmed_since": "2026-01-01",
                "reminder_after_days": "3"}  # fmt: skip
    notice = {"committee_id": committee, "place_id": "1", "tag": "party_member", "title": "停水",
              "text": "明天停水"}  # fmt: skip
    counts = {"total": "0", "reachable": "0", "opted_out": "0", "not_bound": "0"}
    review = {"programme": "family_planning_review", "cycle": "2026"}
    listing = {"state": "reminded", "place_id": "1"}
    # The valid current password is wrong on purpose: the account keeps its password.
    return {
        ("GET", "/console/static/console.css"): Case("GET", query={"v": "1"}),
        ("GET", "/console/login"): Case("GET", query={"failed": "1"}),
        ("POST", "/console/login"): Case(
            "POST", form={"username": "nobody", "password": "wrong password 1"}
        ),
        ("GET", "/console"): Case("GET", query={"x": "1"}),
        ("POST", "/console/logout"): Case("POST"),
        ("POST", "/console/account"): Case(
            "POST",
            form={"current_password": "not the password", "new_password": "a new passphrase 77"},
        ),
        ("GET", "/console/account"): Case("GET", query={"x": "1"}),
        ("POST", "/console/account/tokens"): Case("POST", form={"name": "报表脚本"}),
        ("POST", "/console/account/tokens/{token_id}/revoke"): Case(
            "POST", path={"token_id": str(scene.token_id)}
        ),
        ("GET", "/console/staff"): Case("GET", query={"added": "1"}),
        ("POST", "/console/staff"): Case(
            "POST",
            form={
                "username": "grid8",
                "display_name": "李网格",
                "role": "grid_worker",
                "password": "colleague passphrase 8",
                "committee_id": committee,
            },
        ),
        ("POST", "/console/staff/{staff_id}/{change}"): Case(
            "POST", path={"staff_id": clerk, "change": "enable"}
        ),
        ("GET", "/console/audit"): Case("GET", query={"actor": "admin", "action": "staff.create"}),
        ("GET", "/console/audit.csv"): Case("GET", query={"actor": "admin", "action": "x"}),
        ("GET", "/console/places"): Case("GET", query={"committee_id": committee}),
        ("POST", "/console/places"): Case(
            "POST",
            form={
                "committee_id": committee,
                "name": "停车场",
                "kind": "public",
                "grid_area": "第一网格",
                "lat": "23.1",
                "lng": "113.2",
            },
        ),
        ("POST", "/console/places/import"): Case(
            "POST", form={"committee_id": committee}, file=True
        ),
        ("GET", "/console/reports"): Case(
            "GET",
            query={
                "status": "all",
                "category": "shared_bike",
                "place": "1",
                "handler": clerk,
                "waiting": "2",
                "mine": "0",
                "page": "1",
                "older_than": "3",
                "assignee": clerk,
            },
        ),
        ("GET", "/console/reports/export.xlsx"): Case(
            "GET", query={"layout": "linli", "status": "all", "waiting": "1", "handler": "none"}
        ),
        ("GET", "/console/reports/{reference}"): Case("GET", path=ref, query={"done": "note"}),
        ("GET", "/console/reports/{reference}/photos/{position}"): Case(
            "GET", path={**ref, "position": "1"}
        ),
        ("POST", "/console/reports/{reference}/{action}"): Case(
            "POST",
            path={**ref, "action": "assign"},
            form={"note": "已派人", "public": "1", "referred_to": "城管", "assignee_id": clerk},
        ),
        ("POST", "/console/reports/{reference}/reveal"): Case("POST", path=ref),
        # ---- registry console: residents pages ----
        ("GET", "/console/residents"): Case(
            "GET",
            query={
                "committee_id": committee,
                "name": "张",
                "place_id": "1",
                "unit": "1",
                "room": "101",
                "tag": "party_member",
                "min_age": "60",
                "max_age": "90",
                "id_card": "110105195511080040",
                "mobile": "13812345678",
                "page": "1",
            },
        ),
        ("GET", "/console/residents/{resident_id}"): Case(
            "GET", path={"resident_id": "1"}, query={"saved": "1"}
        ),
        ("POST", "/console/residents/{resident_id}/reveal"): Case(
            "POST", path={"resident_id": "1"}, form={"field": "mobile", "why": "上门核实"}
        ),
        ("GET", "/console/residents/{resident_id}/edit"): Case("GET", path={"resident_id": "1"}),
        ("POST", "/console/residents/{resident_id}/edit"): Case(
            "POST",
            path={"resident_id": "1"},
            form={
                "name": "张秀英",
                "gender": "female",
                "birth_date": "1955-11-08",
                "id_card": "110105195511080040",
                "mobile": "13812345678",
                "landline": "020-83456789",
                "relation_to_head": "head",
                "hukou_status": "consistent",
                "residence_status": "resident",
                "notes": "独居",
                "tags": "party_member",
                "clear": "landline",
            },
        ),
        ("GET", "/console/households/{household_id}"): Case("GET", path={"household_id": "1"}),
        ("GET", "/console/registry/quality"): Case("GET", query={"committee_id": committee}),
        ("GET", "/console/registry/quality.xlsx"): Case("GET", query={"committee_id": committee}),
        # ---- registry console: import pages ----
        ("GET", "/console/registry/import"): Case("GET", query={"committee_id": committee}),
        ("GET", "/console/registry/import/template.xlsx"): Case(
            "GET", query={"committee_id": committee}
        ),
        ("POST", "/console/registry/import"): Case(
            "POST", form={"committee_id": committee}, file=True
        ),
        ("GET", "/console/registry/import/{import_id}"): Case(
            "GET", path={"import_id": "1"}, query={"page": "1"}
        ),
        ("GET", "/console/registry/import/{import_id}/report.xlsx"): Case(
            "GET", path={"import_id": "1"}
        ),
        ("POST", "/console/registry/import/{import_id}/plan"): Case(
            "POST",
            path={"import_id": "1"},
            form={"heading": "联系方式", "field": "mobile", "accept": "3", "building": "9栋"},
        ),
        ("POST", "/console/registry/import/{import_id}/apply"): Case(
            "POST", path={"import_id": "1"}
        ),
        ("POST", "/console/registry/import/{import_id}/cancel"): Case(
            "POST", path={"import_id": "1"}
        ),
        ("GET", "/console/registry/conflicts"): Case(
            "GET", query={"committee_id": committee, "page": "1", "done": "kept"}
        ),
        ("POST", "/console/registry/conflicts/{conflict_id}"): Case(
            "POST", path={"conflict_id": "1"}, form={"decision": "keep"}
        ),
        # ---- registry console: exports and census ----
        ("GET", "/console/registry/exports"): Case("GET", query={"x": "1"}),
        ("GET", "/console/registry/exports/download"): Case(
            "GET", query={"profile": "roster", "committee_id": committee, "format": "csv"}
        ),
        ("POST", "/console/registry/exports/download"): Case(
            "POST",
            form={
                "profile": "elderly",
                "committee_id": committee,
                "format": "xlsx",
                "why": "独生子女年审",
            },
        ),
        ("GET", "/console/registry/census"): Case("GET", query={"x": "1"}),
        ("POST", "/console/registry/census"): Case(
            "POST", form={"committee_id": committee}, file=True
        ),
        ("GET", "/console/registry/census/download"): Case("GET", query={"file": "a" * 32}),
        # ---- registry console: binding review and self-reports ----
        ("GET", "/console/registry/bindings"): Case("GET", query={"done": "approved"}),
        ("POST", "/console/registry/bindings/{binding_id}"): Case(
            "POST", path={"binding_id": "1"}, form={"decision": "reject", "reason": "查无此人"}
        ),
        ("POST", "/console/registry/registrations/{registration_id}"): Case(
            "POST", path={"registration_id": "1"}, form={"decision": "reject", "reason": "请来登记"}
        ),
        ("GET", "/console/registry/self-reports"): Case("GET", query={"done": "approved"}),
        ("POST", "/console/registry/self-reports/{self_report_id}"): Case(
            "POST", path={"self_report_id": "1"}, form={"decision": "reject", "reason": "请核实"}
        ),
        # ---- registry console: confirmation campaigns ----
        ("GET", "/console/registry/campaigns"): Case("GET", query={"x": "1"}),
        ("GET", "/console/registry/campaigns/new"): Case("GET", query={"preview": "1", **campaign}),
        ("POST", "/console/registry/campaigns"): Case("POST", form=campaign),
        ("GET", "/console/registry/campaigns/{campaign_id}"): Case(
            "GET", path={"campaign_id": "1"}, query={"saved": "1", "started": "1", "page": "1"}
        ),
        ("POST", "/console/registry/campaigns/{campaign_id}/start"): Case(
            "POST", path={"campaign_id": "1"}
        ),
        # ---- 发通知: staff broadcasts ----
        ("GET", "/console/broadcasts"): Case("GET", query={"x": "1"}),
        ("GET", "/console/broadcasts/new"): Case("GET", query={"x": "1"}),
        ("POST", "/console/broadcasts"): Case("POST", form=notice),
        ("GET", "/console/broadcasts/{broadcast_id}"): Case(
            "GET", path={"broadcast_id": "1"}, query={"saved": "1", "sent": "1", "page": "1"}
        ),
        ("POST", "/console/broadcasts/{broadcast_id}/send"): Case(
            "POST", path={"broadcast_id": "1"}, form=counts
        ),
        # ---- 年审: the tracker, a record, the call list, the day's visits ----
        ("GET", "/console/reviews"): Case(
            "GET", query={**review, **listing, "page": "1", "done": "exempt", "skipped": "0"}
        ),
        ("GET", "/console/reviews/export.xlsx"): Case("GET", query={**review, **listing}),
        ("POST", "/console/reviews/bulk"): Case(
            "POST",
            form={**review, **listing, "change": "exempt", "note": "已迁往外省", "record_id": "1"},
        ),
        ("GET", "/console/reviews/calls"): Case("GET", query={**review, "page": "1"}),
        ("GET", "/console/reviews/records/{record_id}"): Case(
            "GET", path={"record_id": "1"}, query={"done": "confirm"}
        ),
        ("POST", "/console/reviews/records/{record_id}/{step}"): Case(
            "POST", path={"record_id": "1", "step": "exempt"}, form={"note": "已迁往外省"}
        ),
        ("GET", "/console/visits"): Case("GET", query={"day": "2026-11-28", "done": "done"}),
        ("POST", "/console/visits/{appointment_id}"): Case(
            "POST", path={"appointment_id": "1"}, form={"outcome": "done", "day": "2026-11-28"}
        ),
        # ---- 办事申请 and 办事统计 ----
        ("GET", "/console/applications"): Case("GET", query={"show": "all", "page": "1"}),
        ("GET", "/console/applications/demand"): Case("GET", query={"days": "30"}),
        ("GET", "/console/applications/{reference}"): Case(
            "GET", path=ref, query={"done": "ready"}
        ),
        ("POST", "/console/applications/{reference}/status"): Case(
            "POST", path=ref, form={"to": "accepted", "note": "已核实"}
        ),
        ("POST", "/console/applications/{reference}/reveal"): Case("POST", path=ref),
        # ---- 没看懂的话 ----
        ("GET", "/console/unmatched"): Case("GET", query={"done": "added", "label": "human"}),
        ("POST", "/console/unmatched"): Case(
            "POST", form={"ids": "1,2", "wording": "屋企冇钱开饭", "label": "service:dibao"}
        ),
    }


def _console_routes(client: TestClient) -> set[tuple[str, str]]:
    routes = all_routes(client.app.routes)  # type: ignore[attr-defined]
    return {
        (method, route.path)
        for route in routes
        if route.path.startswith("/console")
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _signed_in(client: TestClient, username: str) -> str:
    form = client.get("/console/login").text
    client.post("/console/login", data={
        "username": username, "password": PASSWORD, "csrf_token": _csrf(form)})  # fmt: skip
    return _csrf(client.get("/console").text)


def _scene(database: Engine, client: TestClient) -> Scene:
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    assert clerk.committee_id and clerk.id
    services = client.app.state.services  # type: ignore[attr-defined]
    with unit_of_work(database) as session:
        session.add(Place(committee_id=clerk.committee_id, name="3栋", kind="building"))
        staff_sessions.issue_token(session, session.get(StaffUser, admin.id), "旧脚本", NOW)
        new = reports.NewReport(category="shared_bike", description="楼道口停满了共享单车",
                                source="wechat", reporter_openid="o_reporter_00001234",
                                committee_id=clerk.committee_id, place_text="小区里")  # fmt: skip
        report = reporting.submit(session, services.content, new, now=NOW,
                                  tz=services.settings.tz, sealer=services.sealer)  # fmt: skip
        reference = report.reference
    with Session(database) as session:
        [token_id] = session.exec(select(ApiToken.id)).all()
    return Scene(clerk.committee_id, clerk.id, token_id or 0, reference)


def _call(client: TestClient, route: str, case: Case, csrf: str) -> object:
    url = route
    for name, value in case.path.items():
        # Encoded as a browser would: a NUL or a slash stays inside its path segment.
        url = url.replace("{" + name + "}", _quote(value))
    if case.method == "GET":
        return client.get(url, params=case.query, follow_redirects=False)
    data = {**case.form, "csrf_token": csrf}
    files = (
        {"file": ("places.csv", "名称,类型\n9栋,楼栋\n".encode(), "text/csv")}
        if case.file
        else None
    )
    return client.post(url, params=case.query, data=data, files=files, follow_redirects=False)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="") or "%20"


def test_every_console_route_has_an_entry(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    scene = Scene(1, 1, 1, "BS-20261128-0001")
    assert _console_routes(client) == set(routes(scene)), "add the new route to ROUTES"


def test_no_hostile_value_in_any_console_field_answers_5xx(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    client = TestClient(app, raise_server_exceptions=False)
    scene = _scene(database, client)
    csrf = _signed_in(client, "admin")
    failures = []
    for (method, route), case in routes(scene).items():
        if route == "/console/logout":
            continue  # below, last: it ends the session
        fields = [("path", n) for n in case.path] + [("query", n) for n in case.query]
        fields += [("form", n) for n in case.form]
        for part, name in fields:
            for value in HOSTILE:
                changed = {**getattr(case, part), name: value}
                hostile = Case(**{**case.__dict__, part: changed})
                answer = _call(client, route, hostile, csrf)
                status = answer.status_code  # type: ignore[attr-defined]
                kind = answer.headers.get("content-type", "")  # type: ignore[attr-defined]
                if status >= 500 or (status in (404, 422) and "text/html" not in kind):
                    failures.append((method, route, part, name, value[:20], status))
    logout = client.post("/console/logout", data={"csrf_token": "a\x00b"}, follow_redirects=False)
    assert logout.status_code < 500
    assert failures == []


def test_an_id_past_64_bits_reads_as_an_unknown_id_in_chinese(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    scene = _scene(database, client)
    csrf = _signed_in(client, "admin")
    for url in (f"/console/account/tokens/{2**64}/revoke", f"/console/staff/{2**70}/disable",
                "/console/account/tokens/999999/revoke"):  # fmt: skip
        answer = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
        assert answer.status_code == 404, url
        assert "没有找到您要找的内容" in answer.text and "detail" not in answer.text
    staff_page = client.post("/console/staff", data={
        "username": "grid9", "display_name": "王网格", "role": "grid_worker",
        "password": "colleague passphrase 9", "committee_id": str(2**64),
        "csrf_token": csrf})  # fmt: skip
    assert staff_page.status_code == 200 and "没有保存" in staff_page.text
    inbox = client.get("/console/reports?page=-1")
    assert inbox.status_code == 422 and "无法处理" in inbox.text
    with Session(database) as session:
        assert session.exec(select(ApiToken.revoked_at)).all() == [None]
        assert scene.reference
