"""store/broadcasts: 东风's clerk writes a notice to 3栋 or to the party members. The preview
counts whom it names and whom WeChat reaches — 张秀英 herself, 王建国 through his daughter, the
older of his two approved proxies —, who stopped every reminder (退订全部) and who is bound to
nobody; sending (once, as confirmed) queues one `notice` per reachable resident, the proxy's
naming the family member masked, and the unbound and undelivered land on the call list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import literal, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.binding.notices import mask_name
from store.broadcasts import progress as following
from store.broadcasts import service as broadcasts
from store.broadcasts.models import Broadcast, BroadcastTarget
from store.campaigns.audience import Audience
from store.db import unit_of_work
from store.errors import Refused
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.registry import homes
from store.registry.models import Resident
from store.reviews.models import ReviewOptOut
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER
from tests.resident_helpers import NOW
from tests.store.campaigns.conftest import (
    DAUGHTER,
    HERSELF,
    SON,
    TZ,
    Bound,
    as_clerk,
    build_bound,
    settle,
)

OWN = "【东风社区居委会通知】停水\n明天9:00-12:00停水。"
LETTER = broadcasts.Letter(
    OWN, "【东风社区居委会通知】停水（家人", "的通知，由您代收）\n明天9:00-12:00停水。"
)
TEXT = "明天9:00-12:00停水。"


@pytest.fixture
def bound(database: Engine) -> Bound:
    """The campaigns' registry, with 张小明 (bound to nobody) a party member like 张秀英."""
    bound = build_bound(database)
    with unit_of_work(bound.database) as session:
        homes.tag(session, bound.registry.boy, "party_member")
    return bound


def _audience(bound: Bound, *, building: bool = False, tag: str | None = None) -> Audience:
    registry = bound.registry
    return Audience(registry.committee_id, registry.building if building else None, tag)


def _save(bound: Bound, audience: Audience, *, title: str = "停水", text: str = TEXT) -> int:
    with as_clerk(bound) as (session, scope, actor):
        saved = broadcasts.create(session, scope, audience=audience, title=title, text=text,
                                  actor=actor, now=NOW)  # fmt: skip
        return saved.id or 0


def _preview(bound: Bound, audience: Audience) -> broadcasts.Preview:
    with as_clerk(bound) as (session, scope, _):
        return broadcasts.preview(session, scope, audience, sealer=SEALER, today=NOW.date(),
                                  tz=TZ, letter=LETTER)  # fmt: skip


def _send(bound: Bound, broadcast_id: int, expected: broadcasts.Counts,
          *, now: object = NOW) -> broadcasts.Counts:  # fmt: skip
    with as_clerk(bound) as (session, scope, actor):
        return broadcasts.send(session, SEALER, broadcast_id=broadcast_id, scope=scope,
                               expected=expected, letter=LETTER, actor=actor, now=now,  # type: ignore[arg-type]
                               tz=TZ)  # fmt: skip


def _notices(database: Engine) -> dict[str, OutboxMessage]:
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "notice")
        return {m.recipient: m for m in session.scalars(query.order_by(col(OutboxMessage.id)))}


def _targets(database: Engine, broadcast_id: int) -> dict[int, BroadcastTarget]:
    with Session(database) as session:
        query = select(BroadcastTarget).where(BroadcastTarget.broadcast_id == broadcast_id)
        return {t.resident_id: t for t in session.scalars(query)}


def _stop_all(
    database: Engine, openid: str, *, programme: str = "*", resumed: bool = False
) -> None:
    with unit_of_work(database) as session:
        session.add(ReviewOptOut(openid=openid, programme=programme, opted_out_at=NOW,
                                 resumed_at=NOW if resumed else None))  # fmt: skip


def _progress(database: Engine, broadcast_id: int) -> following.Progress:
    with Session(database) as session:
        return following.progress(session, [broadcast_id])[broadcast_id]


def _calls(database: Engine, broadcast_id: int) -> list[tuple[str, str, str | None]]:
    with Session(database) as session:
        rows, total = following.call_list(session, broadcast_id, page=1, per_page=50)
    assert total == len(rows)
    return [(row.resident.name, row.status, row.error) for row in rows]


def test_the_preview_counts_whom_a_building_or_a_tag_names_and_whom_wechat_reaches(
    bound: Bound,
) -> None:
    building = _preview(bound, _audience(bound, building=True))
    assert building.counts == broadcasts.Counts(total=2, reachable=2, opted_out=0, not_bound=0)
    assert building.message == OWN  # 张秀英, the first, reads it herself
    party = _preview(bound, _audience(bound, tag="party_member"))
    assert party.counts == broadcasts.Counts(total=2, reachable=1, opted_out=0, not_bound=1)
    both = _preview(bound, _audience(bound, building=True, tag="party_member"))
    assert both.counts.total == 1
    nobody = _preview(bound, _audience(bound, tag="disabled"))
    assert nobody == broadcasts.Preview(broadcasts.Counts(), None)


