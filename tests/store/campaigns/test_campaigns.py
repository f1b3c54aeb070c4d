"""store/campaigns: staff start a confirmation campaign for 东风's residents. Each resident
reachable in WeChat gets one message with their details masked — through their own binding, else
their oldest approved family proxy —, the unbound land on the call list, a message the outbox
could not deliver makes its resident unreachable, and starting twice sends nothing twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.campaigns.letters import letter
from store.campaigns import service as campaigns
from store.campaigns.audience import Audience, counts
from store.campaigns.models import CampaignTarget
from store.campaigns.reminders import settle_unreachable
from store.db import unit_of_work
from store.errors import Refused
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry
from tests.chat import SEALER, WORDS
from tests.resident_helpers import MAN, MAN_MOBILE, NOW, WOMAN, WOMAN_MOBILE
from tests.store.campaigns.conftest import (
    DAUGHTER,
    GONE,
    HERSELF,
    LATE,
    NEPHEW,
    SON,
    TZ,
    Bound,
    as_clerk,
    build_bound,
    messages,
    save,
    settle,
    start,
)


def _targets(bound: Bound, campaign_id: int) -> dict[int, CampaignTarget]:
    with Session(bound.database) as session:
        query = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
        return {t.resident_id: t for t in session.exec(query)}


def _progress(bound: Bound, campaign_id: int) -> campaigns.Progress:
    with Session(bound.database) as session:
        return campaigns.progress(session, [campaign_id])[campaign_id]


def _call_list(bound: Bound, campaign_id: int) -> list[tuple[str, str]]:
    with Session(bound.database) as session:
        rows, total = campaigns.call_list(session, campaign_id, page=1, per_page=50)
    assert total == len(rows)
    return [(row.resident.name, row.status) for row in rows]


def test_each_bound_resident_is_sent_their_own_details_masked_once(bound: Bound) -> None:
    registry = bound.registry
    started = start(bound, save(bound))
    assert (started.sent, started.not_bound) == (2, 1)
    sent = {m.recipient: m for m in messages(bound.database)}
    # 张秀英 herself; 王建国 through his daughter, the older of his two approved proxies; never
    # the nephew whose request waits, the deceased, or the WeChat 张小明 unbound.
    assert set(sent) == {HERSELF, DAUGHTER}
    assert not {SON, NEPHEW, LATE, GONE} & set(sent)
    campaign_id = started.campaign.id
    herself = sent[HERSELF]
    assert herself.idempotency_key == f"campaign:{campaign_id}:{registry.woman}"
    assert herself.committee_id == registry.committee_id
    assert herself.payload["text"] == (
        "【核对信息】东风社区居委会请您核对登记的信息（部分内容已隐藏）：\n"
        "姓名：张*英\n"
        f"身份证号：1101**********{WOMAN[-4:]}\n"
        "手机号：138****5678\n"
        "住址：3栋2单元301\n"
        "居住情况：常住\n"
        "上次核对：2026年11月30日\n"
        "信息正确，请回复 1；需要修改，请回复 2。"
    )
    family = sent[DAUGHTER].payload["text"]
    assert family.startswith("【核对信息】东风社区居委会请您帮家人王*国核对登记的信息")
    assert f"1101**********{MAN[-4:]}" not in family and f"4401**********{MAN[-4:]}" in family
    assert "139****4321" in family and "居住情况：未登记" in family
    assert "上次核对：2025年10月26日" in family
    for message in sent.values():
        for whole in (WOMAN, MAN, WOMAN_MOBILE, MAN_MOBILE):
            assert whole not in message.payload["text"]
    targets = _targets(bound, campaign_id or 0)
    assert set(targets) == {registry.woman, registry.man, registry.boy}  # never the deceased
    assert (targets[registry.woman].openid, targets[registry.woman].via) == (HERSELF, "self")
    assert (targets[registry.man].openid, targets[registry.man].via) == (DAUGHTER, "proxy")
    boy = targets[registry.boy]
    assert (boy.openid, boy.via, boy.status, boy.message_id) == (None, None, "not_bound", None)
    assert _progress(bound, campaign_id or 0) == campaigns.Progress(total=3, waiting=2, not_bound=1)
    assert _call_list(bound, campaign_id or 0) == [("张小明", "not_bound")]


def test_starting_twice_sends_nothing_twice(bound: Bound) -> None:
    campaign_id = save(bound)
    start(bound, campaign_id)
    with pytest.raises(Refused) as refused:
        start(bound, campaign_id, now=NOW + timedelta(minutes=1))
    assert (refused.value.code, refused.value.conflict) == ("started", True)
    assert len(messages(bound.database)) == 2
    assert len(_targets(bound, campaign_id)) == 3


@pytest.mark.postgres_only
def test_a_start_at_the_same_time_as_another_is_refused_as_started(postgres: Engine) -> None:
    bound = build_bound(postgres)
    campaign_id = save(bound)
    with as_clerk(bound) as (session, scope, actor):
        # One clerk's page has read the campaign, not started yet...
        found = campaigns.visible(session, scope, campaign_id)
        assert found is not None and found.started_at is None
        # ...when another clerk's start commits.
        start(bound, campaign_id)
        with pytest.raises(Refused) as refused:
            campaigns.start(session, SEALER, campaign_id=campaign_id, scope=scope, actor=actor,
                            now=NOW + timedelta(seconds=1), tz=TZ,
                            letter=letter(WORDS, TZ))  # fmt: skip
    assert (refused.value.code, refused.value.conflict) == ("started", True)
    assert len(messages(postgres)) == 2 and len(_targets(bound, campaign_id)) == 3


def test_starting_is_audited_with_what_was_sent(bound: Bound) -> None:
    campaign_id = start(bound, save(bound)).campaign.id
    with Session(bound.database) as session:
        query = select(AuditEntry).where(col(AuditEntry.action).startswith("campaign."))
        entries = list(session.exec(query.order_by(col(AuditEntry.id))))
    assert [e.action for e in entries] == ["campaign.create", "campaign.start"]
    assert all(e.object_id == str(campaign_id) and e.actor == "clerk" for e in entries)
    assert entries[1].after == {"title": "2026年冬季核对", "residents": 3, "sent": 2,
                                "not_bound": 1}  # fmt: skip


def test_a_building_a_tag_or_a_date_narrows_whom_a_campaign_asks(bound: Bound) -> None:
    registry = bound.registry

    def counted(**given: object) -> tuple[int, int]:
        audience = Audience(registry.committee_id, **given)  # type: ignore[arg-type]
        with as_clerk(bound) as (session, scope, _):
            return counts(session, scope, audience, sealer=SEALER, today=NOW.date(), tz=TZ)

    assert counted() == (3, 2)  # the deceased never counts
    assert counted(place_id=registry.building) == (2, 2)  # 张小明 lives in no building of it
    assert counted(tag="party_member") == (1, 1)
    assert counted(unconfirmed_since=date(2026, 1, 1)) == (2, 1)  # 王建国, and 张小明 never
    assert counted(unconfirmed_since=date(2026, 12, 1)) == (3, 2)  # nobody confirmed since
    campaign_id = save(bound, tag="party_member")
    assert start(bound, campaign_id).sent == 1
    assert [m.recipient for m in messages(bound.database)] == [HERSELF]


def test_a_campaign_of_nobody_cannot_start(bound: Bound) -> None:
    campaign_id = save(bound, tag="only_child")
    with pytest.raises(Refused) as refused:
        start(bound, campaign_id)
    assert refused.value.code == "nobody"
    assert messages(bound.database) == []


def test_another_committee_can_neither_save_nor_see_nor_start_a_campaign(bound: Bound) -> None:
    registry = bound.registry
    campaign_id = save(bound)
    with unit_of_work(bound.database) as session:
        west = scopes.of(session, registry.stranger)
        assert campaigns.visible(session, west, campaign_id) is None
        assert campaigns.listed(session, west) == []
    with pytest.raises(Refused) as refused, unit_of_work(bound.database) as session:
        campaigns.start(session, SEALER, campaign_id=campaign_id, scope=west,
                        actor=audit.Actor.of(registry.stranger), now=NOW, tz=TZ,
                        letter=lambda message, details: message)  # fmt: skip
    assert refused.value.code == "campaign_unknown"
    with pytest.raises(Refused) as refused, unit_of_work(bound.database) as session:
        campaigns.create(session, west, audience=Audience(registry.committee_id), title="x",
                         message="{details}", reminder_after_days=3,
                         actor=audit.Actor.of(registry.stranger), now=NOW)  # fmt: skip
    assert refused.value.code == "committee_unknown"
    assert messages(bound.database) == []


def test_a_message_the_outbox_could_not_deliver_puts_its_resident_on_the_call_list(
    bound: Bound,
) -> None:
    registry = bound.registry
    campaign_id = start(bound, save(bound)).campaign.id or 0
    settle(bound.database, f"campaign:{campaign_id}:{registry.woman}", "sent")
    settle(bound.database, f"campaign:{campaign_id}:{registry.man}", "failed",
           error="window_closed")  # fmt: skip
    assert _progress(bound, campaign_id) == campaigns.Progress(
        total=3, waiting=1, unreachable=1, not_bound=1
    )
    assert _call_list(bound, campaign_id) == [("王建国", "unreachable"), ("张小明", "not_bound")]
    with Session(bound.database) as session:
        rows, _ = campaigns.call_list(session, campaign_id, page=1, per_page=50)
    assert (rows[0].error, rows[0].via) == ("window_closed", "proxy")
    # The daily job makes it stick: the target itself is unreachable now.
    with unit_of_work(bound.database) as session:
        assert settle_unreachable(session) == 1
    assert _targets(bound, campaign_id)[registry.man].status == "unreachable"
    with Session(bound.database) as session:
        rows, total = campaigns.call_list(session, campaign_id, page=2, per_page=1)
    assert total == 2 and [row.resident.name for row in rows] == ["张小明"]


def test_an_unreachable_message_counts_as_unreachable_too(bound: Bound) -> None:
    campaign_id = start(bound, save(bound)).campaign.id or 0
    settle(bound.database, f"campaign:{campaign_id}:{bound.registry.woman}", "unreachable",
           error="not_following")  # fmt: skip
    assert _progress(bound, campaign_id).unreachable == 1
