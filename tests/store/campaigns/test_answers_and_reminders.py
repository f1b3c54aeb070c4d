"""Answering a campaign in WeChat and the one reminder: 张秀英 answers 1 (her details are
confirmed now), 王建国's daughter answers 2 for him, the answers are counted, and N days later a
reminder goes once, only to those who neither answered nor were unreachable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.campaigns.letters import reminder
from store.binding import bindings, self_reports
from store.campaigns import answers
from store.campaigns import service as campaigns
from store.campaigns.models import CampaignTarget
from store.campaigns.reminders import remind_due
from store.db import unit_of_work
from store.errors import Refused
from store.registry.models import Resident
from tests.chat import SEALER, WORDS
from tests.resident_helpers import NOW
from tests.store.campaigns.conftest import (
    DAUGHTER,
    HERSELF,
    SON,
    TZ,
    Bound,
    as_clerk,
    bind,
    campaign,
    messages,
    save,
    settle,
    start,
)


def _answer(bound: Bound, openid: str, said: str, *, minutes: int = 5) -> CampaignTarget | None:
    with unit_of_work(bound.database) as session:
        return answers.answer(session, openid=openid, answer=said,
                              now=NOW + timedelta(minutes=minutes))  # fmt: skip


def _awaiting(bound: Bound, openid: str, **since: object) -> tuple[int, int] | None:
    with Session(bound.database) as session:
        return answers.awaiting(session, openid, **since)  # type: ignore[arg-type]


def _remind(bound: Bound, days: float) -> int:
    with unit_of_work(bound.database) as session:
        return remind_due(session, SEALER, now=NOW + timedelta(days=days), tz=TZ,
                          reminder=reminder(WORDS, TZ))  # fmt: skip


def _progress(bound: Bound, campaign_id: int) -> campaigns.Progress:
    with Session(bound.database) as session:
        return campaigns.progress(session, [campaign_id])[campaign_id]


def test_answers_are_recorded_on_the_message_they_answer_and_counted(bound: Bound) -> None:
    registry = bound.registry
    campaign_id = start(bound, save(bound)).campaign.id or 0
    assert _awaiting(bound, HERSELF) == (campaign_id, registry.woman)
    assert _awaiting(bound, DAUGHTER) == (campaign_id, registry.man)
    assert _awaiting(bound, SON) is None  # bound too, but the message went to his sister
    answered = _answer(bound, HERSELF, "confirmed")
    assert answered is not None and answered.status == "confirmed"
    with Session(bound.database) as session:
        woman = session.get(Resident, registry.woman)
        assert woman is not None and woman.last_confirmed_at == NOW + timedelta(minutes=5)
    assert _answer(bound, DAUGHTER, "changed") is not None
    with Session(bound.database) as session:
        man = session.get(Resident, registry.man)
        assert man is not None and man.last_confirmed_at == NOW - timedelta(days=400)
    # Answered: nothing waits any more, and a second 1 answers nothing.
    assert _awaiting(bound, HERSELF) is None and _answer(bound, HERSELF, "confirmed") is None
    assert _progress(bound, campaign_id) == campaigns.Progress(
        total=3, confirmed=1, changed=1, not_bound=1
    )


def test_only_confirmed_or_changed_is_an_answer(bound: Bound) -> None:
    start(bound, save(bound))
    with pytest.raises(Refused), unit_of_work(bound.database) as session:
        answers.answer(session, openid=HERSELF, answer="maybe", now=NOW)


def test_a_family_member_acting_for_two_answers_the_newest_message_first(bound: Bound) -> None:
    registry = bound.registry
    bind(bound.database, DAUGHTER, registry.boy, kind="proxy", relation="other")
    campaign_id = start(bound, save(bound)).campaign.id or 0
    assert len([m for m in messages(bound.database) if m.recipient == DAUGHTER]) == 2
    assert _awaiting(bound, DAUGHTER) == (campaign_id, registry.boy)
    _answer(bound, DAUGHTER, "confirmed")
    assert _awaiting(bound, DAUGHTER) == (campaign_id, registry.man)
    _answer(bound, DAUGHTER, "changed", minutes=6)
    assert _awaiting(bound, DAUGHTER) is None


def test_one_who_no_longer_acts_for_the_resident_cannot_answer(bound: Bound) -> None:
    start(bound, save(bound))
    with unit_of_work(bound.database) as session:
        [mine] = bindings.bindings_of(session, DAUGHTER)
        assert bindings.unbind(session, openid=DAUGHTER, binding_id=mine.id or 0, now=NOW)
    assert _awaiting(bound, DAUGHTER) is None
    assert _answer(bound, DAUGHTER, "confirmed") is None


def test_an_old_campaign_is_not_answered_by_a_1_typed_much_later(bound: Bound) -> None:
    start(bound, save(bound))
    assert _awaiting(bound, HERSELF, since=NOW - timedelta(days=1)) is not None
    assert _awaiting(bound, HERSELF, since=NOW + timedelta(seconds=1)) is None
    with unit_of_work(bound.database) as session:
        late = answers.answer(session, openid=HERSELF, answer="confirmed",
                              now=NOW + timedelta(days=40),
                              since=NOW + timedelta(days=10))  # fmt: skip
    assert late is None


def test_the_reminder_goes_once_after_n_days_to_those_who_did_not_answer(bound: Bound) -> None:
    registry = bound.registry
    bind(bound.database, SON, registry.boy, kind="proxy", relation="other")
    campaign_id = start(bound, save(bound, days=3)).campaign.id or 0
    for resident_id in (registry.woman, registry.man, registry.boy):
        settle(bound.database, f"campaign:{campaign_id}:{resident_id}", "sent")
    _answer(bound, HERSELF, "confirmed")
    # 王建国's daughter and 张小明's new proxy have not answered.
    assert _remind(bound, 2.9) == 0
    assert _remind(bound, 3) == 2
    reminders = [m for m in messages(bound.database) if m.idempotency_key.endswith(":reminder")]
    assert {m.recipient for m in reminders} == {DAUGHTER, SON}
    assert reminders[0].idempotency_key == f"campaign:{campaign_id}:{registry.man}:reminder"
    text = reminders[0].payload["text"]
    assert text.startswith("【核对信息提醒】东风社区居委会前几天请您帮家人王*国核对")
    assert "还没有收到您的回复" in text and "139****4321" in text
    assert campaign(bound.database, campaign_id).reminded_at == NOW + timedelta(days=3)
    # Once: later runs remind nobody again, even those still silent.
    assert _remind(bound, 4) == 0 and _remind(bound, 30) == 0
    assert len(messages(bound.database)) == 3 + 2
    assert _progress(bound, campaign_id) == campaigns.Progress(
        total=3, confirmed=1, waiting=2, reminded=2
    )
    # A reminder the outbox could not deliver puts its resident on the call list.
    settle(bound.database, f"campaign:{campaign_id}:{registry.boy}:reminder", "unreachable",
           error="window_closed")  # fmt: skip
    assert _progress(bound, campaign_id).unreachable == 1


def test_no_reminder_to_one_answered_or_unreachable(bound: Bound) -> None:
    registry = bound.registry
    campaign_id = start(bound, save(bound, days=1)).campaign.id or 0
    settle(bound.database, f"campaign:{campaign_id}:{registry.woman}", "sent")
    settle(bound.database, f"campaign:{campaign_id}:{registry.man}", "failed", error="45015")
    _answer(bound, HERSELF, "confirmed")
    assert _remind(bound, 1) == 0
    with Session(bound.database) as session:
        query = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
        statuses = {t.resident_id: t.status for t in session.exec(query)}
    assert statuses == {registry.woman: "confirmed", registry.man: "unreachable",
                        registry.boy: "not_bound"}  # fmt: skip
    assert campaign(bound.database, campaign_id).reminded_at is not None


def test_a_campaign_not_started_is_never_reminded(bound: Bound) -> None:
    campaign_id = save(bound, days=1)
    assert _remind(bound, 5) == 0
    assert campaign(bound.database, campaign_id).reminded_at is None


def test_no_reminder_through_one_who_no_longer_acts_for_the_resident(bound: Bound) -> None:
    registry = bound.registry
    campaign_id = start(bound, save(bound, days=3)).campaign.id or 0
    for resident_id in (registry.woman, registry.man):
        settle(bound.database, f"campaign:{campaign_id}:{resident_id}", "sent")
    with unit_of_work(bound.database) as session:  # 王建国's daughter unbinds herself
        [mine] = bindings.bindings_of(session, DAUGHTER)
        assert bindings.unbind(session, openid=DAUGHTER, binding_id=mine.id or 0, now=NOW)
    assert _remind(bound, 3) == 1
    reminders = [m for m in messages(bound.database) if m.idempotency_key.endswith(":reminder")]
    assert [m.recipient for m in reminders] == [HERSELF]


def _reported(bound: Bound, resident_id: int, status: str, openid: str) -> None:
    """A family member reports the resident moved away or died, and the clerk approves it."""
    with unit_of_work(bound.database) as session:
        report = self_reports.submit(
            session, SEALER, openid=openid, resident_id=resident_id, by_proxy=True,
            field="residence_status", value=status, needs_approval=True, now=NOW,
        )  # fmt: skip
    with as_clerk(bound) as (session, scope, actor):
        self_reports.approve(session, SEALER, report_id=report.id or 0, actor=actor,
                             now=NOW + timedelta(hours=1), scope=scope)  # fmt: skip


def test_one_who_moved_out_or_died_is_no_longer_asked_reminded_or_phoned(bound: Bound) -> None:
    registry = bound.registry
    campaign_id = start(bound, save(bound, days=3)).campaign.id or 0
    for resident_id in (registry.woman, registry.man):
        settle(bound.database, f"campaign:{campaign_id}:{resident_id}", "sent")
    _reported(bound, registry.woman, "moved_out", HERSELF)  # still bound, but gone
    _reported(bound, registry.boy, "deceased", SON)  # not bound: he was on the call list
    assert _awaiting(bound, HERSELF) is None and _answer(bound, HERSELF, "confirmed") is None
    assert _remind(bound, 3) == 1  # only 王建国, through his daughter
    reminders = [m for m in messages(bound.database) if m.idempotency_key.endswith(":reminder")]
    assert [m.recipient for m in reminders] == [DAUGHTER]
    assert _progress(bound, campaign_id) == campaigns.Progress(
        total=3, waiting=1, closed=2, reminded=1
    )
    with Session(bound.database) as session:
        assert campaigns.call_list(session, campaign_id, page=1, per_page=50) == ([], 0)
