"""A committee clerk starts a confirmation campaign (信息核对) in a real browser instead of phoning
7栋: chooses the building, previews how many residents and the message they will get, saves,
starts, and sees the progress and the call list — on a desktop and on a 390 px phone, where no
page may scroll sideways."""

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
    f"欧阳建华,{valid_id('11010519750621001')},13900001111,7栋,1,302\n"
    f"李四,{valid_id('44010619900101003')},13700002222,7栋,2,101\n"
)


@pytest.fixture(scope="module")
def residents(server: Server) -> Iterator[Server]:
    """7栋 with three residents imported from a sheet; 欧阳明月 bound in WeChat herself."""
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
def test_a_clerk_previews_and_starts_a_campaign(page: Page, residents: Server, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{residents.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="居民", exact=True).click()
    page.get_by_role("link", name="信息核对").click()
    expect(page.get_by_role("heading", name="信息核对")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_role("link", name="新建核对").click()

    title = f"7栋核对（{width}）"
    page.get_by_label("名称（方便以后查找）").fill(title)
    page.get_by_label("楼栋").select_option(label="7栋")
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#preview-count")).to_have_text(
        "符合条件的居民共 3 位：1 位已在微信绑定（本人或代办家属），会收到消息；"
        "2 位没有绑定，会列入电话名单。"
    )
    message = page.locator("#preview-message")
    expect(message).to_contain_text("姓名：欧**月")
    expect(message).to_contain_text("手机号：139****6666")
    expect(message).to_contain_text("住址：7栋1单元302")
    expect(message).not_to_contain_text("13955556666")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="确认条件，下一步").click()

    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="开始核对，发送给 1 位居民").click()

    expect(page.get_by_role("status")).to_contain_text("已开始核对")
    progress = page.locator("#progress")
    expect(progress.locator("li").filter(has_text="核对人数")).to_contain_text("3")
    expect(progress.locator("li").filter(has_text="还没有回复")).to_contain_text("1")
    expect(progress.locator("li").filter(has_text="没有绑定微信")).to_contain_text("2")
    calls = page.locator("#calls")
    expect(calls.get_by_role("row").filter(has_text="欧阳建华")).to_contain_text("139****1111")
    expect(calls.get_by_role("row").filter(has_text="李四")).to_contain_text("没有在微信绑定")
    expect(calls).not_to_contain_text("欧阳明月")
    _no_sideways_scroll(page)

    page.get_by_role("link", name="返回信息核对列表").click()
    expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("开始")
    _no_sideways_scroll(page)