def test_a_proxy_reads_whose_notice_it_is_with_the_name_masked(bound: Bound) -> None:
    with unit_of_work(bound.database) as session:
        homes.tag(session, bound.registry.man, "disabled")
    shown = _preview(bound, _audience(bound, tag="disabled"))
    assert (
        shown.message
        == "【东风社区居委会通知】停水（家人王*国的通知，由您代收）\n明天9:00-12:00停水。"
    )


def test_stopping_every_reminder_stops_notices_but_one_programme_or_a_resumed_stop_does_not(
    bound: Bound,
) -> None:
    audience = _audience(bound, building=True)
    _stop_all(bound.database, DAUGHTER, programme="family_planning_review")
    _stop_all(bound.database, HERSELF, resumed=True)
    assert _preview(bound, audience).counts.opted_out == 0
    _stop_all(bound.database, DAUGHTER)
    assert _preview(bound, audience).counts == broadcasts.Counts(2, 1, 1, 0)


def test_sending_queues_one_notice_per_reachable_resident_and_a_target_for_each(
    bound: Bound,
) -> None:
    registry = bound.registry
    _stop_all(bound.database, HERSELF)
    audience = _audience(bound, tag="party_member")
    with unit_of_work(bound.database) as session:
        homes.tag(session, registry.man, "party_member")
    broadcast_id = _save(bound, audience)
    expected = _preview(bound, audience).counts
    assert expected == broadcasts.Counts(total=3, reachable=1, opted_out=1, not_bound=1)
    assert _send(bound, broadcast_id, expected) == expected
    notices = _notices(bound.database)
    assert set(notices) == {DAUGHTER}  # never the son, the later proxy; never the stopped one
    notice = notices[DAUGHTER]
    text = "【东风社区居委会通知】停水（家人王*国的通知，由您代收）\n明天9:00-12:00停水。"
    assert notice.payload == {"text": text, "data": {"text": text}}
    assert notice.idempotency_key == f"notice:{broadcast_id}:{registry.man}"
    assert (notice.status, notice.audience, notice.urgent) == ("pending", "resident", False)
    assert notice.committee_id == registry.committee_id and notice.sub_district_id is not None
    assert notice.next_attempt_at == NOW
    targets = {rid: (t.status, t.openid, t.via)
               for rid, t in _targets(bound.database, broadcast_id).items()}  # fmt: skip
    assert targets == {registry.woman: ("opted_out", None, "self"),
                       registry.man: ("sent", DAUGHTER, "proxy"),
                       registry.boy: ("not_bound", None, None)}  # fmt: skip
    with Session(bound.database) as session:
        stored = session.get(Broadcast, broadcast_id)
        assert stored is not None and stored.sent_at == NOW
        assert broadcasts.sent_count(stored) == expected
    assert SON not in _notices(bound.database)


def test_sending_is_audited_and_happens_once(bound: Bound) -> None:
    audience = _audience(bound, building=True)
    broadcast_id = _save(bound, audience)
    expected = _preview(bound, audience).counts
    _send(bound, broadcast_id, expected)
    with pytest.raises(Refused) as refused:
        _send(bound, broadcast_id, expected, now=NOW + timedelta(minutes=1))
    assert (refused.value.code, refused.value.conflict) == ("sent", True)
    assert len(_notices(bound.database)) == 2 and len(_targets(bound.database, broadcast_id)) == 2
    with Session(bound.database) as session:
        query = select(AuditEntry).where(col(AuditEntry.action).startswith("broadcast."))
        entries = list(session.scalars(query.order_by(col(AuditEntry.id))))
    assert [e.action for e in entries] == ["broadcast.create", "broadcast.send"]
    assert all(e.object_id == str(broadcast_id) and e.actor == "clerk" for e in entries)
    kept = {"place_id": bound.registry.building, "tag": None}
    assert entries[0].after == {"title": "停水", "text": TEXT, "filter": kept}
    assert entries[1].after == {"title": "停水", "residents": 2, "sent": 2, "not_bound": 0,
                                "opted_out": 0}  # fmt: skip


def test_counts_that_changed_since_the_preview_are_refused_and_nothing_is_sent(
    bound: Bound,
) -> None:
    audience = _audience(bound, building=True)
    broadcast_id = _save(bound, audience)
    expected = _preview(bound, audience).counts
    _stop_all(bound.database, HERSELF)  # while the clerk looked at the preview
    with pytest.raises(Refused) as refused:
        _send(bound, broadcast_id, expected)
    assert (refused.value.code, refused.value.conflict) == ("changed", True)
    assert _notices(bound.database) == {} and _targets(bound.database, broadcast_id) == {}
    now = _preview(bound, audience).counts
    assert _send(bound, broadcast_id, now) == broadcasts.Counts(2, 1, 1, 0)


