"""东风's clerk follows this year's 独生子女年审 in the console: how many residents are at each
state and in each building, the list filtered and exported, several marked 免办 at once with a
reason, one record's history and the changes its state allows, and the call list of those WeChat
cannot reach (mobiles masked; a reveal is audited). Another committee sees none of it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from config.review_content import Hours
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.registry.history import Source
from store.registry.models import Resident
from store.registry.residents import add_resident
from store.reviews import appointments, records
from store.reviews.models import (
    BOOKED_VISIT,
    CANCELLED,
    DUE,
    PLANNER,
    REMINDED,
    Appointment,
    ReviewRecord,
    ReviewTransition,
)
from store.staff.models import AuditEntry
from tests.chat import SEALER, WORDS
from tests.resident_helpers import MAN, MAN_MOBILE, NOW, WOMAN, WOMAN_MOBILE, Registry, csrf
from tests.resident_helpers import build_registry as registry_of
from tests.store.campaigns.conftest import DAUGHTER, HERSELF, bind

TZ = ZoneInfo("Asia/Shanghai")
FAMILY, LONGEVITY = "family_planning_review", "longevity_confirmation"
TRACKER = "/console/reviews"
STATES = WORDS.reviews.words.states
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)
# 东风's office hours in these tests: every afternoon, two places each half hour.
CFG = WORDS.reviews.words.appointments.model_copy(
    update={"hours": (Hours(weekdays=EVERY_DAY, start="14:00", end="17:00"),), "capacity": 2}
)
TODAY = date(2026, 11, 30)  # NOW is 11:00 in 东风


@dataclass
class Desk:
    """东风's registry with this year's records — 张秀英 reminded (bound herself), 王建国
    reminded (not bound), 张小明 self-reported through his mother's WeChat — one record of 西湖,
    and the clerk's browser."""

    registry: Registry
    clerk: TestClient
    woman: int  # record ids
    man: int
    boy: int
    west: int

    @property
    def database(self) -> Engine:
        """The test's database."""
        return self.registry.database


def add_record(
    database: Engine, resident_id: int, committee_id: int, *, programme: str = FAMILY,
    state: str = REMINDED, cycle: int = 2026,
) -> int:  # fmt: skip
    """A record as the daily plan leaves it: created due, then reminded."""
    created = datetime(2026, 11, 1, 0, 30, tzinfo=TZ)
    with unit_of_work(database) as session:
        record = ReviewRecord(
            programme=programme, cycle=cycle, resident_id=resident_id, committee_id=committee_id,
            state=DUE, opens_on=date(2026, 11, 1), closes_on=date(2026, 12, 31),
            created_at=created, updated_at=created,
        )  # fmt: skip
        session.add(record)
        session.flush()
        session.add(ReviewTransition(record_id=record.id or 0, to_state=DUE, at=created,
                                     actor_kind=PLANNER))  # fmt: skip
        if state != DUE:
            records.transition(session, record, REMINDED, now=created, actor_kind=PLANNER)
        return record.id or 0


