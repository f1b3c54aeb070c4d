"""A grid worker handles a resident's report in a real browser against a real server: signs in,
opens 我的报事, accepts the report and resolves it with a note; the reporter is told each time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from bot.reports import service as reporting
from config.content import load_content
from config.settings import Settings
from store.db import make_engine, unit_of_work
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.reports import service as reports
from tests.browser.conftest import COMMITTEE, SUB_DISTRICT, Server
from tests.chat import SEALER
from tests.staff_helpers import PASSWORD, create_staff

pytestmark = pytest.mark.browser

REPORTER = "o_browser_reporter_0042"


def _seed(server: Server) -> tuple[str, str]:
    """A grid worker handling 3栋 and a resident's report there; the database URL and reference."""
    url = f"sqlite:///{server.home / 'linli.db'}"
    database = make_engine(url)
    try:
        worker = create_staff(database, "grid9", role="grid_worker", committee=COMMITTEE,
                              district=SUB_DISTRICT)  # fmt: skip
        content = load_content(Settings().content_dir)
        with unit_of_work(database) as session:
            place = Place(committee_id=worker.committee_id or 0, kind="building", name="3栋",
                          grid_area="第一网格", handler_id=worker.id)  # fmt: skip
            session.add(place)
            session.flush()
            new = reports.NewReport(
                category="shared_bike", description="3栋楼道口停满了共享单车", source="wechat",
                reporter_openid=REPORTER, place_id=place.id,
            )  # fmt: skip
            report = reporting.submit(session, content, new, now=datetime.now(UTC),
                                      tz=ZoneInfo("Asia/Shanghai"), sealer=SEALER,
                                      place=place)  # fmt: skip
            return url, report.reference
    finally:
        database.dispose()


def test_a_grid_worker_accepts_and_resolves_a_report_and_the_reporter_is_told(
    page: Page, server: Server
) -> None:
    url, reference = _seed(server)
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("grid9")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("近30天的报事")).to_be_visible()

    page.get_by_role("link", name="报事", exact=True).click()
    expect(page.get_by_role("heading", name="我的报事")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("3栋")
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    expect(page.locator(".description")).to_have_text("3栋楼道口停满了共享单车")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已保存：受理。")
    expect(page.locator("dd.status")).to_have_text("已受理")

    page.get_by_label("处理结果").fill("单车已清走，已联系运营公司")
    page.get_by_role("button", name="处理完成", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已保存：处理完成。")
    expect(page.locator("dd.status")).to_have_text("已处理")
    expect(page.get_by_role("row").filter(has_text="单车已清走")).to_contain_text("grid9")

    database = make_engine(url)
    try:
        with Session(database) as session:
            report = reports.by_reference(session, reference)
            assert report is not None and report.status == "resolved"
            pushes = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == REPORTER)
                .order_by(col(OutboxMessage.id))
            ).all()
    finally:
        database.dispose()
    assert [m.kind for m in pushes] == [reporting.STATUS_KIND] * 2
    assert "已受理" in pushes[0].payload["text"]
    assert "单车已清走，已联系运营公司" in pushes[1].payload["text"]
