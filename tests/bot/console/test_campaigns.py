"""Staff run a confirmation campaign (信息核对) in the console instead of phoning 东风's residents:
they choose the residents, preview how many and the message, save, start once, then follow the
answers and phone the call list (mobiles masked; a reveal is audited). Grid workers follow but
do not start; another committee sees nothing of it."""

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
from store.registry.models import Resident
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

LIST = "/console/registry/campaigns"
NEW = "/console/registry/campaigns/new"


@dataclass
class Desk:
    """东风's registry (张秀英 bound herself, 张小明 through his mother's WeChat, 王建国 not
    bound) and the clerk's browser."""

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
    bind(database, DAUGHTER, registry.boy, kind="proxy", relation="parent")
    return Desk(registry, registry.client("clerk"))


def _queued(database: Engine) -> list[OutboxMessage]:
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "confirmation")
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def _actions(database: Engine) -> list[str]:
    with Session(database) as session:
        query = select(AuditEntry.action).where(col(AuditEntry.action).startswith("campaign."))
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def _form(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to `action`."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>',
                      page, re.S)  # fmt: skip
    assert found, action
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found[1]))


def _saved(desk: Desk, **chosen: str) -> str:
    """Preview with these choices, then save: the saved campaign's address."""
    preview = desk.clerk.get(NEW, params={"preview": "1", "title": "冬季核对", **chosen})
    assert preview.status_code == 200
    saved = desk.clerk.post(LIST, data=_form(preview.text, LIST), follow_redirects=False)
    assert saved.status_code == 303
    return saved.headers["location"].split("?")[0]


def _started(desk: Desk, **chosen: str) -> str:
    address = _saved(desk, **chosen)
    page = desk.clerk.get(address).text
    started = desk.clerk.post(f"{address}/start", data={"csrf_token": csrf(page)},
                              follow_redirects=False)  # fmt: skip
    assert started.status_code == 303
    return address


def _no_whole_numbers(text: str) -> None:
    for whole in (WOMAN, MAN, WOMAN_MOBILE, MAN_MOBILE):
        assert whole not in text


def test_the_clerk_previews_how_many_and_the_message_before_anything_is_saved(desk: Desk) -> None:
    empty = desk.clerk.get(LIST)
    assert empty.status_code == 200
    assert "还没有发起过信息核对" in empty.text
    assert '<a href="/console/registry/campaigns">信息核对</a>' in empty.text  # the sub-nav
    form = desk.clerk.get(NEW).text
    assert 'value="2026-11-30 信息核对"' in form and 'name="reminder_after_days"' in form
    assert 'value="3"' in form and 'id="preview"' not in form
    page = desk.clerk.get(NEW, params={"preview": "1", "title": "3栋核对",
                                       "place_id": str(desk.registry.building)}).text  # fmt: skip
    count = re.search(r'<p id="preview-count">(.*?)</p>', page)
    assert count and count[1] == (
        "符合条件的居民共 2 位：1 位已在微信绑定（本人或代办家属），会收到消息；"
        "1 位没有绑定，会列入电话名单。"
    )
    message = re.search(r'<p class="description wrap" id="preview-message">(.*?)</p>', page, re.S)
    assert message and "请您核对登记的信息" in message[1] and "姓名：张*英" in message[1]
    assert "138****5678" in message[1] and "住址：3栋2单元301" in message[1]
    _no_whole_numbers(page)
    assert _form(page, LIST)["place_id"] == str(desk.registry.building)
    assert _queued(desk.database) == [] and _actions(desk.database) == []


def test_saving_then_starting_sends_each_bound_resident_one_message(desk: Desk) -> None:
    address = _saved(desk)
    draft = desk.clerk.get(f"{address}?saved=1").text
    assert "已保存。请再看一遍人数和消息" in draft and "已保存，还没有开始" in draft
    assert "开始核对，发送给 2 位居民" in draft and "全部居民（不含已迁出、已故）" in draft
    assert _queued(desk.database) == [] and _actions(desk.database) == ["campaign.create"]
    started = desk.clerk.post(f"{address}/start", data={"csrf_token": csrf(draft)})
    assert started.status_code == 200 and "已开始核对：消息正在发送" in started.text
    assert {m.recipient for m in _queued(desk.database)} == {HERSELF, DAUGHTER}
    assert _actions(desk.database) == ["campaign.create", "campaign.start"]
    tallies = re.search(r'<ul class="cards tallies" id="progress">(.*?)</ul>', started.text, re.S)
    assert tallies
    figures = dict(re.findall(r'<span class="tally">(.*?)</span> <strong>(\d+)</strong>',
                              tallies[1]))  # fmt: skip
    assert figures == {"核对人数": "3", "已确认无误": "0", "要修改": "0", "还没有回复": "2",
                       "没有绑定微信": "1", "消息没能送达": "0"}  # fmt: skip
    listed = desk.clerk.get(LIST).text
    row = re.search(r'<tr id="campaign-\d+">(.*?)</tr>', listed, re.S)
    assert row and "冬季核对" in row[1] and "2026-11-30 11:00 开始" in row[1]
    assert '<td data-label="要打电话">1</td>' in row[1]