def self_report(database: Engine, record_id: int, openid: str) -> None:
    """The resident (or their proxy) said in chat it is done online."""
    with unit_of_work(database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        records.move(session, record, records.SELF_REPORT, now=NOW, openid=openid)


def book(database: Engine, record_id: int, hour: int, minute: int = 0, day: date = TODAY,
         openid: str | None = HERSELF) -> int:  # fmt: skip
    """A visit booked in chat at a local time: the appointment's id."""
    with unit_of_work(database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        starts = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
        booked = appointments.book(session, record, starts, CFG, now=NOW, tz=TZ, openid=openid)
        assert booked is not None
        return booked.id or 0


def west_resident(registry: Registry) -> int:
    """西湖's resident 李西湖."""
    committee_id = registry.stranger.committee_id or 0
    with unit_of_work(registry.database) as session:
        person = add_resident(session, SEALER, committee_id=committee_id,
                              values={"name": "李西湖", "mobile": "13700001111"},
                              source=Source.imported("西湖.xlsx", 2), now=NOW)  # fmt: skip
        return person.id or 0


def build_desk(database: Engine) -> Desk:
    """The registry, its bindings and this year's records."""
    registry = registry_of(database)
    bind(database, HERSELF, registry.woman)
    bind(database, DAUGHTER, registry.boy, kind="proxy", relation="parent")
    east = registry.committee_id
    woman, man, boy = (add_record(database, r, east)
                       for r in (registry.woman, registry.man, registry.boy))  # fmt: skip
    self_report(database, boy, DAUGHTER)
    west = add_record(database, west_resident(registry), registry.stranger.committee_id or 0)
    return Desk(registry, registry.client("clerk"), woman, man, boy, west)


@pytest.fixture
def desk(database: Engine) -> Desk:
    """东风's records and the clerk signed in."""
    return build_desk(database)


def state_of(database: Engine, record_id: int) -> str:
    """A record's state now."""
    with Session(database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        return record.state


def actions(database: Engine, prefix: str = "review.") -> list[tuple[str, str | None]]:
    """The audit log's review entries: (action, object id), oldest first."""
    with Session(database) as session:
        query = select(AuditEntry.action, AuditEntry.object_id).where(
            col(AuditEntry.action).startswith(prefix)
        )
        return [tuple(row) for row in session.exec(query.order_by(col(AuditEntry.id)))]  # type: ignore[misc]


def figures(page: str, table: str = "counts") -> dict[str, str]:
    """The large counters: label → figure."""
    found = re.search(rf'<ul class="[^"]*" id="{table}">(.*?)</ul>', page, re.S)
    assert found, table
    return dict(re.findall(r'<span class="tally">(.*?)</span>(?:</a>)? <strong>(\d+)</strong>',
                           found[1]))  # fmt: skip


def row_cells(row: str) -> list[str]:
    """A table row's cells as text."""
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def cells(page: str, row_id: str) -> list[str]:
    """The cells of the table row with this id, as text."""
    found = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert found, row_id
    return row_cells(found[1])


def no_whole_numbers(text: str) -> None:
    """No full ID card or mobile number on the page."""
    for whole in (WOMAN, MAN, WOMAN_MOBILE, MAN_MOBILE):
        assert whole not in text


def test_the_tracker_counts_each_state_and_each_building(desk: Desk) -> None:
    page = desk.clerk.get(TRACKER)
    assert page.status_code == 200
    assert f"<h2>{WORDS.reviews.by_key[FAMILY].name} · 2026年</h2>" in page.text
    shown = figures(page.text)
    assert shown["应办人数"] == "3"
    assert (shown[STATES["reminded"]], shown[STATES["self_reported"]]) == ("2", "1")
    assert shown[STATES["completed"]] == "0" and shown["联系不上"] == "1"
    assert "已退订" in shown
    # 3栋 holds 张秀英 and 王建国; 张小明 has no home in the registry.
    building = re.search(r'<table class="stack" id="buildings">(.*?)</table>', page.text, re.S)
    assert building
    rows = [row_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", building[1], re.S)[1:]]
    assert ["3栋", "2", "2", "0", "0", "0", "0"] in rows
    assert ["未登记楼栋", "1", "0", "0", "1", "0", "0"] in rows
    assert "年审" in page.text and '<a href="/console/reviews">年审</a>' in page.text  # the nav
    no_whole_numbers(page.text)


def test_the_list_is_filtered_and_exported_as_the_same_rows(desk: Desk) -> None:
    everyone = desk.clerk.get(TRACKER).text
    assert cells(everyone, f"record-{desk.woman}")[1:4] == ["张*英", "3栋", STATES["reminded"]]
    assert f'id="record-{desk.west}"' not in everyone
    waiting = desk.clerk.get(TRACKER, params={"state": "self_reported"}).text
    assert f'id="record-{desk.boy}"' in waiting and f'id="record-{desk.woman}"' not in waiting
    assert "共 1 人" in waiting
    in_3 = desk.clerk.get(TRACKER, params={"place_id": desk.registry.building}).text
    assert f'id="record-{desk.man}"' in in_3 and f'id="record-{desk.boy}"' not in in_3
    link = re.search(r'<a href="(/console/reviews/export\.xlsx\?[^"]+)">导出 Excel</a>', in_3)
    assert link
    sheet = desk.clerk.get(link[1].replace("&amp;", "&"))
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    name = unquote(sheet.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == f"{WORDS.reviews.by_key[FAMILY].name}2026年名单-20261130.xlsx"
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("居民", "手机号", "楼栋", "状态", "办理时间", "预约", "办结时间")
    assert sorted(r[0] for r in rows[1:]) == ["张*英", "王*国"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["王*国"][:4] == ("王*国", "139****4321", "3栋", STATES["reminded"])
    assert "2026年11月1日 至 2026年12月31日" in {r[4] for r in rows[1:]}
    no_whole_numbers(" ".join(str(c) for r in rows for c in r))
    assert actions(desk.database) == [("review.export", FAMILY)]


def test_several_records_are_marked_exempt_with_one_reason_each_audited(desk: Desk) -> None:
    visit = book(desk.database, desk.woman, 14)
    page = desk.clerk.get(TRACKER).text
    form = {"csrf_token": csrf(page), "programme": FAMILY, "cycle": "2026", "change": "exempt",
            "record_id": [str(desk.woman), str(desk.man)]}  # fmt: skip
    missing = desk.clerk.post("/console/reviews/bulk", data={**form, "note": "  "})
    assert missing.status_code == 200 and "请写明原因。" in missing.text
    assert "checked" in cells(missing.text, f"record-{desk.woman}")[0] or "checked" in missing.text
    assert actions(desk.database) == []
    done = desk.clerk.post("/console/reviews/bulk", data={**form, "note": "已享受其他补助"})
    assert done.status_code == 200 and "已将 2 位居民标为“免办”。" in done.text
    assert state_of(desk.database, desk.woman) == state_of(desk.database, desk.man) == "exempt"
    logged = actions(desk.database)
    assert ("review.exempt", str(desk.woman)) in logged and (
        "review.exempt",
        str(desk.man),
    ) in logged
    with Session(desk.database) as session:
        appointment = session.get(Appointment, visit)
        assert appointment is not None and appointment.state == CANCELLED  # the place is freed
        query = select(ReviewTransition.note).where(
            ReviewTransition.record_id == desk.man, ReviewTransition.to_state == "exempt"
        )
        notes = session.exec(query).all()
    assert notes == ["已享受其他补助"]
    again = desk.clerk.post("/console/reviews/bulk", data={**form, "note": "再点一次"})
    assert "已将 0 位居民标为“免办”。另有 2 位的状态已经变了" in again.text


def test_a_record_page_tells_its_history_and_offers_what_its_state_allows(desk: Desk) -> None:
    address = f"/console/reviews/records/{desk.boy}"
    page = desk.clerk.get(address).text
    assert "张*明" in page and STATES["self_reported"] in page
    assert "2026年11月1日 至 2026年12月31日" in page
    history = re.search(r'<table class="timeline stack" id="history">(.*?)</table>', page, re.S)
    assert history
    steps = [row_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", history[1], re.S)[1:]]
    assert [s[1:3] for s in steps] == [
        ["邻里（每日自动）", STATES["due"]],
        ["邻里（每日自动）", f"{STATES['due']} → {STATES['reminded']}"],
        ["居民在微信里", f"{STATES['reminded']} → {STATES['self_reported']}"],
    ]
    assert steps[0][0] == "2026-11-01 00:30"
    buttons = re.findall(rf'action="{address}/(\w+)"', page)
    assert buttons == ["confirm", "reject", "complete", "exempt", "move_away"]
    confirmed = desk.clerk.post(f"{address}/confirm", data={"csrf_token": csrf(page)})
    assert confirmed.status_code == 200 and "已记录：确认已办（网上）。" in confirmed.text
    assert state_of(desk.database, desk.boy) == "completed"
    assert "网上办理" in confirmed.text and "2026-11-30 11:00" in confirmed.text
    assert re.findall(rf'action="{address}/(\w+)"', confirmed.text) == ["reopen"]
    history = re.search(r'id="history">(.*?)</table>', confirmed.text, re.S)
    assert history
    last = row_cells(re.findall(r"<tr>(.*?)</tr>", history[1], re.S)[-1])
    moved = f"{STATES['self_reported']} → {STATES['completed']}"
    assert last == ["2026-11-30 11:00", "clerk", moved, ""]  # who confirmed, by name
    assert actions(desk.database) == [("review.confirm", str(desk.boy))]


def test_not_done_after_all_and_undoing_a_closed_record_need_their_words(desk: Desk) -> None:
    address = f"/console/reviews/records/{desk.boy}"
    token = csrf(desk.clerk.get(address).text)
    desk.clerk.post(f"{address}/reject", data={"csrf_token": token, "note": "系统里查不到"})
    assert state_of(desk.database, desk.boy) == "reminded"
    page = desk.clerk.post(f"{address}/move_away", data={"csrf_token": token, "note": ""})
    assert "请写明原因。" in page.text and state_of(desk.database, desk.boy) == "reminded"
    too_long = desk.clerk.post(
        f"{address}/move_away", data={"csrf_token": token, "note": "长" * 201}
    )
    assert "原因请写在 200 个字以内。" in too_long.text
    desk.clerk.post(f"{address}/move_away", data={"csrf_token": token, "note": "已迁往外省"})
    assert state_of(desk.database, desk.boy) == "moved_away"
    stale = desk.clerk.post(f"{address}/exempt", data={"csrf_token": token, "note": "重复"})
    assert "这条记录现在是“已迁出”，不能“免办”" in stale.text
    reopened = desk.clerk.post(f"{address}/reopen", data={"csrf_token": token, "note": "点错了"})
    assert "已记录：撤销（恢复为待办）。" in reopened.text
    assert state_of(desk.database, desk.boy) == "reminded"
    assert [a for a, _ in actions(desk.database)] == ["review.reject", "review.move_away",
                                                       "review.reopen"]  # fmt: skip


def test_the_call_list_says_why_and_a_reveal_is_audited(desk: Desk) -> None:
    with unit_of_work(desk.database) as session:
        message_id = outbox.enqueue(
            session, key=f"review:{desk.woman}:opens", audience=outbox.RESIDENT,
            recipient=HERSELF, kind="review_reminder", payload={"text": "x", "data": {"text": "x"}},
            now=NOW, committee_id=desk.registry.committee_id,
        )  # fmt: skip
        assert message_id is not None
        outbox.settle(session, message_id, outbox.Outcome("unreachable", error="window_closed"),
                      NOW)  # fmt: skip
        record = session.get(ReviewRecord, desk.woman)
        assert record is not None
        record.reminder_id, record.last_stage = message_id, "opens"
        session.add(record)
    page = desk.clerk.get("/console/reviews/calls").text
    assert "共 2 位居民要打电话。" in page
    woman, man = cells(page, f"call-{desk.woman}"), cells(page, f"call-{desk.man}")
    assert woman[0] == "张*英" and "3栋 2 301" in woman[1] and "138****5678" in woman[2]
    reason = WORDS.notifications.call_list.reason("window_closed", None)
    assert woman[3] == f"提醒没能送达：{reason}"
    assert man[3] == "没有在微信绑定" and "139****4321" in man[2]
    assert f'id="call-{desk.boy}"' not in page  # self-reported: nothing left to remind
    no_whole_numbers(page)
    action = f"/console/residents/{desk.registry.man}/reveal"
    why = re.search(rf'action="{action}".*?name="why" maxlength="200" size="12" value="([^"]*)"',
                    page, re.S)  # fmt: skip
    assert why and why[1] == f"{WORDS.reviews.by_key[FAMILY].name}，电话提醒"
    shown = desk.clerk.post(action, data={"csrf_token": csrf(page), "field": "mobile",
                                          "why": why[1]})  # fmt: skip
    assert shown.status_code == 200 and MAN_MOBILE in shown.text
    assert actions(desk.database, "resident.reveal") == [
        ("resident.reveal", str(desk.registry.man))
    ]


def test_another_committee_finds_none_of_it(desk: Desk) -> None:
    west = desk.registry.client("west")
    listed = west.get(TRACKER).text
    assert f'id="record-{desk.west}"' in listed and f'id="record-{desk.woman}"' not in listed
    assert "张*英" not in listed and "张*英" not in west.get("/console/reviews/calls").text
    token = csrf(listed)
    assert west.get(f"/console/reviews/records/{desk.woman}").status_code == 404
    for change in ("exempt", "confirm", "complete"):
        refused = west.post(f"/console/reviews/records/{desk.woman}/{change}",
                            data={"csrf_token": token, "note": "x"})  # fmt: skip
        assert refused.status_code == 404 and "没有找到" in refused.text
    bulk = west.post("/console/reviews/bulk", data={
        "csrf_token": token, "programme": FAMILY, "cycle": "2026", "change": "exempt",
        "note": "x", "record_id": [str(desk.west), str(desk.woman)]})  # fmt: skip
    assert bulk.status_code == 404
    sheet = west.get("/console/reviews/export.xlsx", params={"programme": FAMILY})
    text = " ".join(str(c) for r in load_workbook(io.BytesIO(sheet.content)).active.iter_rows(
        values_only=True) for c in r)  # fmt: skip
    assert "李*湖" in text and "张*英" not in text
    assert state_of(desk.database, desk.woman) == "reminded"
    assert state_of(desk.database, desk.west) == "reminded"


def test_a_form_without_its_token_changes_nothing(desk: Desk) -> None:
    address = f"/console/reviews/records/{desk.boy}"
    assert desk.clerk.post(f"{address}/confirm", data={}).status_code == 403
    assert desk.clerk.post(f"{address}/confirm", data={"csrf_token": "forged"}).status_code == 403
    form = {"programme": FAMILY, "change": "exempt", "note": "x", "record_id": str(desk.man)}
    bulk = desk.clerk.post("/console/reviews/bulk", data=form)
    assert bulk.status_code == 403
    assert state_of(desk.database, desk.boy) == "self_reported"
    assert state_of(desk.database, desk.man) == "reminded" and actions(desk.database) == []


def test_a_grid_worker_follows_the_tracker_but_changes_nothing(desk: Desk) -> None:
    grid = desk.registry.client("grid")
    page = grid.get(TRACKER).text
    assert f'id="record-{desk.woman}"' in page and 'id="bulk"' in page
    assert 'name="record_id"' not in page and "标记所选居民" not in page
    record = grid.get(f"/console/reviews/records/{desk.boy}").text
    assert "这条记录现在没有可以做的操作。" in record and "/confirm" not in record
    refused = grid.post(f"/console/reviews/records/{desk.boy}/confirm",
                        data={"csrf_token": csrf(record)})  # fmt: skip
    assert refused.status_code == 404 and state_of(desk.database, desk.boy) == "self_reported"
    assert "查看完整号码" not in record  # grid workers never reveal


def test_links_that_cannot_be_meant_are_answered_in_chinese(desk: Desk) -> None:
    for params in ({"programme": "nonsense"}, {"state": "lost"}, {"cycle": "20260"},
                   {"page": "0"}, {"place_id": "abc"}):  # fmt: skip
        answer = desk.clerk.get(TRACKER, params=params)
        assert answer.status_code == 422 and "无法处理" in answer.text, params
        assert "detail" not in answer.text
    assert desk.clerk.get("/console/reviews/records/99999").status_code == 404
    token = csrf(desk.clerk.get(TRACKER).text)
    unknown = desk.clerk.post(f"/console/reviews/records/{desk.man}/delete",
                              data={"csrf_token": token})  # fmt: skip
    assert unknown.status_code == 404 and "没有找到" in unknown.text
    nothing = desk.clerk.post("/console/reviews/bulk", data={
        "csrf_token": token, "programme": FAMILY, "cycle": "2026", "change": "exempt",
        "note": "x"})  # fmt: skip
    assert "请先在名单里勾选居民。" in nothing.text
    neither = desk.clerk.post("/console/reviews/bulk", data={
        "csrf_token": token, "programme": FAMILY, "cycle": "2026", "change": "complete",
        "note": "x", "record_id": str(desk.man)})  # fmt: skip
    assert "请选择“免办”还是“已迁出”。" in neither.text
    assert state_of(desk.database, desk.man) == "reminded"


def test_the_longevity_tracker_is_its_own(desk: Desk) -> None:
    add_record(desk.database, desk.registry.woman, desk.registry.committee_id,
               programme=LONGEVITY, cycle=2027)  # fmt: skip
    page = desk.clerk.get(TRACKER, params={"programme": LONGEVITY}).text
    assert figures(page)["应办人数"] == "1"
    assert '<option value="2027" selected>2027年</option>' in page  # the only cycle there is
    assert f"{WORDS.reviews.by_key[LONGEVITY].name} · 2027年" in page


def test_visit_of_a_booked_record_is_on_its_page(desk: Desk) -> None:
    book(desk.database, desk.woman, 14, 30)
    page = desk.clerk.get(f"/console/reviews/records/{desk.woman}").text
    assert '<a href="/console/visits?day=2026-11-30">11月30日（周一）下午2:30</a>' in page
    with Session(desk.database) as session:
        booked = session.exec(select(Appointment).where(Appointment.record_id == desk.woman)).one()
    assert booked.state == BOOKED_VISIT


def test_the_list_comes_fifty_a_page_keeping_its_filters(desk: Desk) -> None:
    east = desk.registry.committee_id
    with unit_of_work(desk.database) as session:
        people = [Resident(committee_id=east, name=f"住户{n:02d}", created_at=NOW, updated_at=NOW)
                  for n in range(52)]  # fmt: skip
        session.add_all(people)
        session.flush()
        ids = [p.id or 0 for p in people]
    for resident_id in ids:
        add_record(desk.database, resident_id, east)
    first = desk.clerk.get(TRACKER, params={"state": "reminded"}).text
    assert "共 54 人。" in first and "第 1 / 2 页" in first
    assert len(re.findall(r'<tr id="record-\d+">', first)) == 50
    link = re.search(r'<a href="([^"]+)">下一页</a>', first)
    assert link and "state=reminded" in link[1] and "page=2" in link[1]
    second = desk.clerk.get(link[1].replace("&amp;", "&")).text
    assert len(re.findall(r'<tr id="record-\d+">', second)) == 4 and "上一页" in second
