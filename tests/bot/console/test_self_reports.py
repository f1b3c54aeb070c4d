"""Staff review the changes residents asked for in WeChat (信息变更): each shows what the
registry holds against what was asked for, both masked; approving writes it into the registry as
the resident's own report, rejecting needs a reason, each decision is audited and tells whoever
asked once, and a second click says it was decided already."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.binding import self_reports
from store.binding.models import SelfReport
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.registry.models import Resident
from store.staff.models import AuditEntry
from tests.chat import SEALER
from tests.resident_helpers import (
    MAN_MOBILE,
    NOW,
    WOMAN_MOBILE,
    Registry,
    build_registry,
    csrf,
)

WOMAN_OPENID = "o_zhang_xiuying_2201"
SON_OPENID = "o_son_of_wang_7713"
NEW_MOBILE = "13911112222"
PAGE = "/console/registry/self-reports"


@dataclass
class Changes:
    """The registry and the changes waiting: 张秀英's new mobile, 王建国 moved away (by his son)."""

    registry: Registry
    mobile: int
    moved: int


@pytest.fixture
def changes(database: Engine) -> Changes:
    """Two changes asked for in WeChat, both needing staff approval."""
    registry = build_registry(database)
    with unit_of_work(database) as session:
        mobile = self_reports.submit(
            session, SEALER, openid=WOMAN_OPENID, resident_id=registry.woman, by_proxy=False,
            field="mobile", value=NEW_MOBILE, needs_approval=True, now=NOW,
        )  # fmt: skip
        moved = self_reports.submit(
            session, SEALER, openid=SON_OPENID, resident_id=registry.man, by_proxy=True,
            field="residence_status", value="moved_out", needs_approval=True, now=NOW,
        )  # fmt: skip
    assert mobile.id and moved.id
    return Changes(registry, mobile.id, moved.id)


def _card(page: str, report_id: int) -> str:
    found = re.search(rf'<li id="self-report-{report_id}">(.*?)</li>', page, re.S)
    assert found, report_id
    return found.group(1)


