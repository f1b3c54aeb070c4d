"""Staff work through reports in the console: the inbox and its filters, one report and its
actions (each told to the reporter), photos, the Excel export, and nothing of another
committee."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
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
from store.reports.models import Report, ReportPhoto
from store.staff.models import AuditEntry, StaffUser
from tests.chat import settings_for
from tests.staff_helpers import PASSWORD, create_staff

EAST, WEST = "东风社区居委会", "西湖社区居委会"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
REPORTER = "o_reporter_00001234"
NEIGHBOUR = "o_neighbour_0005678"


@dataclass
class Desk:
    """An app with a clock at NOW, a committee's grid worker, clerk and places, and a stranger."""

    app_client: TestClient
    database: Engine
    worker: StaffUser
    clerk: StaffUser
    stranger: StaffUser
    building_3: int
    building_5: int
    media: Path

    @property
    def content(self) -> Content:
        """The wording the app runs with."""
        return self.app_client.app.state.services.content  # type: ignore[attr-defined]

    def client(self, username: str) -> TestClient:
        """A client signed in as this member of staff."""
        client = TestClient(self.app_client.app)
        form = client.get("/console/login").text
        client.post("/console/login", data={
            "username": username, "password": PASSWORD, "csrf_token": _csrf(form)})  # fmt: skip
        return client

    def submit(
        self,
        *,
        place: int | None,
        category: str = "shared_bike",
        description: str = "楼道口停满了共享单车",
        at: datetime = NOW,
        reporter: str | None = REPORTER,
        photos: tuple[tuple[str, str], ...] = (),
    ) -> str:
        """A resident's report through bot.reporting.submit; its reference."""
        services = self.app_client.app.state.services
        with unit_of_work(self.database) as session:
            chosen = session.get(Place, place) if place else None
            new = reports.NewReport(
                category=category, description=description, source="wechat",
                reporter_openid=reporter, committee_id=self.worker.committee_id,
                place_id=place, place_text="" if place else "小区里", photos=photos,
            )  # fmt: skip
            report = reporting.submit(session, services.content, new, now=at,
                                      tz=services.settings.tz, sealer=services.sealer,
                                      place=chosen)  # fmt: skip
            return report.reference


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def _desk(database: Engine, tmp_path: Path) -> Desk:
    worker = create_staff(database, "wang", role="grid_worker", committee=EAST)
    clerk = create_staff(database, "clerk", committee=EAST)
    stranger = create_staff(database, "west", committee=WEST)
    with unit_of_work(database) as session:
        places = [
            Place(committee_id=worker.committee_id or 0, kind="building", name="3栋",
                  grid_area="第一网格", handler_id=worker.id),
            Place(committee_id=worker.committee_id or 0, kind="building", name="5栋",
                  grid_area="第二网格"),
        ]  # fmt: skip
        session.add_all(places)
        session.flush()
        ids = [p.id or 0 for p in places]
    media = tmp_path / "media"
    app = create_app(settings_for(database, media_dir=media), database=database)
    app.state.services.clock = lambda: NOW + timedelta(hours=3)
    return Desk(TestClient(app), database, worker, clerk, stranger, ids[0], ids[1], media)


def _references(page: str) -> list[str]:
    return re.findall(r'href="/console/reports/(BS-\d{8}-\d{4})"', page)


def _post(client: TestClient, reference: str, action: str, **fields: str) -> str:
    form = client.get(f"/console/reports/{reference}").text
    answer = client.post(f"/console/reports/{reference}/{action}",
                         data={"csrf_token": _csrf(form), **fields})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.text


def _report(database: Engine, reference: str) -> Report:
    with Session(database) as session:
        found = reports.by_reference(session, reference)
        assert found is not None
        return found


