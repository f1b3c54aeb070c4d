"""Console and API are one report service: every staff action, taken from every status, with
and without what it needs, has the same outcome through the console as through the API — the
same status, timeline, messages to residents and staff, audit entries, or the same refusal —
and that outcome is the one store.reports.RULES describes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.reports import service as reporting
from config.content import Content
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.reports import service as reports
from store.reports.models import STATUSES, ReportEvent
from store.staff import audit
from store.staff.models import AuditEntry, StaffUser
from tests.chat import settings_for
from tests.staff_helpers import PASSWORD, create_staff, token_for

EAST, WEST = "东风社区居委会", "西湖社区居委会"
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
REPORTER, FOLLOWER = "o_reporter_00001234", "o_follower_00005678"
WHERE = "区城管局"
# How a report is brought to each status before the action under test (by the clerk).
ROUTE: dict[str, list[tuple[str, dict[str, str]]]] = {
    "submitted": [],
    "accepted": [("accept", {})],
    "in_progress": [("start", {})],
    "resolved": [("resolve", {"note": "已清理"})],
    "closed": [("resolve", {"note": "已清理"}), ("close", {})],
    "rejected": [("reject", {"note": "不属于本社区"})],
    "referred": [("refer", {"referred_to": WHERE})],
}


@dataclass(frozen=True)
class Try:
    """What staff send with an action: a note, public or not, where to, and to whom."""

    note: str = ""
    public: bool = False
    referred_to: str = ""
    to: str = ""  # "worker" (of the committee) or "stranger" (of another committee)


VARIANTS: dict[str, list[Try]] = {
    "note": [Try("已联系物业", public=True), Try("内部备注"), Try()],
    "assign": [Try(to="worker"), Try(to="stranger")],
    "refer": [Try("需要执法", referred_to=WHERE), Try(referred_to=WHERE), Try("需要执法")],
}
CASES = [
    (action, status, attempt)
    for action in reports.STAFF_ACTIONS
    for status in STATUSES
    for attempt in VARIANTS.get(action, [Try("说明情况"), Try()])
]


@dataclass
class Outcome:
    """What one action left behind on its report (the reference written as REF)."""

    status: str
    timeline: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[str, str, str]] = field(default_factory=list)
    audited: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Office:
    """One app; a committee's clerk (in the console and with an API token), its grid worker,
    a clerk of another committee, and a building."""

    database: Engine
    client: TestClient
    console: TestClient
    csrf: str
    token: dict[str, str]
    clerk: StaffUser
    people: dict[str, StaffUser]
    place_id: int

    @property
    def content(self) -> Content:
        """The wording the app runs with."""
        return self.client.app.state.services.content  # type: ignore[attr-defined]

    def report_in(self, status: str) -> str:
        """A resident's report (with a follower) brought to `status` by the clerk."""
        content, actor = self.content, audit.Actor.of(self.clerk)
        with unit_of_work(self.database) as session:
            place = session.get(Place, self.place_id)
            new = reports.NewReport(
                category="shared_bike", description="楼道口停满了共享单车", source="wechat",
                reporter_openid=REPORTER, committee_id=self.clerk.committee_id,
                place_id=self.place_id, place_text="3栋",
            )  # fmt: skip
            services = self.client.app.state.services  # type: ignore[attr-defined]
            report = reporting.submit(session, content, new, now=NOW, tz=services.settings.tz,
                                      sealer=services.sealer, place=place)  # fmt: skip
            reporting.follow(session, content, report, FOLLOWER, NOW)
            for action, fields in ROUTE[status]:
                reporting.change(session, content, report, action, actor=actor, now=NOW,
                                 note=fields.get("note", ""),
                                 referred_to=fields.get("referred_to"))  # fmt: skip
            assert report.status == status
            return report.reference

    def marks(self, reference: str) -> tuple[int, int, int]:
        """How far the report's timeline, messages and audit entries reach now."""
        with Session(self.database) as session:
            return (
                len(self._events(session, reference)),
                len(self._messages(session, reference)),
                len(self._audited(session, reference)),
            )

    def outcome(self, reference: str, since: tuple[int, int, int]) -> Outcome:
        """What happened to the report after `since` (marks taken before the action)."""
        with Session(self.database) as session:
            report = reports.by_reference(session, reference)
            assert report is not None
            events, queued, entries = since
            return Outcome(
                status=report.status,
                timeline=[
                    (e.kind, e.from_status, e.to_status, e.actor, e.note, e.public)
                    for e in self._events(session, reference)[events:]
                ],
                messages=[
                    (m.audience, m.recipient, m.payload["text"].replace(reference, "REF"))
                    for m in self._messages(session, reference)[queued:]
                ],
                audited=[
                    (
                        a.action,
                        a.actor,
                        (a.before or {}).get("status"),
                        (a.after or {}).get("status"),
                        (a.after or {}).get("assignee_id"),
                    )
                    for a in self._audited(session, reference)[entries:]
                ],
            )

    def _events(self, session: Session, reference: str) -> list[ReportEvent]:
        report = reports.by_reference(session, reference)
        assert report is not None
        return list(reports.timeline(session, report.id or 0))

    def _messages(self, session: Session, reference: str) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return [m for m in session.exec(query) if m.payload.get("report") == reference]

    def _audited(self, session: Session, reference: str) -> list[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.object_id == reference)
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def _office(database: Engine) -> Office:
    clerk = create_staff(database, "clerk", committee=EAST)
    worker = create_staff(database, "wang", role="grid_worker", committee=EAST)
    stranger = create_staff(database, "zhao", committee=WEST)
    with unit_of_work(database) as session:
        place = Place(committee_id=clerk.committee_id or 0, kind="building", name="3栋",
                      grid_area="第一网格", handler_id=worker.id)  # fmt: skip
        session.add(place)
        session.flush()
        place_id = place.id or 0
    app = create_app(settings_for(database), database=database)
    app.state.services.clock = lambda: NOW
    client = TestClient(app)
    console = TestClient(app, follow_redirects=False)
    form = console.get("/console/login").text
    console.post("/console/login", data={
        "username": "clerk", "password": PASSWORD, "csrf_token": _csrf(form)})  # fmt: skip
    csrf = _csrf(console.get("/console").text)
    people = {"worker": worker, "stranger": stranger}
    return Office(database, client, console, csrf, token_for(database, clerk), clerk, people,
                  place_id)  # fmt: skip


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def _by_console(office: Office, reference: str, action: str, attempt: Try) -> str | None:
    """Take the action from the report's page; the refusal the page shows, or None if done."""
    fields = {"csrf_token": office.csrf, "note": attempt.note, "referred_to": attempt.referred_to}
    if attempt.public:
        fields["public"] = "1"
    if attempt.to:
        fields["assignee_id"] = str(office.people[attempt.to].id)
    answer = office.console.post(f"/console/reports/{reference}/{action}", data=fields)
    if answer.status_code == 303:
        return None
    assert answer.status_code == 200, answer.text[:300]
    found = re.search(r'<p class="problem"[^>]*>(.*?)</p>', answer.text, re.S)
    assert found, answer.text
    return found.group(1).strip()


