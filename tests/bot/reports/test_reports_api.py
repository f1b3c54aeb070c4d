"""/api/v1/reports: staff list and read their committee's reports, move them along, note and
assign them; residents hear of public changes; every write is audited; bad input is a 4xx."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.reports import service as reporting
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.reports import service as reports
from store.staff import audit
from store.staff.models import AuditEntry
from tests.bot.delivery.delivery_rig import CONTENT
from tests.chat import SEALER, Clock, settings_for
from tests.report_helpers import COMMITTEE, Neighbourhood, seed
from tests.staff_helpers import create_staff, token_for

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
WEST = "西湖社区居委会"
TZ = ZoneInfo("Asia/Shanghai")


class Office:
    """The app, a neighbourhood, and staff of two committees."""

    def __init__(self, database: Engine) -> None:
        self.database = database
        self.place: Neighbourhood = seed(database)
        self.clock = Clock()
        self.clock.now = NOW
        app = create_app(settings_for(database), database=database)
        app.state.services.clock = self.clock
        self.client = TestClient(app)
        self.clerk_user = create_staff(database, "li", committee=COMMITTEE)
        self.west_user = create_staff(database, "zhao", committee=WEST)
        self.clerk = token_for(database, self.clerk_user)
        self.west = token_for(database, self.west_user)
        self.wang = token_for(database, self.place.grid_worker)
        self.admin = token_for(
            database, create_staff(database, "admin", role="subdistrict_admin", committee=None)
        )

    def file(
        self,
        category: str = "shared_bike",
        *,
        place_id: int | None = None,
        hours_ago: float = 0,
        openid: str = "o_zhang",
        committee_id: int | None = None,
    ) -> str:
        """A resident's report, made `hours_ago`."""
        with unit_of_work(self.database) as session:
            place = session.get(Place, place_id) if place_id else None
            new = reports.NewReport(
                category=category, description="楼道口停满了共享单车", source="wechat",
                reporter_openid=openid, committee_id=committee_id,
                place_id=place.id if place else None, place_text=place.name if place else "",
            )  # fmt: skip
            report = reporting.submit(
                session, CONTENT, new, now=NOW - timedelta(hours=hours_ago),
                tz=TZ, sealer=SEALER, place=place,
            )  # fmt: skip
            return report.reference

    def get(self, path: str, who: dict[str, str], **params: Any) -> Any:
        return self.client.get(f"/api/v1/reports{path}", headers=who, params=params)

    def post(self, path: str, who: dict[str, str], body: Any) -> Any:
        return self.client.post(f"/api/v1/reports{path}", headers=who, json=body)

    def listed(self, who: dict[str, str], **params: Any) -> list[str]:
        answer = self.get("", who, **params)
        assert answer.status_code == 200, answer.text
        return [item["reference"] for item in answer.json()["items"]]

    def queued_for(self, openid: str) -> list[str]:
        with Session(self.database) as session:
            query = select(OutboxMessage).where(OutboxMessage.recipient == openid)
            return [m.payload["text"] for m in session.exec(query.order_by(OutboxMessage.id))]

    def audit(self, reference: str) -> list[AuditEntry]:
        with Session(self.database) as session:
            query = select(AuditEntry).where(AuditEntry.object_id == reference)
            return list(session.exec(query.order_by(AuditEntry.id)))


@pytest.fixture
def office(database: Engine) -> Office:
    return Office(database)


