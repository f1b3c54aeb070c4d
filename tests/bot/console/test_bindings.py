"""Staff review what residents asked for in WeChat (绑定审核): a daughter's request to act for
张秀英, a request that matched nobody, a newcomer's registration, and a WeChat user who failed to
bind again and again today. Each decision is audited, tells the requester once, and cannot be
taken twice; a rejection needs a reason; another committee and a grid worker see nothing of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.console.bindings import MAX_REASON
from store.binding import bindings, registrations
from store.binding.models import Registration, ResidentBinding
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.registry.models import Resident
from store.staff.models import AuditEntry
from tests.chat import SEALER
from tests.resident_helpers import NOW, WOMAN, WOMAN_MOBILE, Registry, build_registry, csrf
from tests.staff_helpers import create_staff

DAUGHTER = "o_daughter_of_zhang_8812"
STRANGER = "o_someone_trying_names_4471"
NEWCOMER = "o_newcomer_in_3_5530"
NEWCOMER_MOBILE = "13766554433"
SINCE = NOW - timedelta(hours=11)  # local midnight (UTC+8) of NOW's day
PAGE = "/console/registry/bindings"


@dataclass
class Waiting:
    """The registry, and what waits for staff: two proxy requests and a registration."""

    registry: Registry
    proxy: int
    unmatched: int
    registration: int


@pytest.fixture
def waiting(database: Engine) -> Waiting:
    """东风's registry with a daughter's proxy request for 张秀英 (proved by her ID's last six),
    one for a name nobody has, a newcomer's registration in 3栋, and three failures today."""
    registry = build_registry(database)
    create_staff(database, "admin", role="subdistrict_admin", committee=None)
    with unit_of_work(database) as session:
        proxy = bindings.request_proxy(
            session, SEALER, openid=DAUGHTER, name="张秀英", proof=WOMAN[-6:], relation="child",
            now=NOW, since=SINCE, limit=5,
        )  # fmt: skip
        unmatched = bindings.request_proxy(
            session, SEALER, openid=DAUGHTER, name="李不在", proof="123456", relation="parent",
            now=NOW, since=SINCE, limit=5,
        )  # fmt: skip
        for proof in ("111111", "222222", "333333"):
            bindings.bind_self(session, SEALER, openid=STRANGER, name="张秀英", proof=proof,
                               now=NOW, since=SINCE, limit=5)  # fmt: skip
        registration = registrations.register(
            session, SEALER, openid=NEWCOMER, name="刘新来", mobile=NEWCOMER_MOBILE,
            address="3栋2单元502", place_id=registry.building, unit="2", room="502", now=NOW,
        )  # fmt: skip
    assert proxy.binding_id and unmatched.binding_id and registration.id
    return Waiting(registry, proxy.binding_id, unmatched.binding_id, registration.id)


def _notices(database: Engine) -> list[OutboxMessage]:
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "binding_notice")
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def _entries(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def _binding(database: Engine, binding_id: int) -> ResidentBinding:
    with Session(database) as session:
        found = session.get(ResidentBinding, binding_id)
        assert found is not None
        return found


def _card(page: str, anchor: str) -> str:
    """One waiting item's card on the page."""
    found = re.search(rf'<li id="{anchor}">(.*?)</li>', page, re.S)
    assert found, anchor
    return found.group(1)


def test_a_clerk_sees_what_waits_with_every_number_and_openid_masked(waiting: Waiting) -> None:
    page = waiting.registry.client("clerk").get(PAGE)
    assert page.status_code == 200
    proxy = _card(page.text, f"proxy-{waiting.proxy}")
    assert f'href="/console/residents/{waiting.registry.woman}">张秀英</a>' in proxy
    assert "子女" in proxy and "…8812" in proxy and "2026-11-30 11:00" in proxy
    assert "批准" in proxy and "拒绝原因（会发给申请人）" in proxy
    newcomer = _card(page.text, f"registration-{waiting.registration}")
    assert "刘新来" in newcomer and "137****4433" in newcomer and "3栋2单元502" in newcomer
    assert "3栋 2 502" in newcomer and "接受登记" in newcomer
    for whole in (DAUGHTER, STRANGER, NEWCOMER, NEWCOMER_MOBILE, WOMAN, WOMAN_MOBILE):
        assert whole not in page.text
    assert '<a href="/console/registry/bindings">绑定审核</a>' in page.text  # in the sub-nav
    # With two committees, what matched nobody is nobody's committee's: the admin's to answer.
    assert f'id="proxy-{waiting.unmatched}"' not in page.text and "…4471" not in page.text


def test_the_admin_sees_what_matched_nobody_and_the_repeated_failures(waiting: Waiting) -> None:
    page = waiting.registry.client("admin").get(PAGE).text
    unmatched = _card(page, f"proxy-{waiting.unmatched}")
    assert "登记簿里没有找到这个人" in unmatched and "李不在" in unmatched and "父母" in unmatched
    assert 'value="approve"' not in unmatched  # only a rejection can answer it
    assert "东风社区居委会" in _card(page, f"proxy-{waiting.proxy}")  # several committees: named
    failures = page.split("今天多次绑定失败", 1)[1]
    assert "…4471" in failures and '<td data-label="失败次数">3</td>' in failures
    assert "姓名和号码对不上" in failures and "2026-11-30 11:00" in failures
    assert STRANGER not in page and DAUGHTER not in page


def test_another_committee_sees_none_of_it_and_cannot_decide(waiting: Waiting) -> None:
    west = waiting.registry.client("west")
    page = west.get(PAGE)
    assert page.status_code == 200
    assert "张秀英" not in page.text and "刘新来" not in page.text and "…4471" not in page.text
    assert "没有等待审核的代办申请" in page.text and "没有等待审核的新居民登记" in page.text
    token = csrf(page.text)
    for url in (
        f"{PAGE}/{waiting.proxy}",
        f"/console/registry/registrations/{waiting.registration}",
    ):
        answer = west.post(url, data={"csrf_token": token, "decision": "approve"})
        assert answer.status_code == 404 and "张秀英" not in answer.text, url
    assert _binding(waiting.registry.database, waiting.proxy).status == "pending"
    assert _notices(waiting.registry.database) == []


def test_a_grid_worker_has_no_review_page(waiting: Waiting) -> None:
    worker = waiting.registry.client("grid")
    assert "绑定审核" not in worker.get(f"/console/residents/{waiting.registry.woman}").text
    answer = worker.get(PAGE)
    assert answer.status_code == 404 and "张秀英" not in answer.text


def test_approving_a_proxy_is_audited_tells_the_daughter_once_and_shows_on_the_record(
    waiting: Waiting,
) -> None:
    clerk, database = waiting.registry.client("clerk"), waiting.registry.database
    token = csrf(clerk.get(PAGE).text)
    done = clerk.post(f"{PAGE}/{waiting.proxy}", data={"csrf_token": token, "decision": "approve"})
    assert done.status_code == 200 and "已批准代办，已用微信通知申请人。" in done.text
    assert f'id="proxy-{waiting.proxy}"' not in done.text
    assert _binding(database, waiting.proxy).status == "active"
    [entry] = _entries(database, "binding.approve")
    assert entry.actor == "clerk" and entry.object_id == str(waiting.proxy)
    [notice] = _notices(database)
    words = waiting.registry.app.state.services.content.binding.notices
    assert notice.recipient == DAUGHTER and notice.audience == "resident"
    assert notice.payload["text"] == words.proxy_approved.format(name="张*英", relation="子女")
    assert notice.committee_id == waiting.registry.committee_id

    again = clerk.post(f"{PAGE}/{waiting.proxy}", data={"csrf_token": token, "decision": "reject",
                                                        "reason": "点了两次"})  # fmt: skip
    assert again.status_code == 200 and "这条申请已经处理过了" in again.text
    assert _binding(database, waiting.proxy).status == "active"
    assert len(_notices(database)) == 1 and _entries(database, "binding.reject") == []

    record = clerk.get(f"/console/residents/{waiting.registry.woman}").text
    acting = record.split('id="acting"', 1)[1].split("</table>", 1)[0]
    assert "代办家属" in acting and "子女" in acting and "…8812" in acting and "已生效" in acting
    assert DAUGHTER not in record


def test_a_rejection_needs_a_reason_and_sends_it_to_the_requester(waiting: Waiting) -> None:
    clerk, database = waiting.registry.client("clerk"), waiting.registry.database
    token = csrf(clerk.get(PAGE).text)
    url = f"{PAGE}/{waiting.proxy}"
    blank = clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": "  "})
    assert blank.status_code == 200 and "请填写拒绝原因，原因会发给申请人。" in blank.text
    long = "请本人来居委会办理" * 30
    too_long = clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": long})
    assert f"拒绝原因请写在 {MAX_REASON} 个字以内。" in too_long.text
    assert f'value="{long}"' in too_long.text  # what was typed stays, beside its own request
    assert _binding(database, waiting.proxy).status == "pending" and _notices(database) == []

    reason = "张阿姨说没有请人代办，请本人来电 020-83001234 说明"
    done = clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": reason})
    assert "已拒绝代办申请，原因已发给申请人。" in done.text
    assert _binding(database, waiting.proxy).status == "rejected"
    [notice] = _notices(database)
    words = waiting.registry.app.state.services.content.binding.notices
    # The reason is kept and sent with its numbers masked, as everything staff write down.
    sent = "张阿姨说没有请人代办，请本人来电 020-****1234 说明"
    assert notice.payload["text"] == words.proxy_rejected.format(reason=sent)
    [entry] = _entries(database, "binding.reject")
    assert entry.after is not None and "020-83001234" not in str(entry.after)  # masked


def test_a_request_that_matched_nobody_can_only_be_rejected(waiting: Waiting) -> None:
    clerk, database = waiting.registry.client("admin"), waiting.registry.database
    token = csrf(clerk.get(PAGE).text)
    url = f"{PAGE}/{waiting.unmatched}"
    refused = clerk.post(url, data={"csrf_token": token, "decision": "approve"})
    assert "这条代办申请不能批准，只能拒绝" in refused.text
    assert _binding(database, waiting.unmatched).status == "pending" and _notices(database) == []
    clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": "没有找到这位居民"})
    assert _binding(database, waiting.unmatched).status == "rejected"
    assert [n.recipient for n in _notices(database)] == [DAUGHTER]


def test_accepting_a_registration_adds_the_resident_bound_to_their_wechat(
    waiting: Waiting,
) -> None:
    clerk, database = waiting.registry.client("clerk"), waiting.registry.database
    token = csrf(clerk.get(PAGE).text)
    url = f"/console/registry/registrations/{waiting.registration}"
    done = clerk.post(url, data={"csrf_token": token, "decision": "approve"})
    assert "已接受登记，新居民已加入台账，已用微信通知本人。" in done.text
    with Session(database) as session:
        registration = session.get(Registration, waiting.registration)
        assert registration is not None and registration.status == "accepted"
        person = session.get(Resident, registration.resident_id)
        assert person is not None and person.name == "刘新来"
        assert SEALER.open(person.mobile_sealed or "") == NEWCOMER_MOBILE
    [notice] = _notices(database)
    words = waiting.registry.app.state.services.content.binding.notices
    assert notice.recipient == NEWCOMER
    assert notice.payload["text"] == words.registration_accepted.format(name="刘*来")
    assert len(_entries(database, "registration.accept")) == 1
    record = clerk.get(f"/console/residents/{person.id}").text
    assert "3栋 2 502" in record and "来源：居民本人（微信）" in record
    acting = record.split('id="acting"', 1)[1].split("</table>", 1)[0]
    assert "本人" in acting and "…5530" in acting and "已生效" in acting
    again = clerk.post(url, data={"csrf_token": token, "decision": "approve"})
    assert "这条申请已经处理过了" in again.text and len(_notices(database)) == 1


def test_rejecting_a_registration_tells_why(waiting: Waiting) -> None:
    clerk, database = waiting.registry.client("clerk"), waiting.registry.database
    token = csrf(clerk.get(PAGE).text)
    url = f"/console/registry/registrations/{waiting.registration}"
    blank = clerk.post(url, data={"csrf_token": token, "decision": "reject"})
    assert "请填写拒绝原因" in blank.text and _notices(database) == []
    reason = "3栋没有502室，请到居委会当面登记"
    done = clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": reason})
    assert "已拒绝这条登记，原因已发给申请人。" in done.text
    [notice] = _notices(database)
    words = waiting.registry.app.state.services.content.binding.notices
    assert notice.payload["text"] == words.registration_rejected.format(reason=reason)
    assert len(_entries(database, "registration.reject")) == 1


def test_a_pending_request_shows_on_the_record_as_waiting(waiting: Waiting) -> None:
    record = (
        waiting.registry.client("clerk").get(f"/console/residents/{waiting.registry.woman}").text
    )
    acting = record.split('id="acting"', 1)[1].split("</table>", 1)[0]
    assert "代办家属" in acting and "等待审核" in acting
    assert '<a href="/console/registry/bindings">去审核</a>' in acting
    nobody = waiting.registry.client("clerk").get(f"/console/residents/{waiting.registry.boy}")
    assert "还没有人在微信里绑定这位居民。" in nobody.text
