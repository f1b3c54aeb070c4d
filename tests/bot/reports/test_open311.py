"""A district system reads the committee's services and files and tracks reports through Open311
GeoReport v2, in JSON and in XML, seeing only what its key's staff member may see."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.reports import service as reporting
from config.content import Content
from store.outbox.models import OutboxMessage
from store.places import service as places
from store.places.models import Place
from store.reports import service as reports
from store.reports.models import Report
from store.staff import audit
from store.staff.models import AuditEntry, StaffUser
from store.staff.scope import Scope
from tests.chat import Clock, settings_for
from tests.staff_helpers import NOW, create_staff, token_for

# Field names of GeoReport v2 (wiki.open311.org/GeoReport_v2), method by method.
SERVICE_FIELDS = {
    "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
}  # fmt: skip
DEFINITION_FIELDS = {"service_code", "attributes"}
ATTRIBUTE_FIELDS = {
    "variable", "code", "datatype", "required", "datatype_description", "order", "description",
}  # fmt: skip
LIST_ATTRIBUTE_FIELDS = ATTRIBUTE_FIELDS | {"values"}
VALUE_FIELDS = {"key", "name"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
}  # fmt: skip
CREATED_FIELDS = {"service_request_id", "service_notice", "account_id"}
ERROR_FIELDS = {"code", "description"}
# What a GeoReport client may send about the person reporting; Linli keeps none of it.
PERSONAL = {
    "email": "someone@example.org", "first_name": "小梅", "last_name": "林晓",
    "phone": "13800138000", "device_id": "device-7f3a", "account_id": "acct-9931",
}  # fmt: skip

BASE = "/open311/v2"
REFERENCE = re.compile(r"^BS-\d{8}-\d{4}$")
EAST, WEST = "东风社区居委会", "西湖社区居委会"


@dataclass
class Desk:
    """An app with a committee (a clerk, a grid worker, 3栋) and a clerk next door."""

    client: TestClient
    database: Engine
    clock: Clock
    east: dict[str, str]
    west: dict[str, str]
    clerk: StaffUser
    grid_worker: StaffUser
    building_id: int
    content: Content

    def post(self, fields: dict[str, str], fmt: str = "json", key: str | None = None) -> Any:
        """POST a request form-encoded, with the east clerk's key unless told otherwise."""
        api_key = self.east["Authorization"].removeprefix("Bearer ") if key is None else key
        return self.client.post(f"{BASE}/requests.{fmt}", data={"api_key": api_key, **fields})

    def file(self, **fields: str) -> str:
        """File a report and return its reference."""
        answer = self.post({"service_code": "shared_bike", "address_string": "3栋", **fields})
        assert answer.status_code == 200, answer.text
        return answer.json()[0]["service_request_id"]


@pytest.fixture
def desk(database: Engine) -> Desk:
    """The app on the test database, its clock stopped at NOW."""
    clerk = create_staff(database, "clerk", committee=EAST)
    grid_worker = create_staff(database, "wang", role="grid_worker", committee=EAST)
    neighbour = create_staff(database, "west", committee=WEST)
    assert clerk.committee_id is not None
    scope = Scope(clerk.id or 0, clerk.sub_district_id, frozenset({clerk.committee_id}), False)
    with Session(database) as session:
        building, _ = places.save(
            session, scope, actor=audit.CLI, committee_id=clerk.committee_id, kind="楼栋",
            name="3栋", lat=23.1296, lng=113.2651, now=NOW,
        )  # fmt: skip
        building.handler_id = grid_worker.id
        session.add(building)
        session.commit()
        building_id = building.id or 0
    app = create_app(settings_for(database), database=database)
    clock = Clock()
    clock.now = NOW
    app.state.services.clock = clock
    return Desk(
        TestClient(app), database, clock, token_for(database, clerk),
        token_for(database, neighbour), clerk, grid_worker, building_id, app.state.services.content,
    )  # fmt: skip


def _xml(answer: Any, root: str) -> ET.Element:
    assert answer.headers["content-type"].startswith("text/xml")
    assert answer.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    tree = ET.fromstring(answer.content)
    assert tree.tag == root
    return tree


