"""A clerk imports a residents sheet in a real browser, then fixes the conflict an older sheet
leaves after a staff edit: desktop width and 390 px, with no horizontal scrolling."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from config.settings import PLACEHOLDER
from store.db import make_engine, unit_of_work
from store.registry.history import Source
from store.registry.residents import find_by_id_card, update_field
from store.sealing import Sealer
from store.staff.accounts import committees_named
from tests.browser.conftest import CLERK_PASSWORD, COMMITTEE, Server
from tests.store.test_registry_import import person, write_xlsx

# The server runs in dev mode without LINLI_DATA_KEY: its numbers are sealed with the placeholder.
SERVER_SEALER = Sealer(PLACEHOLDER)

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _import(page: Page, server: Server, sheet: Path) -> None:
    page.goto(f"{server.url}/console/registry/import")
    expect(page.get_by_role("heading", name="导入居民表")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_label("表格文件").set_input_files(str(sheet))
    page.get_by_role("button", name="上传并试算").click()
    # The dry run runs after the upload's answer: the page refreshes until it is done.
    expect(page.get_by_text("试算结果（还没有写入）")).to_be_visible(timeout=20_000)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("状态：已导入")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("上传的表格和试算明细已删除")).to_be_visible()


def _staff_renames(server: Server, id_card: str) -> None:
    """A staff edit of the first resident's name, through the store service on the server's file."""
    database = make_engine(f"sqlite:///{server.home / 'linli.db'}")
    try:
        with unit_of_work(database) as session:
            [committee] = committees_named(session, COMMITTEE)
            [resident] = find_by_id_card(session, SERVER_SEALER, committee.id or 0, id_card)
            update_field(session, SERVER_SEALER, committee_id=committee.id or 0,
                         resident_id=resident.id or 0, field="name", value="王改名",
                         source=Source.staff(1), now=datetime.now(UTC))  # fmt: skip
    finally:
        database.dispose()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_imports_a_sheet_and_fixes_a_conflict(
    page: Page, server: Server, tmp_path: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Each width imports its own residents (the server is shared by the module).
    rows = [person(i + (100 if width == 390 else 0)) for i in range(3)]
    for row in rows:
        row[6] = ""  # no building: the test committee has none
        row[7] = row[8] = ""
    sheet = write_xlsx(tmp_path / "居民.xlsx", rows)
    _import(page, server, sheet)
    expect(page.locator(".tally").filter(has_text="新增")).to_contain_text("3")

    _staff_renames(server, str(rows[0][3]))
    _import(page, server, sheet)
    expect(page.locator(".tally").filter(has_text="有冲突")).to_contain_text("1")
    page.get_by_role("link", name="处理导入冲突").click()
    expect(page.get_by_role("heading", name="导入冲突")).to_be_visible()
    _no_sideways_scroll(page)
    row = page.get_by_role("row").filter(has_text="王改名")
    expect(row).to_contain_text(str(rows[0][1]))
    row.get_by_role("button", name="采用表格").click()
    expect(page.get_by_role("status")).to_have_text("已采用表格里的信息。")
    expect(page.get_by_text("还有 0 条冲突等待处理。")).to_be_visible()
    _no_sideways_scroll(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_maps_the_name_and_id_columns_then_cancels(
    page: Page, server: Server, tmp_path: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    sheet = tmp_path / "名单.csv"
    sheet.write_text(f"名字,证件号码\n张三,{person(200 + width % 7)[3]}\n", encoding="utf-8")
    page.goto(f"{server.url}/console/registry/import")
    page.get_by_label("表格文件").set_input_files(str(sheet))
    page.get_by_role("button", name="上传并试算").click()
    # Not refused: the page asks which heading holds each required column.
    expect(page.get_by_text("表格里没有认出“姓名、身份证号”所在的列")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    _no_sideways_scroll(page)
    page.get_by_label("“姓名”在哪一列").select_option("名字")
    page.get_by_label("“身份证号”在哪一列").select_option("证件号码")
    page.get_by_role("button", name="按以上选择重新试算").click()
    expect(page.locator(".tally").filter(has_text="新增")).to_contain_text("1", timeout=20_000)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="取消这次导入").click()
    expect(page.get_by_text("这次导入已取消，什么也没有写入。")).to_be_visible()
    expect(page.get_by_text("上传的表格和试算明细已删除")).to_be_visible()
    _no_sideways_scroll(page)