def _by_api(office: Office, reference: str, action: str, attempt: Try) -> tuple[int, str] | None:
    """Take the action through the API; (status code, field) of the refusal, or None if done."""
    path = f"/api/v1/reports/{reference}/actions"
    body: dict[str, Any] = {"action": action, "note": attempt.note}
    if attempt.referred_to:
        body["referred_to"] = attempt.referred_to
    if action == "note":
        path, body = (
            f"/api/v1/reports/{reference}/notes",
            {"text": attempt.note, "public": attempt.public},
        )
    elif action == "assign":
        path, body = (
            f"/api/v1/reports/{reference}/assign",
            {"staff_id": office.people[attempt.to].id},
        )
    answer = office.client.post(path, headers=office.token, json=body)
    if answer.status_code == 200:
        return None
    return answer.status_code, answer.json()["detail"][0]["field"]


def _expected_refusal(status: str, action: str, attempt: Try) -> str | None:
    """What RULES says about this attempt: the field refused, or None when it is done."""
    if not reports.fits(status, action):
        return "action"
    if (action in reports.NOTE_REQUIRED or action == "note") and not attempt.note:
        return "note"
    if action == "refer" and not attempt.referred_to:
        return "referred_to"
    if action == "assign" and attempt.to == "stranger":
        return "staff_id"
    return None


def _console_words(office: Office, status: str, action: str, field: str) -> str:
    """The sentence the console shows for the API's refusal of `field`."""
    t = office.content.console
    if field == "action":
        return t.report_refused_status.format(
            status=office.content.reports.status(status), action=t[f"action_{action}"]
        )
    return {
        "note": t.report_need_note,
        "text": t.report_need_note,  # the API's name for a note's text
        "referred_to": t.report_need_where,
        "staff_id": t.report_bad_assignee,
    }[field]


@pytest.mark.parametrize("action", reports.STAFF_ACTIONS)
def test_every_action_has_the_same_outcome_in_the_console_and_the_api(
    database: Engine, action: str
) -> None:
    office = _office(database)
    for _, status, attempt in [case for case in CASES if case[0] == action]:
        case = f"{action} from {status} with {attempt}"
        by_console, by_api = office.report_in(status), office.report_in(status)
        before = office.marks(by_console), office.marks(by_api)
        shown = _by_console(office, by_console, action, attempt)
        answered = _by_api(office, by_api, action, attempt)
        done_console = office.outcome(by_console, before[0])
        done_api = office.outcome(by_api, before[1])

        assert done_console == done_api, case
        refused = _expected_refusal(status, action, attempt)
        if refused is None:
            assert (shown, answered) == (None, None), case
            rule = reports.RULES[action]
            assert done_api.status == (rule.leads_to or status), case
            assert done_api.timeline and done_api.audited, case
            continue
        assert answered is not None and answered[1] in (refused, "text"), case
        assert answered[0] == (409 if refused == "action" else 422), case
        assert shown == _console_words(office, status, action, answered[1]), case
        assert done_api == Outcome(status), case  # nothing changed, nobody was told


def test_staff_reopen_a_finished_report_from_its_page_saying_why_and_the_reporter_hears_it(
    database: Engine,
) -> None:
    office = _office(database)
    reference = office.report_in("resolved")
    page = office.console.get(f"/console/reports/{reference}").text
    assert f'action="/console/reports/{reference}/reopen"' in page
    assert office.content.console.note_reopen in page
    since = office.marks(reference)
    assert (
        _by_console(office, reference, "reopen", Try()) == office.content.console.report_need_note
    )
    assert _by_console(office, reference, "reopen", Try("复查发现还有单车")) is None
    done = office.outcome(reference, since)
    assert done.status == "in_progress"
    told = [text for audience, _, text in done.messages if audience == "resident"]
    pushes = office.content.reports.pushes
    category = office.content.reports.category("shared_bike").name
    wording = pushes.reopened.format(reference="REF", category=category, note="复查发现还有单车")
    assert told == [wording, wording]  # the reporter and the follower
    open_page = office.console.get(f"/console/reports/{reference}").text
    assert f'action="/console/reports/{reference}/reopen"' not in open_page