def _refused(answer: Any, status: int, description: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert [set(e) for e in body] == [ERROR_FIELDS]
    assert body[0]["code"] == status and body[0]["description"].startswith(description)


class TestServices:
    def test_every_category_is_a_service_in_json(self, desk: Desk) -> None:
        answer = desk.client.get(f"{BASE}/services.json")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        services = {s["service_code"]: s for s in answer.json()}
        assert all(set(s) == SERVICE_FIELDS for s in services.values())
        assert "shared_bike" in services and "other" in services
        assert services["shared_bike"] == {
            "service_code": "shared_bike", "service_name": "共享单车乱停放",
            "description": "楼道口、人行道上乱停的共享单车", "metadata": False,
            "type": "realtime", "keywords": "共享单车, 单车, 自行车, 电单车, 乱停",
            "group": "社区报事",
        }  # fmt: skip
        assert services["fire_safety"]["metadata"] is True
        assert services["fire_safety"]["group"] == "紧急报事"

    def test_the_same_list_in_xml(self, desk: Desk) -> None:
        tree = _xml(desk.client.get(f"{BASE}/services.xml?jurisdiction_id=any"), "services")
        services = tree.findall("service")
        assert len(services) == len(desk.client.get(f"{BASE}/services.json").json())
        assert all({child.tag for child in s} == SERVICE_FIELDS for s in services)
        noise = next(s for s in services if s.findtext("service_code") == "noise")
        assert noise.findtext("service_name") == "噪音扰民"
        assert noise.findtext("metadata") == "true"

    def test_an_unknown_format_is_not_found(self, desk: Desk) -> None:
        _refused(desk.client.get(f"{BASE}/services.html"), 404, "format: json or xml")


class TestServiceDefinition:
    def test_questions_are_attributes(self, desk: Desk) -> None:
        answer = desk.client.get(f"{BASE}/services/fire_safety.json").json()
        assert set(answer) == DEFINITION_FIELDS and answer["service_code"] == "fire_safety"
        [blocking] = answer["attributes"]
        assert set(blocking) == LIST_ATTRIBUTE_FIELDS
        assert blocking["code"] == "blocking" and blocking["datatype"] == "singlevaluelist"
        assert blocking["required"] is True and blocking["variable"] is True
        assert blocking["order"] == 1 and blocking["description"].startswith("是否堵塞消防通道")
        assert blocking["values"] == [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}]
        [when] = desk.client.get(f"{BASE}/services/noise.json").json()["attributes"]
        assert set(when) == ATTRIBUTE_FIELDS and when["datatype"] == "string"

    def test_in_xml_values_nest_as_the_spec_shows(self, desk: Desk) -> None:
        tree = _xml(desk.client.get(f"{BASE}/services/water_leak.xml"), "service_definition")
        assert tree.findtext("service_code") == "water_leak"
        [attribute] = tree.findall("attributes/attribute")
        assert {child.tag for child in attribute} == LIST_ATTRIBUTE_FIELDS
        values = attribute.findall("values/value")
        assert [{c.tag for c in v} for v in values] == [VALUE_FIELDS, VALUE_FIELDS]
        assert [v.findtext("name") for v in values] == ["是", "否"]
        assert _xml(desk.client.get(f"{BASE}/services/shared_bike.xml"), "service_definition")

    def test_an_unknown_service_is_not_found(self, desk: Desk) -> None:
        _refused(desk.client.get(f"{BASE}/services/potholes.json"), 404, "service_code:")
        answer = desk.client.get(f"{BASE}/services/potholes.xml")
        assert answer.status_code == 404
        error = _xml(answer, "errors").find("error")
        assert error is not None and {child.tag for child in error} == ERROR_FIELDS


