"""A committee clerk finds a resident by part of the name in a real browser, opens the details
and reveals the mobile with a reason — on a desktop and on a 390 px phone, where no page may
scroll sideways. The residents come in through `linli import residents`, as a committee's would."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from store.db import make_engine, unit_of_work
from store.places.models import Place
from store.staff.accounts import committees_named
from tests.browser.conftest import CLERK_PASSWORD, COMMITTEE, Server, _linli
from tests.flows.test_identity import valid_id

pytestmark = pytest.mark.browser

MOBILE = "13955556666"
SHEET = (
    "姓名,身份证号,联系电话,楼栋,单元,房号,备注\n"
    f"欧阳明月,{valid_id('11010519480312002')},{MOBILE},7栋,1,302,独居，女儿每周来看望\n"
    f"欧阳建华,{valid_id('11010519750621001')},13900001111,7栋,1,302,\n"
    f"李四,{valid_id('44010619900101003')},13700002222,7栋,2,101,\n"
)


@pytest.fixture(scope="module")
def residents(server: Server) -> Iterator[Server]:
    """Building 7栋 of the clerk's committee, and three residents imported from a CSV sheet."""
    database = make_engine(f"sqlite:///{server.home / 'linli.db'}")
    try:
        with unit_of_work(database) as session:
            [committee] = committees_named(session, COMMITTEE)
            session.add(Place(committee_id=committee.id or 0, kind="building", name="7栋"))
    finally:
        database.dispose()
    sheet = server.home / "居民.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env.update(LINLI_ENV="dev", LINLI_DATABASE_URL=f"sqlite:///{server.home / 'linli.db'}")
    done = _linli(server.home, env, "import", "residents", str(sheet), "--committee", COMMITTEE)
    assert "imported" in done
    yield server


def _wide(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _find_and_reveal(page: Page, server: Server, *, phone: bool) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="居民", exact=True).click()
    expect(page.get_by_role("heading", name="居民台账")).to_be_visible()
    page.get_by_label("姓名（可只写其中几个字）").fill("明月")
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_text("共找到 1 位居民")).to_be_visible()
    expect(page.get_by_text("139****6666")).to_be_visible()
    if phone:
        assert _wide(page) <= 390
    page.get_by_role("link", name="欧阳明月").click()

    expect(page.get_by_role("heading", name="欧阳明月")).to_be_visible()
    expect(page.locator("#field-name")).to_contain_text("来源：导入（居民.csv 第2行）")
    expect(page.locator("#field-mobile")).to_contain_text("139****6666")
    expect(page.get_by_text(MOBILE)).to_have_count(0)
    expect(page.get_by_text("7栋 1 302")).to_be_visible()
    if phone:
        assert _wide(page) <= 390
    page.get_by_label("要查看的号码").select_option(label="手机")
    page.get_by_label("查看原因").fill("上门慰问前电话确认")
    page.get_by_role("button", name="查看完整号码").click()

    expect(page.locator(".revealed")).to_have_text(MOBILE)
    expect(page.get_by_text("这次查看已连同原因记入操作日志")).to_be_visible()
    if phone:
        assert _wide(page) <= 390


def test_a_clerk_finds_a_resident_and_reveals_the_mobile_on_a_desktop(
    page: Page, residents: Server
) -> None:
    _find_and_reveal(page, residents, phone=False)


def test_the_same_on_a_390_px_phone_without_sideways_scrolling(
    browser: Browser, residents: Server
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    try:
        _find_and_reveal(context.new_page(), residents, phone=True)
    finally:
        context.close()
