"""The console and the API docs in a real browser against a real server: sign in, add a
colleague, who then signs in, and the admin finds the addition in the audit log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import ADMIN_PASSWORD, COMMITTEE, Server

pytestmark = pytest.mark.browser

NEW_PASSWORD = "willow path after rain"


def _sign_in(page: Page, server: Server, username: str, password: str) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()


def test_an_admin_adds_a_colleague_who_signs_in_and_the_audit_log_shows_it(
    page: Page, server: Server
) -> None:
    _sign_in(page, server, "admin", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    _sign_in(page, server, "admin", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="admin，您好")).to_be_visible()

    page.get_by_role("link", name="工作人员").click()
    page.get_by_label("用户名").fill("grid7")
    page.get_by_label("姓名").fill("李网格")
    page.get_by_label("角色").select_option(label="网格员")
    page.get_by_label("所属居委会").select_option(label=COMMITTEE)
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="添加工作人员").click()
    expect(page.get_by_role("status")).to_have_text("已添加工作人员。")
    row = page.get_by_role("row").filter(has_text="grid7")
    expect(row).to_contain_text("李网格")
    expect(row).to_contain_text("网格员")
    expect(row).to_contain_text(COMMITTEE)
    _sign_out(page)

    _sign_in(page, server, "grid7", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="李网格，您好")).to_be_visible()
    expect(page.get_by_role("link", name="操作记录")).to_have_count(0)  # not an admin
    _sign_out(page)

    _sign_in(page, server, "admin", ADMIN_PASSWORD)
    page.get_by_role("link", name="操作记录").click()
    page.get_by_label("操作人").fill("admin")
    page.get_by_role("button", name="查询").click()
    entries = page.get_by_role("row").filter(has_text="staff.create")
    expect(entries).to_have_count(1)  # the CLI's two creations are by "cli"
    expect(entries).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
    expect(entries).to_contain_text("staff_user")


def test_the_api_docs_render_without_any_request_leaving_the_app(
    page: Page, server: Server
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    failed: list[Request] = []
    page.on("requestfailed", lambda request: failed.append(request))
    page.goto(f"{server.url}/docs")
    expect(page.get_by_text("/api/v1/staff/{staff_id}")).to_be_visible()
    expect(page.locator(".errors-wrapper")).to_have_count(0)  # Swagger UI read the schema
    page.wait_for_load_state("networkidle")
    assert requests and all(url.startswith(server.url + "/") for url in requests), requests
    assert failed == []