def _notices(database: Engine) -> list[OutboxMessage]:
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "binding_notice")
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def _entries(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def _status(database: Engine, report_id: int) -> str:
    with Session(database) as session:
        report = session.get(SelfReport, report_id)
        assert report is not None
        return report.status


def test_each_change_shows_now_against_asked_for_masked(changes: Changes) -> None:
    page = changes.registry.client("clerk").get(PAGE)
    assert page.status_code == 200 and "有 2 条信息变更等待审核。" in page.text
    mobile = _card(page.text, changes.mobile)
    assert f'href="/console/residents/{changes.registry.woman}">张秀英</a>' in mobile
    assert "手机号" in mobile and "138****5678" in mobile and "139****2222" in mobile
    assert "居民本人" in mobile and "微信" in mobile and "2026-11-30 11:00" in mobile
    moved = _card(page.text, changes.moved)
    assert "王建国" in moved and "常住" not in moved  # his status was never filled
    assert "（未填）" in moved and "已迁出" in moved and "代办家属" in moved
    assert "moved_out" not in page.text and "wechat" not in page.text
    for whole in (NEW_MOBILE, WOMAN_MOBILE, MAN_MOBILE, WOMAN_OPENID, SON_OPENID):
        assert whole not in page.text
    assert '<a href="/console/registry/self-reports">信息变更</a>' in page.text


def test_another_committee_and_a_grid_worker_see_nothing(changes: Changes) -> None:
    west = changes.registry.client("west")
    page = west.get(PAGE)
    assert page.status_code == 200 and "没有等待审核的信息变更。" in page.text
    assert "张秀英" not in page.text and "139****2222" not in page.text
    answer = west.post(f"{PAGE}/{changes.mobile}",
                       data={"csrf_token": csrf(page.text), "decision": "approve"})  # fmt: skip
    assert answer.status_code == 404 and "张秀英" not in answer.text
    assert _status(changes.registry.database, changes.mobile) == "pending"
    assert changes.registry.client("grid").get(PAGE).status_code == 404


def test_approving_writes_the_registry_as_the_residents_own_report(changes: Changes) -> None:
    clerk, database = changes.registry.client("clerk"), changes.registry.database
    token = csrf(clerk.get(PAGE).text)
    done = clerk.post(f"{PAGE}/{changes.mobile}", data={"csrf_token": token, "decision": "approve"})
    assert done.status_code == 200 and "已批准，台账已更新，已用微信通知申请人。" in done.text
    assert f'id="self-report-{changes.mobile}"' not in done.text
    with Session(database) as session:
        woman = session.get(Resident, changes.registry.woman)
        assert woman is not None and SEALER.open(woman.mobile_sealed or "") == NEW_MOBILE
    [entry] = _entries(database, "self_report.approve")
    assert entry.actor == "clerk" and NEW_MOBILE not in str(entry.after)
    [notice] = _notices(database)
    words = changes.registry.app.state.services.content.binding.notices
    assert notice.recipient == WOMAN_OPENID
    assert notice.payload["text"] == words.self_report_approved.format(
        field="手机号", value="139****2222"
    )
    record = clerk.get(f"/console/residents/{changes.registry.woman}").text
    mobile_row = record.split('id="field-mobile"', 1)[1].split("</tr>", 1)[0]
    assert "139****2222" in mobile_row and "来源：居民本人（微信）" in mobile_row

    again = clerk.post(
        f"{PAGE}/{changes.mobile}", data={"csrf_token": token, "decision": "approve"}
    )
    assert again.status_code == 200 and "这条申请已经处理过了" in again.text
    assert len(_notices(database)) == 1 and len(_entries(database, "self_report.approve")) == 1


def test_a_rejection_needs_a_reason_which_goes_to_the_son(changes: Changes) -> None:
    clerk, database = changes.registry.client("clerk"), changes.registry.database
    token = csrf(clerk.get(PAGE).text)
    url = f"{PAGE}/{changes.moved}"
    blank = clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": ""})
    assert "请填写拒绝原因，原因会发给申请人。" in blank.text
    assert _status(database, changes.moved) == "pending" and _notices(database) == []
    reason = "王大爷上周还来领过补贴，请本人来居委会确认"
    done = clerk.post(url, data={"csrf_token": token, "decision": "reject", "reason": reason})
    assert "已拒绝，原因已发给申请人。" in done.text
    assert _status(database, changes.moved) == "rejected"
    [notice] = _notices(database)
    words = changes.registry.app.state.services.content.binding.notices
    assert notice.recipient == SON_OPENID
    assert notice.payload["text"] == words.self_report_rejected.format(
        field="居住情况", reason=reason
    )
    assert len(_entries(database, "self_report.reject")) == 1
    with Session(database) as session:
        man = session.get(Resident, changes.registry.man)
        assert man is not None and man.residence_status is None  # unchanged


def test_a_move_shows_the_old_home_against_the_new_one(changes: Changes) -> None:
    with unit_of_work(changes.registry.database) as session:
        report = self_reports.submit(
            session, SEALER, openid=WOMAN_OPENID, resident_id=changes.registry.woman,
            by_proxy=False, field="dwelling",
            value={"place_id": changes.registry.building, "unit": "1", "room": "102"},
            needs_approval=True, now=NOW,
        )  # fmt: skip
        assert report.id is not None
        moved_id = report.id
    card = _card(changes.registry.client("clerk").get(PAGE).text, moved_id)
    assert "住址" in card and "3栋 2 301" in card and "3栋 1单元 102" in card


def test_a_newer_change_takes_the_place_of_the_one_waiting(changes: Changes) -> None:
    clerk, database = changes.registry.client("clerk"), changes.registry.database
    token = csrf(clerk.get(PAGE).text)  # the page as it was before 张秀英 asked again
    with unit_of_work(database) as session:
        newer = self_reports.submit(
            session, SEALER, openid=WOMAN_OPENID, resident_id=changes.registry.woman,
            by_proxy=False, field="mobile", value="13933334444", needs_approval=True, now=NOW,
        )  # fmt: skip
    page = clerk.get(PAGE).text
    assert "有 2 条信息变更等待审核。" in page
    assert f'id="self-report-{changes.mobile}"' not in page and "139****2222" not in page
    assert "139****4444" in _card(page, newer.id or 0)
    # Approving the older one from the page opened before: it was decided already.
    stale = clerk.post(f"{PAGE}/{changes.mobile}",
                       data={"csrf_token": token, "decision": "approve"})  # fmt: skip
    assert stale.status_code == 200 and "这条申请已经处理过了" in stale.text
    assert _status(database, changes.mobile) == "replaced" and _notices(database) == []
    with Session(database) as session:
        woman = session.get(Resident, changes.registry.woman)
        assert woman is not None and SEALER.open(woman.mobile_sealed or "") == WOMAN_MOBILE


def test_an_approved_move_shows_in_the_residents_history_in_words(changes: Changes) -> None:
    with unit_of_work(changes.registry.database) as session:
        report = self_reports.submit(
            session, SEALER, openid=WOMAN_OPENID, resident_id=changes.registry.woman,
            by_proxy=False, field="dwelling",
            value={"place_id": changes.registry.building, "unit": "1", "room": "102"},
            needs_approval=True, now=NOW,
        )  # fmt: skip
    clerk = changes.registry.client("clerk")
    token = csrf(clerk.get(PAGE).text)
    done = clerk.post(f"{PAGE}/{report.id}", data={"csrf_token": token, "decision": "approve"})
    assert done.status_code == 200
    record = clerk.get(f"/console/residents/{changes.registry.woman}").text
    history = record.split("变更记录", 1)[1]
    row = history.split("<tr>", 2)[2].split("</tr>", 1)[0]
    assert ">住址<" in row and "3栋 2单元 301" in row and "3栋 1单元 102" in row
    assert "居民本人（微信）" in row and "dwelling" not in record