def problem(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["detail"][0]["field"]


def test_staff_list_their_committees_reports_with_filters_paging_and_sorting(
    office: Office,
) -> None:
    place = office.place
    bike = office.file(place_id=place.building_3, hours_ago=5)  # routed to wang (3栋)
    noise = office.file("noise", place_id=place.building_5, hours_ago=1)
    light = office.file("street_light", place_id=place.building_5)
    west_committee = office.west_user.committee_id
    west = office.file(committee_id=west_committee, openid="o_west")
    clerk = office.clerk

    assert office.listed(clerk) == [light, noise, bike]  # newest first
    first = office.get("", clerk).json()
    assert first["total"] == 3 and first["items"][2]["place"] == "3栋"
    assert first["items"][2]["assignee"] == "wang"
    assert (first["items"][1]["category_name"], first["items"][1]["status_name"]) == (
        "噪音扰民", "已提交")  # fmt: skip
    assert office.listed(clerk, category="noise") == [noise]
    assert office.listed(clerk, place_id=place.building_3) == [bike]
    assert office.listed(clerk, assignee_id=place.grid_worker.id) == [bike]
    assert office.listed(clerk, older_than_hours=2) == [bike]
    assert office.listed(office.wang, mine=True) == [bike]
    assert office.listed(clerk, mine=True) == []
    assert office.listed(clerk, sort="created_at") == [bike, noise, light]
    page = office.get("", clerk, per_page=2, page=2).json()
    assert ([i["reference"] for i in page["items"]], page["total"]) == ([bike], 3)
    office.post(f"/{bike}/actions", clerk, {"action": "accept"})
    assert office.listed(clerk, status="accepted") == [bike]
    assert office.listed(clerk, status="submitted") == [light, noise]

    assert office.listed(office.west) == [west]
    assert office.listed(office.admin) == [west, light, noise, bike]
    assert problem(office.get("", clerk, status="lost")) == (422, "status")
    assert problem(office.get("", clerk, older_than_hours=-1)) == (422, "older_than_hours")
    assert problem(office.get("", clerk, sort="reporter_openid")) == (422, "sort")


def test_a_report_reads_with_its_timeline_and_other_committees_do_not_see_it(
    office: Office,
) -> None:
    reference = office.file(place_id=office.place.building_3)
    answer = office.get(f"/{reference}", office.clerk)
    assert answer.status_code == 200
    detail = answer.json()
    assert (detail["reference"], detail["status"], detail["place"]) == (
        reference,
        "submitted",
        "3栋",
    )
    resident = CONTENT.reports.staff.resident
    assert [(e["kind"], e["actor"]) for e in detail["timeline"]] == [("created", resident)]
    assert (detail["photos"], detail["followers"], detail["reopened"]) == ([], 0, 0)
    assert detail["follow_up"] == {"asked_at": None, "answered_at": None, "solved": None,
                                   "rating": None}  # fmt: skip
    assert problem(office.get(f"/{reference}", office.west)) == (404, "reference")
    assert problem(office.get("/BS-20261130-9999", office.clerk)) == (404, "reference")
    assert problem(office.get("/not-a-reference", office.clerk)) == (422, "reference")


def test_actions_move_the_report_tell_the_reporter_and_are_audited(office: Office) -> None:
    reference = office.file("noise", place_id=office.place.building_5)
    body = {"action": "accept", "note": "明晚上门了解"}
    accepted = office.post(f"/{reference}/actions", office.clerk, body)
    assert accepted.status_code == 200
    # Nobody handled it: the one who accepts it does.
    shown = accepted.json()
    assert (shown["status"], shown["assignee_id"], shown["assignee"]) == (
        "accepted", office.clerk_user.id, "li")  # fmt: skip
    assert shown["accepted_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert office.queued_for("o_zhang") == [f"您反映的 {reference}（噪音扰民）已受理。明晚上门了解"]
    [entry] = office.audit(reference)
    assert (entry.action, entry.actor) == ("report.accept", "li")
    assert (entry.before or {})["status"] == "submitted"
    assert (entry.after or {})["status"] == "accepted"

    def act(who: dict[str, str], **body: str) -> Any:
        return office.post(f"/{reference}/actions", who, body)

    again = act(office.clerk, action="accept")
    assert again.status_code == 409
    assert again.json()["detail"] == [
        {"field": "action", "reason": "cannot accept a report that is accepted"}
    ]
    assert problem(act(office.clerk, action="reject", note="  ")) == (422, "note")
    assert problem(act(office.clerk, action="refer")) == (422, "referred_to")
    assert problem(act(office.clerk, action="fly")) == (422, "action")
    assert problem(act(office.west, action="start")) == (404, "reference")
    referred = act(office.clerk, action="refer", referred_to="街道城管科")
    assert (referred.json()["status"], referred.json()["referred_to"]) == ("referred", "街道城管科")
    assert "已转交街道城管科处理" in office.queued_for("o_zhang")[-1]
    assert [e.action for e in office.audit(reference)] == ["report.accept", "report.refer"]


def test_notes_reach_residents_only_when_public_and_assignment_stays_in_the_committee(
    office: Office,
) -> None:
    reference = office.file(place_id=office.place.building_3)
    with unit_of_work(office.database) as session:
        report = reports.by_reference(session, reference)
        assert report is not None
        reporting.follow(session, CONTENT, report, "o_neighbour", NOW)

    private = office.post(f"/{reference}/notes", office.clerk, {"text": "已联系物业"})
    public = office.post(f"/{reference}/notes", office.clerk,
                         {"text": "物业明天清理", "public": True})  # fmt: skip
    assert private.status_code == public.status_code == 200
    notes = [(e["note"], e["public"]) for e in public.json()["timeline"] if e["kind"] == "note"]
    assert notes == [("已联系物业", False), ("物业明天清理", True)]
    said = f"{reference}（共享单车乱停放）进展：物业明天清理"
    assert office.queued_for("o_zhang") == office.queued_for("o_neighbour") == [said]
    assert problem(office.post(f"/{reference}/notes", office.clerk, {"text": "  "})) == (
        422, "text")  # fmt: skip

    clerk_id = office.clerk_user.id
    assigned = office.post(f"/{reference}/assign", office.clerk, {"staff_id": clerk_id})
    assert (assigned.json()["assignee_id"], assigned.json()["assignee"]) == (clerk_id, "li")
    assert assigned.json()["timeline"][-1]["kind"] == "assigned"
    west_id = office.west_user.id
    refused = office.post(f"/{reference}/assign", office.clerk, {"staff_id": west_id})
    assert problem(refused) == (422, "staff_id")
    # An admin sees the other committee's clerk, who still may not take this report.
    across = office.post(f"/{reference}/assign", office.admin, {"staff_id": west_id})
    assert problem(across) == (422, "staff_id")
    assert problem(office.post(f"/{reference}/assign", office.clerk, {"staff_id": "7"})) == (
        422, "staff_id")  # fmt: skip
    actions = [e.action for e in office.audit(reference)]
    assert actions == ["report.note", "report.note", "report.assign"]


def test_resolving_needs_a_result_note_in_the_api_as_in_the_console(office: Office) -> None:
    reference = office.file(place_id=office.place.building_5)
    blank = office.post(f"/{reference}/actions", office.clerk, {"action": "resolve", "note": " "})
    assert blank.status_code == 422
    assert blank.json()["detail"] == [{"field": "note", "reason": reports.NOTE_REQUIRED["resolve"]}]
    assert office.get(f"/{reference}", office.clerk).json()["status"] == "submitted"
    assert office.queued_for("o_zhang") == []  # nobody was told of a step that did not happen
    body = {"action": "resolve", "note": "单车已清走"}
    assert office.post(f"/{reference}/actions", office.clerk, body).status_code == 200
    # The console refuses the same steps: tests/bot/reports/test_report_parity.py.


def test_the_timeline_words_residents_and_their_follow_up_answers_as_reports_yaml_does(
    office: Office,
) -> None:
    words = CONTENT.reports
    staff = words.staff.model_copy(update={"resident": "报事人"})
    asked = words.follow_up.model_copy(
        update={"solved": "好了", "answered_rated": "{answer}（{rating}星）"}
    )
    content = replace(
        CONTENT, reports=words.model_copy(update={"staff": staff, "follow_up": asked})
    )
    with unit_of_work(office.database) as session:
        new = reports.NewReport(
            category="noise",
            description="夜里装修",
            source="wechat",
            reporter_openid="o_zhang",
            committee_id=office.place.committee_id,
        )
        report = reporting.submit(session, content, new, now=NOW, tz=TZ, sealer=SEALER)
        clerk = audit.Actor.of(office.clerk_user)
        reporting.change(session, content, report, "resolve", actor=clerk, now=NOW, note="已停工")
        reporting.answer_follow_up(session, content, report, solved=True, rating=5, now=NOW)
        reference = report.reference
    timeline = office.get(f"/{reference}", office.clerk).json()["timeline"]
    said = [(e["kind"], e["actor"], e["note"]) for e in timeline if e["actor"] != "li"]
    assert said == [
        ("created", "报事人", ""),
        ("follow_up_answered", "报事人", "好了（5星）"),
        ("closed", "报事人", ""),
    ]
