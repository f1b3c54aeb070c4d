"""At 东风's desk the clerk opens 今日预约: this afternoon's 年审 visits by time, each with its
programme and resident (masked), and marks each one — 到了并办结 (the record completes),
到了未办完 (still to be done) or 没来 — audited; a visit a colleague marked already is said so in
Chinese, and another committee finds none of it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, select

from store.reviews.models import Appointment
from tests.bot.console.test_reviews import (
    FAMILY,
    LONGEVITY,
    TODAY,
    Desk,
    actions,
    add_record,
    book,
    cells,
    desk,
    no_whole_numbers,
    state_of,
)
from tests.chat import WORDS
from tests.resident_helpers import csrf

__all__ = ["desk"]  # the fixture, shared with the tracker's tests
VISITS = "/console/visits"


def visit_states(desk: Desk) -> dict[int, str]:
    """Each appointment's state, by id."""
    with Session(desk.database) as session:
        found = session.exec(select(Appointment).order_by(col(Appointment.id)))
        return {a.id or 0: a.state for a in found}


def _post(desk: Desk, page: str, visit: int, outcome: str) -> str:
    answer = desk.clerk.post(f"{VISITS}/{visit}", data={
        "csrf_token": csrf(page), "outcome": outcome, "day": TODAY.isoformat()})  # fmt: skip
    assert answer.status_code == 200
    return answer.text


def test_today_lists_the_visits_by_time_with_programme_and_masked_resident(desk: Desk) -> None:
    late = book(desk.database, desk.man, 15, 30, openid=None)
    early = book(desk.database, desk.woman, 14)
    longevity = add_record(desk.database, desk.registry.woman, desk.registry.committee_id,
                           programme=LONGEVITY)  # fmt: skip
    tomorrow = book(desk.database, longevity, 14, day=TODAY + timedelta(days=1))
    page = desk.clerk.get(VISITS)
    assert page.status_code == 200
    assert "<h1>今日预约</h1>" in page.text and "11月30日（周一）" in page.text
    assert "共 2 人预约，还有 2 人没有登记。" in page.text
    order = re.findall(r'<tr id="visit-(\d+)">', page.text)
    assert order == [str(early), str(late)]
    first = cells(page.text, f"visit-{early}")
    assert first[:5] == ["下午2:00", WORDS.reviews.by_key[FAMILY].name, "张*英", "138****5678",
                         "等待到访"]  # fmt: skip
    assert cells(page.text, f"visit-{late}")[2:4] == ["王*国", "139****4321"]
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", page.text.split(f'id="visit-{early}"')[1]
                         .split("</tr>")[0])  # fmt: skip
    assert buttons == ["到了并办结", "到了未办完", "没来"]
    no_whole_numbers(page.text)
    # The next day holds the longevity visit; the links walk day by day.
    assert '<a href="/console/visits?day=2026-12-01">后一天</a>' in page.text
    next_day = desk.clerk.get(VISITS, params={"day": "2026-12-01"}).text
    assert "<h1>12月1日（周二）的预约</h1>" in next_day
    assert re.findall(r'<tr id="visit-(\d+)">', next_day) == [str(tomorrow)]
    assert '<a href="/console/visits?day=2026-11-30">今天</a>' in next_day
    assert "这一天没有预约。" in desk.clerk.get(VISITS, params={"day": "2026-11-29"}).text


def test_came_and_done_completes_the_record_and_is_audited(desk: Desk) -> None:
    visit = book(desk.database, desk.woman, 14)
    page = desk.clerk.get(VISITS).text
    done = _post(desk, page, visit, "done")
    assert "已登记：到了并办结，年审记录已办结。" in done
    assert cells(done, f"visit-{visit}")[4] == "已到" and "共 1 人预约，还有 0 人没有登记。" in done
    assert state_of(desk.database, desk.woman) == "completed"
    assert visit_states(desk)[visit] == "attended"
    assert ("review.complete", str(desk.woman)) in actions(desk.database)
    assert actions(desk.database, "visit.") == [("visit.attend", str(visit))]
    record = desk.clerk.get(f"/console/reviews/records/{desk.woman}").text
    assert "现场办理" in record


def test_came_but_not_done_and_did_not_come_leave_the_review_to_do(desk: Desk) -> None:
    came = book(desk.database, desk.woman, 14)
    missed = book(desk.database, desk.man, 14, 30, openid=None)
    page = desk.clerk.get(VISITS).text
    after = _post(desk, page, came, "came")
    assert "已登记：到了但没办完，居民还需要再办。" in after
    after = _post(desk, after, missed, "no_show")
    assert "已登记：没来。" in after and cells(after, f"visit-{missed}")[4] == "没来"
    assert state_of(desk.database, desk.woman) == state_of(desk.database, desk.man) == "reminded"
    assert visit_states(desk) == {came: "attended", missed: "no_show"}
    # A no-show marked by mistake may still be put right: the resident did come.
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", after.split(f'id="visit-{missed}"')[1]
                         .split("</tr>")[0])  # fmt: skip
    assert buttons == ["到了并办结", "到了未办完"]


def test_a_visit_marked_already_is_said_so_and_bad_input_in_chinese(desk: Desk) -> None:
    visit = book(desk.database, desk.woman, 14)
    page = desk.clerk.get(VISITS).text
    _post(desk, page, visit, "no_show")
    again = _post(desk, page, visit, "no_show")
    assert "这次预约已经登记过了（可能是同事刚点的）" in again
    odd = _post(desk, page, visit, "maybe")
    assert "请点“到了并办结”“到了未办完”或“没来”之一。" in odd
    bad_day = desk.clerk.get(VISITS, params={"day": "2026-13-40"})
    assert bad_day.status_code == 200 and "日期请按“年-月-日”填写" in bad_day.text
    assert "<h1>今日预约</h1>" in bad_day.text
    assert desk.clerk.post(f"{VISITS}/{visit}", data={"outcome": "done"}).status_code == 403
    assert visit_states(desk)[visit] == "no_show"


def test_another_committee_finds_none_of_it(desk: Desk) -> None:
    visit = book(desk.database, desk.woman, 14)
    west = desk.registry.client("west")
    page = west.get(VISITS).text
    assert "这一天没有预约。" in page and "张*英" not in page
    refused = west.post(f"{VISITS}/{visit}", data={
        "csrf_token": csrf(page), "outcome": "done", "day": TODAY.isoformat()})  # fmt: skip
    assert refused.status_code == 404 and "没有找到" in refused.text
    assert visit_states(desk)[visit] == "booked" and state_of(desk.database, desk.woman) == "booked"


def test_done_on_the_record_page_of_a_booked_record_attends_its_visit(desk: Desk) -> None:
    visit = book(desk.database, desk.woman, 14)
    address = f"/console/reviews/records/{desk.woman}"
    page = desk.clerk.get(address).text
    done = desk.clerk.post(f"{address}/complete", data={"csrf_token": csrf(page)})
    assert "已记录：现场办结。" in done.text
    assert visit_states(desk)[visit] == "attended"
    assert state_of(desk.database, desk.woman) == "completed"