def test_a_resident_who_died_after_the_start_is_counted_apart(desk: Desk) -> None:
    address = _saved(desk)
    desk.clerk.post(f"{address}/start", data={"csrf_token": csrf(desk.clerk.get(address).text)})
    with unit_of_work(desk.database) as session:
        woman = session.get(Resident, desk.registry.woman)
        assert woman is not None
        woman.residence_status = "deceased"
        session.add(woman)
    page = desk.clerk.get(address).text
    tallies = re.search(r'<ul class="cards tallies" id="progress">(.*?)</ul>', page, re.S)
    assert tallies
    figures = dict(re.findall(r'<span class="tally">(.*?)</span> <strong>(\d+)</strong>',
                              tallies[1]))  # fmt: skip
    assert (figures["还没有回复"], figures["已搬走或去世，不再核对"]) == ("1", "1")


def test_starting_twice_sends_nothing_twice(desk: Desk) -> None:
    address = _saved(desk)
    token = csrf(desk.clerk.get(address).text)
    desk.clerk.post(f"{address}/start", data={"csrf_token": token})
    again = desk.clerk.post(f"{address}/start", data={"csrf_token": token})
    assert again.status_code == 200
    assert "这次核对已经开始了（可能是同事刚点的），消息不会重复发送" in again.text
    assert len(_queued(desk.database)) == 2
    assert _actions(desk.database) == ["campaign.create", "campaign.start"]


def test_the_call_list_shows_the_unbound_and_the_unreachable_with_masked_mobiles(
    desk: Desk,
) -> None:
    address = _started(desk)
    herself = next(m for m in _queued(desk.database) if m.recipient == HERSELF)
    with unit_of_work(desk.database) as session:
        outbox.settle(session, herself.id or 0,
                      outbox.Outcome("unreachable", error="window_closed"), NOW)  # fmt: skip
    page = desk.clerk.get(address).text
    calls = re.search(r'<table class="stack" id="calls">(.*?)</table>', page, re.S)
    assert calls and "共 2 位居民要打电话" in page
    woman = re.search(rf'<tr id="call-{desk.registry.woman}">(.*?)</tr>', calls[1], re.S)
    man = re.search(rf'<tr id="call-{desk.registry.man}">(.*?)</tr>', calls[1], re.S)
    assert woman and man
    assert "138****5678" in woman[1] and "3栋 2 301" in woman[1]
    assert "消息没能送达：居民超过48小时没有发消息" in woman[1]
    assert "139****4321" in man[1] and "没有在微信绑定" in man[1]
    assert f'id="call-{desk.registry.boy}"' not in calls[1]  # his mother's WeChat got it
    # Every cell names its column, so the rows stack into cards on a phone.
    assert all("data-label=" in cell for cell in re.findall(r"<td[^>]*>", calls[1]))
    _no_whole_numbers(page)


def test_a_reveal_from_the_call_list_is_audited_with_its_reason(desk: Desk) -> None:
    address = _started(desk)
    page = desk.clerk.get(address).text
    action = f"/console/residents/{desk.registry.man}/reveal"
    fields = _form(page, action)
    assert fields["field"] == "mobile"
    why = re.search(
        rf'action="{action}".*?name="why" maxlength="200" size="12" value="([^"]*)"', page, re.S
    )
    assert why and why[1] == "冬季核对，电话核对信息"
    shown = desk.clerk.post(action, data={**fields, "why": why[1]})
    assert shown.status_code == 200 and MAN_MOBILE in shown.text
    with Session(desk.database) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "resident.reveal")).one()
    assert entry.after == {"field": "mobile", "why": "冬季核对，电话核对信息"}


def test_a_form_with_mistakes_is_shown_again_and_saves_nothing(desk: Desk) -> None:
    page = desk.clerk.get(NEW, params={"preview": "1", "title": "", "tag": "nonsense",
                                       "unconfirmed_since": "2026-13-01",
                                       "reminder_after_days": "90"}).text  # fmt: skip
    assert "请给这次核对起个名称" in page and "请重新选择" in page
    assert "日期请按“年-月-日”填写" in page and "提醒天数请填 1 到 60 之间的数字" in page
    assert 'id="preview"' not in page
    token = csrf(desk.clerk.get(NEW).text)
    posted = desk.clerk.post(LIST, data={"csrf_token": token, "title": "x" * 101})
    assert posted.status_code == 200 and "名称请写在 100 个字以内" in posted.text
    assert _actions(desk.database) == []


def test_a_grid_worker_follows_a_campaign_but_cannot_start_one(desk: Desk) -> None:
    address = _saved(desk)
    grid = desk.registry.client("grid")
    assert "冬季核对" in grid.get(LIST).text
    assert "新建核对" not in grid.get(LIST).text
    page = grid.get(address)
    assert page.status_code == 200 and "开始核对，发送给" not in page.text
    assert grid.get(NEW).status_code == 404
    assert grid.post(f"{address}/start", data={"csrf_token": csrf(page.text)}).status_code == 404
    assert _queued(desk.database) == []


def test_another_committee_sees_nothing_of_it(desk: Desk) -> None:
    address = _started(desk)
    west = desk.registry.client("west")
    listed = west.get(LIST).text
    assert "冬季核对" not in listed
    assert west.get(address).status_code == 404
    token = csrf(listed)
    assert west.post(f"{address}/start", data={"csrf_token": token}).status_code == 404
    # Naming 东风 in the form is refused as a choice that is not theirs.
    page = west.get(NEW, params={"preview": "1", "title": "x",
                                 "committee_id": str(desk.registry.committee_id)}).text  # fmt: skip
    assert 'id="preview"' not in page and "张*英" not in page