class TestPostRequest:
    def test_a_report_is_filed_routed_announced_and_audited(self, desk: Desk) -> None:
        answer = desk.post({
            "service_code": "water_leak", "address_string": "3号楼楼道",
            "description": "楼道天花板一直在滴水", "attribute[still_leaking]": "true",
            "jurisdiction_id": "gz", "media_url": "http://example.org/photo.jpg", **PERSONAL,
        })  # fmt: skip
        assert answer.status_code == 200, answer.text
        [created] = answer.json()
        assert set(created) == CREATED_FIELDS and created["account_id"] is None
        reference = created["service_request_id"]
        assert REFERENCE.match(reference)
        assert created["service_notice"] == f"已收到，编号 {reference}。居委会将尽快安排处理。"
        with Session(desk.database) as session:
            report = reports.by_reference(session, reference)
            assert report is not None
            assert (report.source, report.category, report.status) == (
                "open311", "water_leak", "submitted",
            )  # fmt: skip
            assert report.place_id == desk.building_id
            assert report.committee_id == desk.clerk.committee_id
            assert report.assignee_id == desk.grid_worker.id  # the building's grid worker
            assert report.answers == [
                {"key": "still_leaking", "question": "现在还在漏水吗？请回复「是」或「否」。",
                 "answer": "是"},
            ]  # fmt: skip
            stored = str(audit.snapshot(report))
            notices = session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == "staff_notice")
            ).all()
            assert [n.payload["report"] for n in notices] == [reference]
            assert "楼道天花板一直在滴水" in notices[0].payload["text"]
            [entry] = session.exec(
                select(AuditEntry).where(AuditEntry.action == "report.create")
            ).all()
            assert (entry.actor, entry.object_id) == ("clerk", reference)
            stored += str(entry.after)
            for personal in PERSONAL.values():
                assert personal not in stored  # accepted, never kept
            assert "photo.jpg" not in stored

    def test_a_point_finds_the_nearest_place_and_xml_answers_in_kind(self, desk: Desk) -> None:
        answer = desk.post(
            {"service_code": "street_light", "lat": "23.1297", "long": "113.2652",
             "description": "路灯不亮"},
            fmt="xml",
        )  # fmt: skip
        assert answer.status_code == 200
        request = _xml(answer, "service_requests").find("request")
        assert request is not None and {c.tag for c in request} == CREATED_FIELDS
        reference = request.findtext("service_request_id") or ""
        with Session(desk.database) as session:
            report = reports.by_reference(session, reference)
            assert report is not None and report.place_id == desk.building_id
            assert (report.lat, report.lng) == (23.1297, 113.2652)

    def test_a_missing_service_code_is_named(self, desk: Desk) -> None:
        _refused(desk.post({"address_string": "3栋"}), 400, "service_code: required")
        answer = desk.post({"address_string": "3栋"}, fmt="xml")
        assert answer.status_code == 400
        assert _xml(answer, "errors").findtext("error/description") == "service_code: required"

    def test_an_unknown_service_code_is_refused(self, desk: Desk) -> None:
        _refused(desk.post({"service_code": "potholes", "lat": "23.1", "long": "113.2"}), 400,
                 "service_code: no service")  # fmt: skip

    def test_wrong_fields_are_refused_with_their_names(self, desk: Desk) -> None:
        fire = {"service_code": "fire_safety", "address_string": "3栋"}
        cases = {
            "attribute[blocking]: required": fire,
            "attribute[blocking]: true, false": {**fire, "attribute[blocking]": "maybe"},
            "attribute[colour]: not an attribute": {
                **fire, "attribute[blocking]": "是", "attribute[colour]": "red",
            },
            "lat: give lat and long, address_string or address_id": {"service_code": "noise",
                                                                      "attribute[when]": "夜里"},
            "long: give lat and long together": {"service_code": "other", "lat": "23.1"},
            "lat: between -90 and 90": {"service_code": "other", "lat": "91", "long": "113"},
            "long: a number": {"service_code": "other", "lat": "23", "long": "east"},
            "address_id: no such place": {"service_code": "other", "address_id": "99999"},
            "description: must not contain a NUL": {**fire, "description": "a\x00b"},
        }  # fmt: skip
        for description, fields in cases.items():
            _refused(desk.post(fields), 400, description)
        with Session(desk.database) as session:
            assert session.exec(select(Report)).all() == []

    def test_a_bad_or_missing_key_is_refused(self, desk: Desk) -> None:
        fields = {"service_code": "other", "address_string": "3栋"}
        _refused(desk.post(fields, key="lnl_not-a-token"), 403, "api_key: unknown")
        _refused(desk.post({}, key=""), 403, "api_key: required")  # before any other field
        answer = desk.post(fields, fmt="xml", key="lnl_not-a-token")
        assert answer.status_code == 403 and _xml(answer, "errors").findtext("error/code") == "403"
        with Session(desk.database) as session:
            assert session.exec(select(Report)).all() == []


