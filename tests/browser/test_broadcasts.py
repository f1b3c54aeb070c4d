"""A committee clerk sends a notice (发通知) to 7栋 in a real browser: writes it, sees how many
residents it names, how many WeChat reaches and the notice as they will read it, confirms, and
sees the progress and the call list — on a desktop and on a 390 px phone, where no page may
scroll sideways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from store.binding.models import ResidentBinding
from store.db import make_engine, unit_of_work
from store.places.models import Place
from store.registry.models import Resident
from store.staff.accounts import committees_named
from tests.browser.conftest import CLERK_PASSWORD, COMMITTEE, Server, _linli
from tests.flows.test_identity import valid_id

pytestmark = pytest.mark.browser

SHEET = (
    "姓名,身份证号,联系电话,楼栋,单元,房号\n"
    f"欧阳明月,{valid_id('11010519480312002')},13955556666,7栋,1,302\n"
    f"李四,{valid_id('44010619900101003')},13700002222,7栋,2,101\n"
)
TEXT = "明天9:00-12:00停水，请提前储水。"


@pytest.fixture(scope="module")
def residents(server: Server) -> Iterator[Server]:
    """7栋 with two residents imported from a sheet; 欧阳明月 bound in WeChat herself."""
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
            her = session.exec(select(Resident).where(Resident.name == "欧阳明月")).one()
            now = datetime.now(UTC)
            session.add(ResidentBinding(openid="o_ouyang_mingyue_7302", resident_id=her.id,
                                        committee_id=her.committee_id, kind="self",
                                        status="active", requested_at=now,
                                        decided_at=now))  # fmt: skip
    finally:
        database.dispose()
    yield server


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_previews_and_sends_a_notice(page: Page, residents: Server, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{residents.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="发通知").click()
    expect(page.get_by_role("heading", name="发通知")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_role("link", name="写通知").click()

    title = f"7栋停水（{width}）"
    page.get_by_label("楼栋").select_option(label="7栋")
    page.get_by_label("标题").fill(title)
    page.get_by_label("内容").fill(TEXT)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="保存并预览").click()

    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    counts = page.locator("#preview-counts")
    expect(counts.locator("li").filter(has_text="符合条件的居民")).to_contain_text("2")
    expect(counts.locator("li").filter(has_text="公众号能发到")).to_contain_text("1")
    expect(counts.locator("li").filter(has_text="没有绑定微信")).to_contain_text("1")
    expect(page.locator("#preview-message")).to_have_text(f"【{COMMITTEE}通知】{title}\n{TEXT}")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="确认发送（公众号发给1人）").click()

    expect(page.get_by_role("status")).to_contain_text("已确认发送")
    progress = page.locator("#progress")
    expect(progress.locator("li").filter(has_text="发送中")).to_contain_text("1")
    expect(progress.locator("li").filter(has_text="没有绑定微信")).to_contain_text("1")
    calls = page.locator("#calls")
    expect(calls.get_by_role("row").filter(has_text="李四")).to_contain_text("137****2222")
    expect(calls.get_by_role("row").filter(has_text="李四")).to_contain_text("没有绑定微信")
    expect(calls).not_to_contain_text("欧阳明月")
    _no_sideways_scroll(page)

    page.get_by_role("link", name="返回通知列表").click()
    expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("发送")
    _no_sideways_scroll(page)
