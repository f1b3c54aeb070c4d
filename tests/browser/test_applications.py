"""A committee clerk, in a real browser, finds a resident's application (开具居住证明) in 办事申请
with her details masked, accepts it, marks it ready, and the resident's "可以来取了" is queued;
办事统计 shows the demand. On a desktop and on a 390 px phone, where no page scrolls sideways."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from config.settings import PLACEHOLDER
from store.db import make_engine, unit_of_work
from store.outbox.models import OutboxMessage
from store.sealing import Sealer
from store.services import applications
from store.staff import audit
from store.staff.accounts import committees_named
from tests.browser.conftest import CLERK_PASSWORD, COMMITTEE, Server

# The server runs in dev mode without LINLI_DATA_KEY: its fields are sealed with the placeholder.
SERVER_SEALER = Sealer(PLACEHOLDER)
pytestmark = pytest.mark.browser
NAMES = {1280: ("周桂兰", "13600001212"), 390: ("吴玉珍", "13600003434")}


def _seed(server: Server, name: str, mobile: str) -> str:
    """A resident's application made in chat, waiting in the clerk's committee; its number."""
    database = make_engine(f"sqlite:///{server.home / 'linli.db'}")
    try:
        with unit_of_work(database) as session:
            [committee] = committees_named(session, COMMITTEE)
            new = applications.NewApplication(
                openid=f"o_applicant_{mobile[-4:]}", service="residence_certificate",
                version="2026-11-29.1", committee_id=committee.id,
                fields=(("name", name), ("address", "8栋1单元201"), ("purpose", "孩子上学"),
                        ("mobile", mobile)),
            )  # fmt: skip
            made = applications.submit(session, SERVER_SEALER, new, now=datetime.now(UTC),
                                       resident=audit.Actor(None, "居民"))  # fmt: skip
            return made.reference
    finally:
        database.dispose()


def _push(server: Server, reference: str) -> OutboxMessage | None:
    database = make_engine(f"sqlite:///{server.home / 'linli.db'}")
    try:
        with Session(database) as session:
            key = f"application:{reference}:ready"
            query = select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
            return session.exec(query).first()
    finally:
        database.dispose()


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_marks_an_application_ready_and_the_resident_is_told(
    page: Page, server: Server, width: int
) -> None:
    name, mobile = NAMES[width]
    reference = _seed(server, name, mobile)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="办事申请", exact=True).first.click()

    card = page.locator(f"#application-{reference}")
    expect(card).to_contain_text("待受理")
    expect(card).to_contain_text(f"{mobile[:3]}****{mobile[-4:]}")
    expect(card).to_contain_text(f"{name[0]}*{name[-1]}")
    expect(page.get_by_text(mobile)).to_have_count(0)
    _no_sideways_scroll(page)
    card.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    expect(page.get_by_role("button", name="已办好，通知居民来取")).to_have_count(0)
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已改为「已受理」，已用微信通知居民。")
    page.get_by_label("给居民的话（可不填）").first.fill("周三上午九点后来取")
    page.get_by_role("button", name="已办好，通知居民来取").click()
    expect(page.get_by_role("status")).to_have_text("已改为「可以来取」，已用微信通知居民。")
    expect(page.locator(".status")).to_have_text("可以来取")
    expect(page.get_by_role("button", name="居民已领取")).to_be_visible()
    _no_sideways_scroll(page)
    push = _push(server, reference)
    assert push is not None and push.status == "pending"
    assert "可以来取了" in push.payload["text"] and "周三上午九点后来取" in push.payload["text"]

    page.get_by_role("link", name="← 返回办事申请").click()
    page.get_by_role("link", name="办事统计").click()
    expect(page.get_by_role("heading", name="办事统计")).to_be_visible()
    _no_sideways_scroll(page)