class TestGetRequests:
    def test_filters_narrow_the_list_newest_first(self, desk: Desk) -> None:
        desk.clock.advance(days=-100)
        old = desk.file(description="早就报过")
        desk.clock.now = NOW
        bike = desk.file(description="单车堵住楼道口")
        desk.clock.advance(hours=1)
        fire = desk.file(service_code="fire_safety", **{"attribute[blocking]": "否"})
        desk.clock.advance(hours=1)
        with Session(desk.database) as session:
            report = reports.by_reference(session, bike)
            assert report is not None
            content = desk.content
            actor = audit.Actor.of(desk.clerk)
            reporting.change(session, content, report, "accept", actor=actor, now=desk.clock.now,
                             note="已安排网格员")  # fmt: skip
            reporting.change(session, content, report, "resolve", actor=actor,
                             now=desk.clock.now, note="单车已挪走")  # fmt: skip
            session.commit()

        def listed(query: str = "") -> list[str]:
            answer = desk.client.get(f"{BASE}/requests.json?{query}", headers=desk.east)
            assert answer.status_code == 200, answer.text
            assert all(set(r) == REQUEST_FIELDS for r in answer.json())
            return [r["service_request_id"] for r in answer.json()]

        assert listed() == [fire, bike]  # the last 90 days, newest first
        assert listed("status=open") == [fire]
        assert listed("status=closed") == [bike]
        assert listed("status=open,closed&service_code=shared_bike") == [bike]
        assert listed("start_date=2026-01-01&end_date=2026-12-31") == [fire, bike, old]
        assert listed("end_date=2026-11-28T09:30:00%2B08:00&start_date=2026-11-01") == [bike]
        assert listed("end_date=2026-11-28T09:30:00+08:00&start_date=2026-11") == [
            bike
        ]  # + unencoded
        assert listed(f"service_request_id={old},{fire}") == [fire, old]  # overrides the dates
        [shown] = desk.client.get(
            f"{BASE}/requests.json?service_request_id={bike}", headers=desk.east
        ).json()
        assert shown["status"] == "closed" and shown["status_notes"] == "单车已挪走"
        assert shown["service_notice"] == "已处理" and shown["service_name"] == "共享单车乱停放"
        assert shown["agency_responsible"] == EAST and shown["address"] == "3栋"
        assert shown["address_id"] == str(desk.building_id) and shown["media_url"] == ""
        assert (shown["lat"], shown["long"]) == (23.1296, 113.2651)
        assert shown["requested_datetime"] == "2026-11-28T09:00:00+08:00"
        assert shown["updated_datetime"] == "2026-11-28T11:00:00+08:00"
        key = desk.east["Authorization"].removeprefix("Bearer ")
        tree = _xml(desk.client.get(f"{BASE}/requests.xml?api_key={key}"), "service_requests")
        assert [r.findtext("service_request_id") for r in tree.findall("request")] == [fire, bike]
        assert all({c.tag for c in r} == REQUEST_FIELDS for r in tree.findall("request"))

    def test_bad_filters_are_named(self, desk: Desk) -> None:
        cases = {
            "status=pending": "status: open or closed",
            "start_date=yesterday": "start_date: an ISO 8601",
            "start_date=2026-12-01&end_date=2026-11-01": "end_date: before start_date",
            "service_code=potholes": "service_code: no service",
            "service_request_id=BS%00": "service_request_id: must not contain a NUL",
            "end_date=0001-01-01T00:00:00Z": "end_date: too early",
        }
        for query, description in cases.items():
            answer = desk.client.get(f"{BASE}/requests.json?{query}", headers=desk.east)
            _refused(answer, 400, description)

    def test_a_key_is_needed_to_read_requests(self, desk: Desk) -> None:
        _refused(desk.client.get(f"{BASE}/requests.json"), 403, "api_key: required")
        bad = {"Authorization": "Bearer lnl_revoked"}
        _refused(desk.client.get(f"{BASE}/requests.json", headers=bad), 403, "api_key: unknown")


class TestGetRequest:
    def test_one_request_is_a_list_of_one(self, desk: Desk) -> None:
        reference = desk.file(description="单车")
        answer = desk.client.get(f"{BASE}/requests/{reference}.json", headers=desk.east)
        [request] = answer.json()
        assert set(request) == REQUEST_FIELDS
        assert request["service_request_id"] == reference and request["status"] == "open"
        assert request["service_notice"] == "已提交" and request["status_notes"] is None
        tree = _xml(
            desk.client.get(f"{BASE}/requests/{reference}.xml", headers=desk.east),
            "service_requests",
        )
        assert [r.findtext("service_request_id") for r in tree.findall("request")] == [reference]

    def test_another_committees_report_is_as_unknown_as_a_made_up_one(self, desk: Desk) -> None:
        theirs = desk.file(description="东风的事")
        hidden = desk.client.get(f"{BASE}/requests/{theirs}.json", headers=desk.west)
        _refused(hidden, 404, "service_request_id: no request")
        _refused(desk.client.get(f"{BASE}/requests/BS-20000101-0001.json", headers=desk.east),
                 404, "service_request_id: no request")  # fmt: skip
        listed = desk.client.get(f"{BASE}/requests.json?service_request_id={theirs}",
                                 headers=desk.west)  # fmt: skip
        assert listed.status_code == 200 and listed.json() == []
        assert desk.client.get(f"{BASE}/requests.json", headers=desk.west).json() == []


def test_a_place_of_another_committee_is_never_matched(desk: Desk) -> None:
    mine = desk.post(
        {"service_code": "other", "address_string": "3栋", "description": "西湖的3栋"},
        key=desk.west["Authorization"].removeprefix("Bearer "),
    )
    reference = mine.json()[0]["service_request_id"]
    by_id = desk.post(
        {"service_code": "other", "address_id": str(desk.building_id)},
        key=desk.west["Authorization"].removeprefix("Bearer "),
    )
    _refused(by_id, 400, "address_id: no such place")
    with Session(desk.database) as session:
        report = reports.by_reference(session, reference)
        west = session.exec(select(StaffUser).where(StaffUser.username == "west")).one()
        assert report is not None and report.place_id is None and report.place_text == "3栋"
        assert report.committee_id == west.committee_id
        assert session.get(Place, desk.building_id) is not None
