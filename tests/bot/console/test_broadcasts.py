"""Staff send a notice (发通知) in the console to 东风's 3栋 or its party members: they write it,
save it, see how many residents it names, how many WeChat reaches and the notice as residents
read it, confirm, and then follow its delivery and phone the call list (mobiles masked). Grid
workers follow but do not send; another committee sees nothing of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.registry import homes
from store.reviews.models import ReviewOptOut
from store.staff.models import AuditEntry
from tests.resident_helpers import (
    MAN,
    MAN_MOBILE,
    NOW,
    WOMAN,
    WOMAN_MOBILE,
    Registry,
    build_registry,
    csrf,
)
from tests.store.campaigns.conftest import DAUGHTER, HERSELF, bind

LIST = "/console/broadcasts"
NEW = "/console/broadcasts/new"
TEXT = "明天9:00-12:00停水，请提前储水。"
OWN = f"【东风社区居委会通知】3栋停水\n{TEXT}"
FOR_FATHER = f"【东风社区居委会通知】3栋停水（家人王*国的通知，由您代收）\n{TEXT}"


@dataclass
class Desk:
    """东风's registry (张秀英 bound herself, 王建国 through his daughter's WeChat, 张小明 — a
    party member like 张秀英 — bound to nobody) and the clerk's browser."""

    registry: Registry
    clerk: TestClient

    @property
    def database(self) -> Engine:
        """The test's database."""
        return self.registry.database


@pytest.fixture
def desk(database: Engine) -> Desk:
    """The registry with its bindings, and the clerk signed in."""
    registry = build_registry(database)
    bind(database, HERSELF, registry.woman)
    bind(database, DAUGHTER, registry.man, kind="proxy", relation="child")
    with unit_of_work(database) as session:
        homes.tag(session, registry.boy, "party_member")
    return Desk(registry, registry.client("clerk"))


def _queued(database: Engine) -> dict[str, OutboxMessage]:
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "notice")
        return {m.recipient: m for m in session.exec(query.order_by(col(OutboxMessage.id)))}


def _actions(database: Engine) -> list[str]:
    with Session(database) as session:
        query = select(AuditEntry.action).where(col(AuditEntry.action).startswith("broadcast."))
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def _form(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to `action`."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>',
                      page, re.S)  # fmt: skip
    assert found, action
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found[1]))


def _tallies(page: str, list_id: str) -> dict[str, str]:
    found = re.search(rf'<ul class="cards tallies" id="{list_id}">(.*?)</ul>', page, re.S)
    assert found, list_id
    return dict(re.findall(r'<span class="tally">(.*?)</span> <strong>(\d+)</strong>', found[1]))


