"""A committee clerk, in a real browser, approves a daughter's request to act for her mother
(绑定审核) and the mother's new mobile (信息变更), then sees both on the mother's page: the new
number masked with the resident as its source, and who acts for her. On a desktop and on a
390 px phone, where no page may scroll sideways."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from config.settings import PLACEHOLDER
from store.binding import bindings, registrations, self_reports
from store.db import make_engine, unit_of_work
from store.places.models import Place
from store.registry import homes
from store.registry.history import Source
from store.registry.residents import add_resident
from store.sealing import Sealer
from store.staff.accounts import committees_named
from tests.browser.conftest import CLERK_PASSWORD, COMMITTEE, Server

# The server runs in dev mode without LINLI_DATA_KEY: its numbers are sealed with the placeholder.
SERVER_SEALER = Sealer(PLACEHOLDER)

pytestmark = pytest.mark.browser
SEARCH = "居民台账"  # the registry's sub-nav: back to the search


@dataclass(frozen=True)
class Mother:
    """One width's resident: her name, her building, her mobile then and the one she asked for."""

    name: str
    building: str
    mobile: str
    new_mobile: str
    newcomer_mobile: str
    tail: str  # the end of her and her daughter's WeChat openids

    @property
    def openid(self) -> str:
        """Her own WeChat openid."""
        return f"o_mother_{self.tail}"

    @property
    def daughter(self) -> str:
        """Her daughter's WeChat openid."""
        return f"o_daughter_of_{self.tail}"


MOTHERS = {
    1280: Mother("周桂兰", "8栋", "13600001111", "13722223333", "13500007777", "zgl8"),
    390: Mother("吴玉珍", "9栋", "13600004444", "13755556666", "13500008888", "wyz9"),
}


def _seed(server: Server, mother: Mother) -> None:
    """The mother in the registry, bound to her own WeChat, her new mobile waiting for staff,
    her daughter's request to act for her; a newcomer's registration in the same building, and
    someone who guessed at her name three times."""
    database = make_engine(f"sqlite:///{server.home / 'linli.db'}")
    now = datetime.now(UTC)
    try:
        with unit_of_work(database) as session:
            [committee] = committees_named(session, COMMITTEE)
            place = Place(committee_id=committee.id or 0, kind="building", name=mother.building)
            session.add(place)
            session.flush()
            person = add_resident(
                session, SERVER_SEALER, committee_id=committee.id or 0,
                values={"name": mother.name, "mobile": mother.mobile},
                source=Source.imported("居民.xlsx", 2), now=now,
            )  # fmt: skip
            home = homes.dwelling(session, committee.id or 0, place.id or 0, "1", "201", "owner")
            homes.move_in(session, person.id or 0, home.id or 0, "self", None)
            since = now - timedelta(days=1)
            bound = bindings.bind_self(
                session, SERVER_SEALER, openid=mother.openid, name=mother.name,
                proof=mother.mobile, now=now, since=since, limit=5,
            )  # fmt: skip
            assert bound.status == "bound"
            self_reports.submit(
                session, SERVER_SEALER, openid=mother.openid,
                resident_id=person.id or 0, by_proxy=False, field="mobile",
                value=mother.new_mobile, needs_approval=True, now=now,
            )  # fmt: skip
            bindings.request_proxy(
                session, SERVER_SEALER, openid=mother.daughter, name=mother.name,
                proof=mother.mobile, relation="child", now=now, since=since, limit=5,
            )  # fmt: skip
            registrations.register(
                session, SERVER_SEALER, openid=f"o_newcomer_{mother.tail}", name="郑新来",
                mobile=mother.newcomer_mobile, address=f"{mother.building}3单元601",
                place_id=place.id, unit="3", room="601", now=now,
            )  # fmt: skip
            for guess in ("000001", "000002", "000003"):
                bindings.bind_self(session, SERVER_SEALER, openid=f"o_guessing_{mother.tail}",
                                   name=mother.name, proof=guess, now=now, since=since,
                                   limit=5)  # fmt: skip
    finally:
        database.dispose()


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clerk_approves_a_proxy_and_a_new_mobile_and_sees_them_on_the_record(
    page: Page, server: Server, width: int
) -> None:
    mother = MOTHERS[width]
    _seed(server, mother)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/console/login")
    page.get_by_label("用户名").fill("clerk1")
    page.get_by_label("密码").fill(CLERK_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="居民", exact=True).click()

    page.get_by_role("link", name="绑定审核").click()
    expect(page.get_by_role("heading", name="绑定审核", exact=True)).to_be_visible()
    request = page.locator("li").filter(has_text=mother.name)
    expect(request).to_contain_text("子女")
    expect(request).to_contain_text(f"…{mother.tail}")  # the daughter's openid, masked
    expect(page.get_by_text(mother.daughter)).to_have_count(0)
    newcomer = page.locator("li").filter(has_text=f"{mother.building}3单元601")
    expect(newcomer).to_contain_text(_masked(mother.newcomer_mobile))
    expect(newcomer.get_by_role("button", name="接受登记")).to_be_visible()
    guessing = page.locator("#failures").get_by_role("row").filter(has_text=f"…{mother.tail}")
    expect(guessing).to_contain_text("姓名和号码对不上")
    _no_sideways_scroll(page)
    request.get_by_role("button", name="批准").click()
    expect(page.get_by_role("status")).to_have_text("已批准代办，已用微信通知申请人。")
    expect(page.locator("li").filter(has_text=mother.name)).to_have_count(0)
    _no_sideways_scroll(page)

    page.get_by_role("link", name="信息变更").click()
    expect(page.get_by_role("heading", name="信息变更")).to_be_visible()
    change = page.locator("li").filter(has_text=mother.name)
    expect(change).to_contain_text(_masked(mother.mobile))
    expect(change).to_contain_text(_masked(mother.new_mobile))
    expect(page.get_by_text(mother.new_mobile)).to_have_count(0)
    _no_sideways_scroll(page)
    change.get_by_role("button", name="批准").click()
    expect(page.get_by_role("status")).to_have_text("已批准，台账已更新，已用微信通知申请人。")
    expect(page.locator("li").filter(has_text=mother.name)).to_have_count(0)
    _no_sideways_scroll(page)

    page.get_by_role("link", name=SEARCH).click()
    page.get_by_label("姓名（可只写其中几个字）").fill(mother.name)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=mother.name).click()
    expect(page.get_by_role("heading", name=mother.name)).to_be_visible()
    expect(page.locator("#field-mobile")).to_contain_text(_masked(mother.new_mobile))
    expect(page.locator("#field-mobile")).to_contain_text("来源：居民本人（微信）")
    acting = page.locator("#acting")
    expect(acting.get_by_role("row").filter(has_text="代办家属")).to_contain_text("已生效")
    expect(acting.get_by_role("row").filter(has_text="代办家属")).to_contain_text("子女")
    expect(acting.get_by_role("row").filter(has_text="本人")).to_contain_text("已生效")
    _no_sideways_scroll(page)