@pytest.mark.postgres_only
def test_a_send_at_the_same_time_as_another_is_refused_as_sent(postgres: Engine) -> None:
    bound = build_bound(postgres)
    audience = _audience(bound, building=True)
    broadcast_id = _save(bound, audience)
    expected = _preview(bound, audience).counts
    with as_clerk(bound) as (session, scope, actor):
        # One clerk's page has read the broadcast, not sent yet...
        found = broadcasts.visible(session, scope, broadcast_id)
        assert found is not None and found.sent_at is None
        # ...when another clerk's send commits.
        _send(bound, broadcast_id, expected)
        with pytest.raises(Refused) as refused:
            broadcasts.send(session, SEALER, broadcast_id=broadcast_id, scope=scope,
                            expected=expected, letter=LETTER, actor=actor,
                            now=NOW + timedelta(seconds=1), tz=TZ)  # fmt: skip
    assert refused.value.code == "sent"
    assert len(_notices(postgres)) == 2 and len(_targets(postgres, broadcast_id)) == 2


def test_a_broadcast_needs_a_building_or_a_tag_a_title_and_a_short_text(bound: Bound) -> None:
    registry = bound.registry
    west = registry.stranger.committee_id or 0
    with unit_of_work(bound.database) as session:
        theirs = Place(committee_id=west, kind="building", name="西湖1栋")
        session.add(theirs)
        session.flush()
        west_building = theirs.id

    def refused(audience: Audience, **given: str) -> str | None:
        try:
            _save(bound, audience, **given)
        except Refused as refusal:
            return refusal.code
        return None

    everyone = Audience(registry.committee_id)
    assert refused(everyone) == "no_range"
    assert refused(Audience(registry.committee_id, west_building)) == "place_unknown"
    assert refused(Audience(west, west_building)) == "committee_unknown"
    building = _audience(bound, building=True)
    assert refused(building, title=" ") == "title_missing"
    assert refused(building, title="通" * 101) == "title_long"
    assert refused(building, text="") == "text_missing"
    assert refused(building, text="水" * 301) == "text_long"
    assert refused(building, text="水" * 300) is None


def test_another_committee_neither_sees_nor_sends_it(bound: Bound) -> None:
    audience = _audience(bound, building=True)
    broadcast_id = _save(bound, audience)
    with unit_of_work(bound.database) as session:
        stranger = session.get(StaffUser, bound.registry.stranger.id)
        assert stranger is not None
        scope = scopes.of(session, stranger)
        assert broadcasts.visible(session, scope, broadcast_id) is None
        assert broadcasts.listed(session, scope) == []
        with pytest.raises(Refused) as refused:
            broadcasts.send(session, SEALER, broadcast_id=broadcast_id, scope=scope,
                            expected=broadcasts.Counts(2, 2, 0, 0), letter=LETTER,
                            actor=audit.Actor.of(stranger), now=NOW, tz=TZ)  # fmt: skip
    assert refused.value.code == "broadcast_unknown"
    assert _notices(bound.database) == {}


def test_progress_follows_the_outbox_and_the_call_list_holds_whom_to_phone(bound: Bound) -> None:
    registry = bound.registry
    with unit_of_work(bound.database) as session:
        homes.tag(session, registry.man, "party_member")
    audience = _audience(bound, tag="party_member")
    broadcast_id = _save(bound, audience)
    _send(bound, broadcast_id, _preview(bound, audience).counts)
    assert _progress(bound.database, broadcast_id) == following.Progress(
        total=3, waiting=2, not_bound=1
    )
    assert _calls(bound.database, broadcast_id) == [("张小明", "not_bound", None)]
    settle(bound.database, f"notice:{broadcast_id}:{registry.woman}", outbox.SENT)
    settle(bound.database, f"notice:{broadcast_id}:{registry.man}", outbox.UNREACHABLE,
           error="not_following")  # fmt: skip
    found = _progress(bound.database, broadcast_id)
    assert found == following.Progress(total=3, delivered=1, unreachable=1, not_bound=1)
    assert found.to_call == 2
    assert _calls(bound.database, broadcast_id) == [
        ("王建国", "unreachable", "not_following"),
        ("张小明", "not_bound", None),
    ]
    # 张小明 moves away: nobody is to phone him about it any more.
    with unit_of_work(bound.database) as session:
        boy = session.get(Resident, registry.boy)
        assert boy is not None
        boy.residence_status = "moved_out"
        session.add(boy)
    assert _progress(bound.database, broadcast_id).closed == 1
    assert [name for name, *_ in _calls(bound.database, broadcast_id)] == ["王建国"]


def test_names_are_masked_in_sql_as_notices_mask_them(database: Engine) -> None:
    names = ["张秀英", "王五", "李", "欧阳小月", "司马相如", " 张三 "]
    with Session(database) as session:
        masked = [session.execute(select(broadcasts.masked_name(literal(n)))).scalar_one()
                  for n in names]  # fmt: skip
    assert masked == [mask_name(n) for n in names]