def _saved(desk: Desk, client: TestClient | None = None, **chosen: str) -> str:
    """Write and save a notice (to 3栋 unless chosen otherwise): the saved notice's address."""
    client = client or desk.clerk
    fields = chosen or {"place_id": str(desk.registry.building)}
    token = csrf(client.get(NEW).text)
    saved = client.post(LIST, data={"csrf_token": token, "title": "3栋停水", "text": TEXT,
                                    **fields}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    return saved.headers["location"].split("?")[0]


def _sent(desk: Desk, **chosen: str) -> str:
    address = _saved(desk, **chosen)
    page = desk.clerk.get(address).text
    sent = desk.clerk.post(f"{address}/send", data=_form(page, f"{address}/send"),
                           follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    return address


def _no_whole_numbers(text: str) -> None:
    for whole in (WOMAN, MAN, WOMAN_MOBILE, MAN_MOBILE):
        assert whole not in text


def test_the_clerk_sees_how_many_and_the_notice_before_anything_is_sent(desk: Desk) -> None:
    empty = desk.clerk.get(LIST)
    assert empty.status_code == 200 and "还没有通知" in empty.text
    assert '<a href="/console/broadcasts">发通知</a>' in empty.text  # in the top navigation
    form = desk.clerk.get(NEW).text
    assert 'name="text" rows="6" maxlength="300"' in form and "内容最多300字" in form
    address = _saved(desk)
    page = desk.clerk.get(f"{address}?saved=1").text
    assert "已保存。请核对人数和内容，再确认发送。" in page and "楼栋：3栋" in page
    assert _tallies(page, "preview-counts") == {
        "符合条件的居民": "2", "公众号能发到": "2", "退订了全部提醒": "0", "没有绑定微信": "0"
    }  # fmt: skip
    message = re.search(r'<p class="description wrap" id="preview-message">(.*?)</p>', page, re.S)
    assert message and message[1] == OWN
    assert "确认发送（公众号发给2人）" in page
    assert _form(page, f"{address}/send") == {
        "csrf_token": csrf(page), "total": "2", "reachable": "2", "opted_out": "0",
        "not_bound": "0",
    }  # fmt: skip
    assert _queued(desk.database) == {} and _actions(desk.database) == ["broadcast.create"]


def test_confirming_sends_each_reachable_resident_the_notice_once(desk: Desk) -> None:
    address = _saved(desk)
    page = desk.clerk.get(address).text
    sent = desk.clerk.post(f"{address}/send", data=_form(page, f"{address}/send"))
    assert sent.status_code == 200 and "已确认发送，通知正在排队发出。" in sent.text
    queued = _queued(desk.database)
    assert {openid: m.payload["text"] for openid, m in queued.items()} == {
        HERSELF: OWN, DAUGHTER: FOR_FATHER
    }  # fmt: skip
    assert _actions(desk.database) == ["broadcast.create", "broadcast.send"]
    assert _tallies(sent.text, "progress") == {
        "符合条件的居民": "2", "已送达": "0", "发送中": "2", "没送达": "0", "没有绑定微信": "0",
        "退订了全部提醒": "0",
    }  # fmt: skip
    assert "公众号发出2人" in sent.text and "没有要打电话的居民。" in sent.text
    again = desk.clerk.post(f"{address}/send", data=_form(page, f"{address}/send"))
    assert again.status_code == 200 and "这条通知已经发送过了" in again.text
    assert len(_queued(desk.database)) == 2
    listed = desk.clerk.get(LIST).text
    row = re.search(r'<tr id="broadcast-\d+">(.*?)</tr>', listed, re.S)
    assert row and "3栋停水" in row[1] and "2026-11-30 11:00 发送" in row[1]


def test_counts_that_changed_since_the_preview_are_shown_again_to_confirm(desk: Desk) -> None:
    address = _saved(desk)
    page = desk.clerk.get(address).text
    with unit_of_work(desk.database) as session:  # 张秀英 replies 退订全部 meanwhile
        session.add(ReviewOptOut(openid=HERSELF, programme="*", opted_out_at=NOW))
    refused = desk.clerk.post(f"{address}/send", data=_form(page, f"{address}/send"))
    assert refused.status_code == 200 and "人数和刚才预览的不一样了" in refused.text
    assert _tallies(refused.text, "preview-counts")["退订了全部提醒"] == "1"
    assert _queued(desk.database) == {} and _actions(desk.database) == ["broadcast.create"]
    confirmed = desk.clerk.post(f"{address}/send", data=_form(refused.text, f"{address}/send"))
    assert "已确认发送" in confirmed.text and set(_queued(desk.database)) == {DAUGHTER}


def test_a_form_with_mistakes_is_shown_again_and_saves_nothing(desk: Desk) -> None:
    token = csrf(desk.clerk.get(NEW).text)
    page = desk.clerk.post(LIST, data={"csrf_token": token, "title": "", "text": "水" * 301,
                                       "tag": "nonsense"}).text  # fmt: skip
    assert "请重新选择" in page and "请填写标题" in page and "内容最多300字，现在是301字" in page
    assert "请按提示修改后再保存。" in page
    nothing = desk.clerk.post(LIST, data={"csrf_token": token, "title": "停水", "text": TEXT}).text
    assert "请至少选一个楼栋或居民类别" in nothing
    assert _actions(desk.database) == []


def test_the_call_list_shows_the_unbound_and_the_unreachable_with_masked_mobiles(
    desk: Desk,
) -> None:
    address = _sent(desk, tag="party_member")
    herself = _queued(desk.database)[HERSELF]
    with unit_of_work(desk.database) as session:
        outbox.settle(session, herself.id or 0,
                      outbox.Outcome("unreachable", error="window_closed"), NOW)  # fmt: skip
    page = desk.clerk.get(address).text
    calls = re.search(r'<table class="stack" id="calls">(.*?)</table>', page, re.S)
    assert calls and "共2人" in page
    woman = re.search(rf'<tr id="call-{desk.registry.woman}">(.*?)</tr>', calls[1], re.S)
    boy = re.search(rf'<tr id="call-{desk.registry.boy}">(.*?)</tr>', calls[1], re.S)
    assert woman and boy
    assert "138****5678" in woman[1] and "3栋 2 301" in woman[1]
    assert "没送达：居民超过48小时没有发消息" in woman[1]
    assert "没有绑定微信" in boy[1] and "未登记" in boy[1]
    assert f'action="/console/residents/{desk.registry.woman}/reveal"' in woman[1]
    assert "电话告知通知：3栋停水" in woman[1]
    # Every cell names its column, so the rows stack into cards on a phone.
    assert all("data-label=" in cell for cell in re.findall(r"<td[^>]*>", calls[1]))
    _no_whole_numbers(page)


def test_a_grid_worker_follows_a_notice_but_cannot_send_one(desk: Desk) -> None:
    address = _saved(desk)
    grid = desk.registry.client("grid")
    listed = grid.get(LIST).text
    assert "3栋停水" in listed and "写通知" not in listed
    page = grid.get(address)
    assert page.status_code == 200 and "确认发送" not in page.text
    assert "网格员可以查看通知" in page.text
    assert grid.get(NEW).status_code == 404
    fields = {"csrf_token": csrf(page.text), "total": "2", "reachable": "2", "opted_out": "0",
              "not_bound": "0"}  # fmt: skip
    assert grid.post(f"{address}/send", data=fields).status_code == 404
    assert _queued(desk.database) == {}


def test_another_committee_sees_nothing_of_it(desk: Desk) -> None:
    address = _sent(desk)
    west = desk.registry.client("west")
    listed = west.get(LIST).text
    assert "3栋停水" not in listed
    assert west.get(address).status_code == 404
    token = csrf(listed)
    fields = {"csrf_token": token, "total": "2", "reachable": "2", "opted_out": "0",
              "not_bound": "0"}  # fmt: skip
    assert west.post(f"{address}/send", data=fields).status_code == 404
    # Naming 东风's building in the form is refused as a choice that is not theirs.
    page = west.post(LIST, data={"csrf_token": token, "title": "x", "text": "y",
                                 "place_id": str(desk.registry.building)}).text  # fmt: skip
    assert "请重新选择" in page and "3栋" not in page
    assert _actions(desk.database) == ["broadcast.create", "broadcast.send"]
