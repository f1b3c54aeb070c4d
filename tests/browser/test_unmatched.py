"""没看懂的话 in a real browser: a resident (in the simulator) writes something Linli does not
understand; a sub-district admin opens 没看懂的话, finds it grouped, and adds it in one step as
a service's wording; the resident writes the same again and reaches that service — no restart.
On a desktop and on a 390 px phone, where no page may scroll sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_PASSWORD, Server
from tests.chat import WORDS

pytestmark = pytest.mark.browser
T = WORDS.console
# Wordings the shipped content does not understand (tests/bot/understanding checks the first):
# Cantonese for "no money at home to put food on the table" (低保) and "my dad cannot get about,
# he needs a certificate" (残疾人证).
SAID = {1280: ("屋企冇钱开饭", "dibao"), 390: ("我老豆行动唔方便 要办个证", "disability_card")}


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _resident_says(chat: Page, text: str, answer: str) -> None:
    chat.locator("#text").fill(text)
    chat.get_by_role("button", name="发送").click()
    expect(chat.locator(".msg.bot .bubble").last).to_contain_text(answer)


@pytest.mark.parametrize("width", [1280, 390])
def test_an_admin_adds_what_a_resident_said_as_a_services_wording(
    page: Page, server: Server, width: int
) -> None:
    wording, key = SAID[width]
    service = WORDS.services.by_key[key].name
    chat = page.context.new_page()
    chat.set_viewport_size({"width": width, "height": 900})
    chat.goto(f"{server.url}/simulator")
    chat.wait_for_load_state("networkidle")  # its residents list loaded before we add one
    chat.get_by_role("button", name="新居民").click()
    expect(chat.locator(".msg.bot .bubble").last).to_be_visible()
    _resident_says(chat, wording, WORDS.bot.not_understood)

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name=T.nav_unmatched).click()
    expect(page.get_by_role("heading", name=T.unm_title)).to_be_visible()
    group = page.locator("li").filter(has_text=f"「{wording}」")
    expect(group).to_contain_text(T.unm_times.format(count=1, senders=1))
    expect(group.get_by_label(T.unm_wording)).to_have_value(wording)
    _no_sideways_scroll(page)
    group.get_by_label(T.unm_as).select_option(label=service)
    group.get_by_role("button", name=T.unm_submit).click()

    expect(page.get_by_role("status")).to_have_text(T.unm_added.format(title=service))
    expect(page.locator("li").filter(has_text=f"「{wording}」")).to_have_count(0)
    _no_sideways_scroll(page)

    _resident_says(chat, "菜单", WORDS.bot.menu_header)
    _resident_says(chat, wording, service)
    _no_sideways_scroll(chat)