def _pushes(database: Engine, reference: str) -> list[OutboxMessage]:
    """Status updates queued for residents about one report, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.kind == reporting.STATUS_KIND)
    with Session(database) as session:
        queued = session.exec(query.order_by(col(OutboxMessage.id))).all()
    return [m for m in queued if m.payload.get("report") == reference]


def _kinds(database: Engine, reference: str) -> list[str]:
    report = _report(database, reference)
    with Session(database) as session:
        return [e.kind for e in reports.timeline(session, report.id or 0)]


# -- the inbox ---------------------------------------------------------------------------------


def test_a_grid_worker_sees_their_own_reports_first_and_the_filters_narrow_the_list(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    mine = desk.submit(place=desk.building_3, at=NOW - timedelta(hours=2))
    nobodys = desk.submit(place=desk.building_5)
    noise = desk.submit(place=desk.building_3, category="noise", description="夜里装修")
    wang = desk.client("wang")

    own = wang.get("/console/reports")
    assert "我的报事" in own.text
    assert _references(own.text) == [mine]
    row = re.search(rf"<tr>\s*<td><a href=\"/console/reports/{mine}\".*?</tr>", own.text, re.S)
    assert row and "3栋" in row.group(0) and "已提交" in row.group(0) and "wang" in row.group(0)
    assert "5小时" in row.group(0)  # made two hours before NOW, read three hours after it

    every = wang.get("/console/reports?mine=0")
    assert _references(every.text) == [noise, nobodys, mine]
    assert _references(wang.get("/console/reports?mine=0&category=noise").text) == [noise]
    assert _references(wang.get(f"/console/reports?mine=0&place={desk.building_5}").text) == [
        nobodys
    ]
    assert _references(wang.get("/console/reports?mine=0&handler=none").text) == [noise, nobodys]
    assert _references(wang.get(f"/console/reports?mine=0&handler={desk.worker.id}").text) == [mine]
    assert _references(wang.get("/console/reports?mine=0&waiting=4").text) == [mine]
    clerk = desk.client("clerk")
    assert _references(clerk.get("/console/reports").text) == [noise, nobodys, mine]
    assert _references(clerk.get("/console/reports?mine=1").text) == []


def test_a_report_still_waiting_after_the_reminder_is_marked_overdue(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    late = desk.submit(place=desk.building_3)
    fresh = desk.submit(place=desk.building_3)
    with unit_of_work(database) as session:
        report = reports.by_reference(session, late)
        assert report is not None
        reports.mark(session, report, "reminded", NOW)
    page = desk.client("wang").get("/console/reports").text
    rows = {r: re.search(rf"{r}</a>.*?</td>", page, re.S) for r in (late, fresh)}
    assert "超时未受理" in rows[late].group(0)  # type: ignore[union-attr]
    assert "超时未受理" not in rows[fresh].group(0)  # type: ignore[union-attr]


def test_finished_reports_leave_the_default_list_and_bad_filters_are_refused(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    done = desk.submit(place=desk.building_5)
    left = desk.submit(place=desk.building_5)
    clerk = desk.client("clerk")
    _post(clerk, done, "reject", note="不属于本社区")
    assert _references(clerk.get("/console/reports").text) == [left]
    assert _references(clerk.get("/console/reports?status=all").text) == [left, done]
    assert _references(clerk.get("/console/reports?status=rejected").text) == [done]
    for bad in ("status=lost", "category=ufo", "place=x", "waiting=nan", "page=0"):
        answer = clerk.get(f"/console/reports?{bad}")
        assert answer.status_code == 422, bad


def test_the_inbox_pages_fifty_reports_at_a_time(database: Engine, tmp_path: Path) -> None:
    desk = _desk(database, tmp_path)
    made = [desk.submit(place=desk.building_5, at=NOW + timedelta(minutes=i)) for i in range(51)]
    clerk = desk.client("clerk")
    first = clerk.get("/console/reports").text
    assert len(_references(first)) == 50 and "第1页，共2页（51件）" in first
    second = clerk.get("/console/reports?mine=0&page=2").text
    assert _references(second) == [made[0]]


def test_staff_of_another_committee_see_nothing_of_these_reports(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    reference = desk.submit(place=desk.building_3)
    west = desk.client("west")
    assert _references(west.get("/console/reports?mine=0&status=all").text) == []
    assert west.get(f"/console/reports/{reference}").status_code == 404
    home = west.get("/console").text
    assert west.post(f"/console/reports/{reference}/accept",
                     data={"csrf_token": _csrf(home)}).status_code == 404  # fmt: skip
    assert _report(database, reference).status == "submitted"
    sheet = load_workbook(io.BytesIO(west.get("/console/reports/export.xlsx?status=all").content))
    assert sheet.active is not None and sheet.active.max_row == 1  # headings only
    anonymous = TestClient(desk.app_client.app, follow_redirects=False)
    answer = anonymous.get(f"/console/reports/{reference}")
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


# -- one report and its actions ----------------------------------------------------------------


def test_each_action_moves_the_report_adds_to_its_timeline_and_tells_the_reporter(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    reference = desk.submit(place=desk.building_5)
    with unit_of_work(database) as session:
        report = reports.by_reference(session, reference)
        assert report is not None
        reporting.follow(session, desk.content, report, NEIGHBOUR, NOW)
    clerk = desk.client("clerk")
    page = clerk.get(f"/console/reports/{reference}").text
    assert "…1234" in page and REPORTER not in page  # the reporter, masked
    assert "关注人数</dt><dd>1" in page

    steps = [
        ("accept", {"note": "马上安排"}, "accepted", "accepted"),
        ("start", {}, "in_progress", "in_progress"),
        ("note", {"note": "已联系单车公司", "public": "1"}, "in_progress", "note"),
        ("assign", {"assignee_id": str(desk.worker.id)}, "in_progress", "assigned"),
        ("resolve", {"note": "单车已清走"}, "resolved", "resolved"),
        ("close", {}, "closed", "closed"),
    ]
    told = 0
    for action, fields, status, kind in steps:
        answer = _post(clerk, reference, action, **fields)
        assert "已保存" in answer, action
        assert _report(database, reference).status == status, action
        assert _kinds(database, reference)[-1] == kind, action
        pushed = _pushes(database, reference)
        if action == "assign":
            assert len(pushed) == told  # who handles it is not the residents' business
        else:
            assert [m.recipient for m in pushed[told:]] == [REPORTER, NEIGHBOUR], action
            told = len(pushed)
    assert "单车已清走" in pushed[-3].payload["text"]  # the resolve push says what was done
    assert _report(database, reference).assignee_id == desk.worker.id
    _post(clerk, reference, "note", note="内部备注：下次联系物业")  # not ticked: staff only
    assert len(_pushes(database, reference)) == told
    page = clerk.get(f"/console/reports/{reference}").text
    shown = ("提交报事", "受理", "开始处理", "已联系单车公司", "已告知居民", "指派", "处理完成")
    for words in (*shown, "办结", "已办结"):
        assert words in page, words
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td><td>clerk", page)
    with Session(database) as session:
        audited = session.exec(select(AuditEntry.action).where(
            AuditEntry.object_id == reference).order_by(col(AuditEntry.id))).all()  # fmt: skip
    assert audited == ["report.accept", "report.start", "report.note", "report.assign",
                       "report.resolve", "report.close", "report.note"]  # fmt: skip


def test_reject_and_refer_need_their_reason_and_reach_the_reporter(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    rejected = desk.submit(place=desk.building_5)
    referred = desk.submit(place=desk.building_5)
    clerk = desk.client("clerk")
    _post(clerk, rejected, "reject", note="属于物业管理范围")
    _post(clerk, referred, "refer", referred_to="区城管局", note="需要执法")
    assert _report(database, rejected).status == "rejected"
    found = _report(database, referred)
    assert (found.status, found.referred_to) == ("referred", "区城管局")
    [no] = [m.payload["text"] for m in _pushes(database, rejected)]
    assert "不予受理，原因：属于物业管理范围" in no
    [on] = [m.payload["text"] for m in _pushes(database, referred)]
    assert "已转交区城管局处理。需要执法" in on


def test_a_refused_action_is_explained_on_the_page_and_changes_nothing(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    reference = desk.submit(place=desk.building_5)
    clerk = desk.client("clerk")
    closed = _post(clerk, reference, "close")
    assert "这件报事现在是「已提交」，不能办结。" in closed
    no_note = _post(clerk, reference, "resolve", note="  ")
    assert "请写上说明" in no_note
    no_where = _post(clerk, reference, "refer", referred_to="")
    assert "请写上转交给哪个单位" in no_where
    stranger = _post(clerk, reference, "assign", assignee_id=str(desk.stranger.id))
    assert "只能指派给本居委会在用的工作人员" in stranger
    assert _report(database, reference).status == "submitted"
    assert _kinds(database, reference) == ["created"]
    assert _pushes(database, reference) == []
    form = clerk.get(f"/console/reports/{reference}").text
    unknown = clerk.post(f"/console/reports/{reference}/delete", data={"csrf_token": _csrf(form)})
    assert unknown.status_code == 404
    no_token = clerk.post(f"/console/reports/{reference}/accept", data={})
    assert no_token.status_code == 403


def test_a_refusal_keeps_what_was_typed(database: Engine, tmp_path: Path) -> None:
    desk = _desk(database, tmp_path)
    reference = desk.submit(place=desk.building_5)
    clerk = desk.client("clerk")
    answer = _post(clerk, reference, "refer", referred_to=" ", note="需要<执法>")
    assert "请写上转交给哪个单位" in answer and ">需要&lt;执法&gt;</textarea>" in answer


# -- photos ------------------------------------------------------------------------------------


def test_staff_see_stored_photos_and_a_word_for_those_still_coming(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    photos = (("media-1", "http://x/1.jpg"), ("media-2", "http://x/2.jpg"),
              ("media-3", "http://x/3.jpg"))  # fmt: skip
    reference = desk.submit(place=desk.building_3, photos=photos)
    (desk.media / "reports").mkdir(parents=True)
    (desk.media / "reports" / "one.jpg").write_bytes(b"\xff\xd8jpeg bytes")
    (tmp_path / "secret.txt").write_text("not a photo")
    with unit_of_work(database) as session:
        stored = session.exec(select(ReportPhoto).order_by(col(ReportPhoto.position))).all()
        stored[0].status, stored[0].path = "stored", "reports/one.jpg"
        stored[0].content_type = "image/jpeg"
        stored[2].status, stored[2].path = "stored", "../secret.txt"
        session.add_all([stored[0], stored[2]])
    wang = desk.client("wang")
    page = wang.get(f"/console/reports/{reference}").text
    assert f'<img src="/console/reports/{reference}/photos/1"' in page
    assert "照片下载中" in page
    first = wang.get(f"/console/reports/{reference}/photos/1")
    assert first.status_code == 200 and first.content == b"\xff\xd8jpeg bytes"
    assert first.headers["content-type"] == "image/jpeg"
    assert wang.get(f"/console/reports/{reference}/photos/2").status_code == 404  # pending
    assert wang.get(f"/console/reports/{reference}/photos/3").status_code == 404  # outside
    assert wang.get(f"/console/reports/{reference}/photos/9").status_code == 404
    assert desk.client("west").get(f"/console/reports/{reference}/photos/1").status_code == 404
    anonymous = TestClient(desk.app_client.app, follow_redirects=False)
    answer = anonymous.get(f"/console/reports/{reference}/photos/1")
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


# -- export and figures ------------------------------------------------------------------------


def _sheet(client: TestClient, query: str) -> tuple[list[str], dict[str, dict[str, object]]]:
    """An export's headings, and its rows by reference (its first column)."""
    answer = client.get(f"/console/reports/export.xlsx?{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    table = [[str(v) if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    headings = [str(h) for h in table[0]]
    flat = " ".join(str(v) for row in table for v in row)
    assert REPORTER not in flat and REPORTER[-4:] not in flat  # never an openid, even in part
    return headings, {str(row[0]): dict(zip(headings, row, strict=True)) for row in table[1:]}


def test_the_export_has_the_layouts_headings_and_a_row_per_report_without_openids(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    first = desk.submit(place=desk.building_3, description='=HYPERLINK("http://evil")')
    second = desk.submit(place=desk.building_5, category="noise", description="夜里\x0b装修")
    clerk = desk.client("clerk")
    _post(clerk, first, "resolve", note="单车已清走")
    layouts = desk.app_client.app.state.services.content.report_exports.layouts

    headings, linli = _sheet(clerk, "layout=linli&status=all")
    assert headings == [c.heading for c in layouts["linli"].columns]
    assert list(linli) == [second, first]
    assert linli[first]["状态"] == "已处理" and linli[first]["处理结果"] == "单车已清走"
    assert linli[first]["处理用时（分钟）"] == 180 and linli[first]["照片数"] == 0

    headings, grid = _sheet(clerk, "layout=grid&status=all")
    assert headings[:5] == ["事件编号", "事件类型", "事件描述", "发生地址", "所属网格"]
    assert grid[first]["事件类型"] == "共享单车乱停放"
    assert grid[first]["事件描述"] == '=HYPERLINK("http://evil")'  # text, not a formula
    assert grid[first]["发生地址"] == "3栋" and grid[first]["所属网格"] == "第一网格"
    assert grid[first]["处置状态"] == "已处置" and grid[first]["处置结果"] == "单车已清走"
    assert grid[first]["处置人"] == "wang" and grid[first]["事件来源"] == "群众微信上报"
    assert grid[first]["上报时间"] == datetime(2026, 11, 28, 10, 0)  # Asia/Shanghai wall clock
    assert grid[second]["处置状态"] == "待受理" and grid[second]["事件描述"] == "夜里装修"

    _, noise = _sheet(clerk, "layout=grid&mine=0&category=noise")
    assert list(noise) == [second]
    assert clerk.get("/console/reports/export.xlsx?layout=excel").status_code == 422


def test_the_linli_layout_holds_every_field(database: Engine, tmp_path: Path) -> None:
    from config.report_exports import FIELDS

    content = _desk(database, tmp_path).app_client.app.state.services.content
    used = [c.field for c in content.report_exports.layouts["linli"].columns]
    assert sorted(used) == sorted(FIELDS)


def test_home_and_inbox_show_this_months_figures(database: Engine, tmp_path: Path) -> None:
    desk = _desk(database, tmp_path)
    reference = desk.submit(place=desk.building_3)
    desk.submit(place=desk.building_5, category="noise")
    wang = desk.client("wang")
    _post(wang, reference, "accept")
    home = wang.get("/console").text
    assert "近30天的报事" in home and "<strong>2</strong>" in home
    assert "共享单车乱停放 1" in home and "噪音扰民 1" in home and "已受理 1" in home
    assert "3小时" in home  # accepted three hours after it was made
    assert "近30天的报事" in wang.get("/console/reports").text
    assert 'href="/console/reports"' in home  # 报事 in the navigation


def test_a_clerk_reveals_the_numbers_of_a_report_and_the_reveal_is_audited(
    database: Engine, tmp_path: Path
) -> None:
    desk = _desk(database, tmp_path)
    t = desk.app_client.app.state.services.content.console
    reference = desk.submit(place=desk.building_5, description="5栋漏水，电话13912345678")
    clerk = desk.client("clerk")
    shown = clerk.get(f"/console/reports/{reference}").text
    assert "139****5678" in shown and "13912345678" not in shown
    assert t.report_reveal_button in shown
    revealed = clerk.post(f"/console/reports/{reference}/reveal",
                          data={"csrf_token": _csrf(shown)})  # fmt: skip
    assert revealed.status_code == 200
    assert "5栋漏水，电话13912345678" in revealed.text
    assert t.report_revealed_audited in revealed.text
    # wang is a grid worker who does not handle 5栋: no button, and the reveal is refused.
    worker = desk.client("wang")
    page = worker.get(f"/console/reports/{reference}").text
    assert t.report_reveal_button not in page
    refused = worker.post(f"/console/reports/{reference}/reveal",
                          data={"csrf_token": _csrf(page)})  # fmt: skip
    assert refused.status_code == 403
    assert t.report_reveal_refused in refused.text and "13912345678" not in refused.text
    with Session(database) as session:
        reveals = session.exec(select(AuditEntry).where(AuditEntry.action == "report.reveal"))
        assert [(e.actor, e.object_id) for e in reveals] == [("clerk", reference)]
