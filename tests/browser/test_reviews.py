"""Staff see today's 年审 appointments and complete one, in a real browser: the clerk opens 年审,
then 今日预约, finds the resident's visit by its time, marks 到了并办结, and the resident's record
reads 已办结 — on a desktop and on a 390 px phone, where no page may scroll sideways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from config.review_content import Appointments, Hours
from store.db import make_engine, unit_of_work
from store.places.models import Place
from store.registry.models import Resident
from store.reviews import appointments, records
from store.reviews.models import DUE, PLANNER, REMINDED, ReviewRecord, ReviewTransition
from store.staff.accounts import committees_named
from tests.browser.conftest import CLERK_PASSWORD, COMMITTEE, Server, _linli
from tests.flows.test_identity import valid_id

pytestmark = pytest.mark.browser

TZ = ZoneInfo("Asia/Shanghai")  # the server's default zone
SHEET = (
    "姓名,身份证号,联系电话,楼栋,单元,房号\n"
    f"欧阳明月,{valid_id('11010519480312002')},13955556666,7栋,1,302\n"
    f"李秀兰,{valid_id('11010519580621002')},13900001111,7栋,2,101\n"
    f"王桂芳,{valid_id('11010519600101002')},13700002222,7栋,2,102\n"
)
# Visits at the desk every day, so whatever day the test runs on has them.
CFG = Appointments(hours=(Hours(weekdays=(1, 2, 3, 4, 5, 6, 7), start="09:00", end="17:00"),))
# Which resident each width completes, and when her visit is.
VISITS = {1280: ("李秀兰", 10), 390: ("王桂芳", 11)}


def _book(database: object, person: Resident, hour: int) -> None:
    """A family-planning record for this year, reminded, and a visit booked today at `hour`."""
    today = datetime.now(TZ).date()
    start_of_day = datetime.combine(today, time(0), TZ).astimezone(UTC)
    with unit_of_work(database) as session:  # type: ignore[arg-type]
        record = ReviewRecord(
            programme="family_planning_review", cycle=today.year, resident_id=person.id or 0,
            committee_id=person.committee_id, state=DUE, opens_on=date(today.year, 1, 1),
            closes_on=date(today.year, 12, 31), created_at=start_of_day, updated_at=start_of_day,
        )  # fmt: skip
        session.add(record)
        session.flush()
        session.add(ReviewTransition(record_id=record.id or 0, to_state=DUE, at=start_of_day,
                                     actor_kind=PLANNER))  # fmt: skip
        records.transition(session, record, REMINDED, now=start_of_day, actor_kind=PLANNER)
        at = datetime.combine(today, time(hour), TZ)
        booked = appointments.book(session, record, at, CFG, now=start_of_day, tz=TZ,
                                   openid=f"o_{person.id:04d}_booked")  # fmt: skip
        assert booked is not None


@pytest.fixture(scope="module")
def booked(server: Server) -> Iterator[Server]:
    """7栋's residents imported from a sheet, two of them with a visit booked for today."""
    database = make_engine(f"sqlite:///{server.home / 'linli.db'}")
    try:
        with unit_of_work(database) as session:
            [committee] = committees_named(session, COMMITTEE)
            session.add(Place(committee_id=committee.id or 0, kind="building", name="7栋"))
        sheet = server.home / "居民.csv"
        sheet.write_text(SHEET, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        env.update(LINLI_ENV="dev", LINLI_DATABASE_URL=f"sqlite:///{server.home / 'linli.db'}")
        assert "imported" in _linli(server.home, env, "import", "residents", str(sheet),
                                    "--committee", COMMITTEE)  # fmt: skip
        with unit_of_work(database) as session:
            people = {p.name: p for p in session.exec(select(Resident))}
            session.expunge_all()
        for name, hour in VISITS.values():
            _book(database, people[name], hour)
    finally:
        database.dispose()
    yield server


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_staff_see_todays_appointments_and_complete_one(
    page: Page, booked: Server, width: int
) -> None:
    name, hour = VISITS[width]
    masked = name[0] + "*" + name[-1]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{booked.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="年审", exact=True).click()
    expect(page.get_by_role("heading", name="年审进度")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_role("link", name="今日预约").first.click()

    expect(page.get_by_role("heading", name="今日预约")).to_be_visible()
    visit = page.locator("#visits").get_by_role("row").filter(has_text=masked)
    expect(visit).to_contain_text(f"上午{hour}:00")
    expect(visit).to_contain_text("独生子女")
    expect(visit).to_contain_text("等待到访")
    expect(page.locator("#visits")).not_to_contain_text("13900001111")
    _no_sideways_scroll(page)
    visit.get_by_role("button", name="到了并办结").click()

    expect(page.get_by_role("status")).to_contain_text("到了并办结")
    done = page.locator("#visits").get_by_role("row").filter(has_text=masked)
    expect(done).to_contain_text("已到")
    expect(done.get_by_role("button")).to_have_count(0)
    _no_sideways_scroll(page)
    done.get_by_role("link", name=masked).click()

    expect(page.locator("#state")).to_have_text("已办结")
    expect(page.locator("#facts")).to_contain_text("现场办理")
    _no_sideways_scroll(page)
