"""Campaigns as staff run them: save one, start it — each resident it names gets a target and,
when reachable in WeChat, one message through the outbox, all in one transaction — and follow
its progress and its call list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.binding.models import ACTIVE, ResidentBinding
from store.campaigns.audience import LEFT_OUT, Audience, chosen
from store.campaigns.details import Details, details_of
from store.campaigns.models import (
    CHANGED,
    CLOSED,
    CONFIRMED,
    NOT_BOUND,
    PROXY,
    SELF,
    SENT,
    UNREACHABLE,
    Campaign,
    CampaignTarget,
)
from store.errors import Refused
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.registry.models import Resident
from store.sealing import Sealer
from store.staff import audit
from store.staff.models import Committee
from store.staff.scope import Scope

KIND = "confirmation"  # notifications.yaml routes it
CHUNK = 500  # residents per batch of look-ups (bound parameters stay few on every database)
MAX_TITLE = 100
REMIND_DAYS = range(1, 61)
# An outbox message that ended so: its resident was not reached (the outbox's call list too).
NOT_DELIVERED = (outbox.FAILED, outbox.UNREACHABLE)
# Stored statuses of a target nobody has answered.
UNANSWERED = (SENT, NOT_BOUND, UNREACHABLE)
# (the campaign's message, one resident's details) → the text they are sent: the bot's wording.
Letter = Callable[[str, Details], str]


@dataclass(frozen=True)
class Progress:
    """A campaign's targets by what came of them."""

    total: int = 0
    waiting: int = 0  # sent, no answer yet
    confirmed: int = 0
    changed: int = 0
    not_bound: int = 0
    unreachable: int = 0
    closed: int = 0  # not answered, and the resident has since moved out or died
    reminded: int = 0


@dataclass(frozen=True)
class Started:
    """A campaign just started: how many residents were sent a message, how many are not bound."""

    campaign: Campaign
    sent: int
    not_bound: int


@dataclass(frozen=True)
class CallRow:
    """A resident to phone: not bound in WeChat, or their message could not be delivered."""

    target_id: int
    resident: Resident
    status: str  # not_bound, unreachable
    via: str | None
    error: str | None  # the outbox's reason key or WeChat's error text
    error_code: int | None


def key_of(campaign_id: int, resident_id: int) -> str:
    """The idempotency key of a campaign's message to one resident."""
    return f"campaign:{campaign_id}:{resident_id}"


def batches(items: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    """The items in slices of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- saving and finding ------------------------------------------------------------------------


def create(
    session: Session,
    scope: Scope,
    *,
    audience: Audience,
    title: str,
    message: str,
    reminder_after_days: int,
    actor: audit.Actor,
    now: datetime,
) -> Campaign:
    """Save a campaign (not started) for one of the scope's committees; audited."""
    if not scope.allows(audience.committee_id):
        raise Refused("committee_id", "not one of yours", code="committee_unknown")
    if audience.place_id is not None:
        place = session.get(Place, audience.place_id)
        if place is None or place.committee_id != audience.committee_id:
            raise Refused("place_id", "not a building of the committee", code="place_unknown")
    named = title.strip()
    if not named:
        raise Refused("title", "give the campaign a name", code="title_missing")
    if len(named) > MAX_TITLE:
        raise Refused("title", f"at most {MAX_TITLE} characters", code="title_long")
    if reminder_after_days not in REMIND_DAYS:
        raise Refused("reminder_after_days", "1 to 60 days", code="remind_days")
    campaign = Campaign(
        committee_id=audience.committee_id, title=named, created_by=actor.staff_id,
        filter=audience.as_filter(), message=message, created_at=now,
        reminder_after_days=reminder_after_days,
    )  # fmt: skip
    session.add(campaign)
    session.flush()
    audit.record(
        session, actor=actor, action="campaign.create", object_type="campaign",
        object_id=campaign.id, committee_id=campaign.committee_id, now=now,
        after={"title": named, "filter": campaign.filter,
               "reminder_after_days": reminder_after_days},
    )  # fmt: skip
    return campaign


def visible(session: Session, scope: Scope, campaign_id: int) -> Campaign | None:
    """One campaign of the scope's committees, or None (another committee's is not found)."""
    query = scope.filter(select(Campaign), Campaign.committee_id)
    return session.exec(query.where(Campaign.id == campaign_id)).first()


def listed(session: Session, scope: Scope, *, limit: int = 100) -> list[Campaign]:
    """The scope's campaigns, newest first."""
    query = scope.filter(select(Campaign), Campaign.committee_id)
    return list(session.exec(query.order_by(col(Campaign.id).desc()).limit(limit)))


# -- starting ----------------------------------------------------------------------------------


def reachable(session: Session, resident_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Whom to write to for each resident: (openid, "self") of their own active binding, else
    (openid, "proxy") of their oldest active family proxy; the unbound are absent."""
    found: dict[int, tuple[str, str]] = {}
    if not resident_ids:
        return found
    query = select(ResidentBinding).where(
        col(ResidentBinding.resident_id).in_(resident_ids), ResidentBinding.status == ACTIVE
    )
    for binding in session.exec(query.order_by(col(ResidentBinding.id))):
        resident_id = binding.resident_id or 0
        if binding.kind == SELF:
            found[resident_id] = (binding.openid, SELF)
        elif binding.kind == PROXY and resident_id not in found:
            found[resident_id] = (binding.openid, PROXY)
    return found


def payload_of(text: str) -> dict[str, Any]:
    """A message's payload: the text, and the same as a template's data."""
    return {"text": text, "data": {"text": text}}


def _locked(session: Session, scope: Scope, campaign_id: int) -> Campaign:
    """The campaign, locked until the transaction ends and read again once locked: a copy this
    session loaded before may predate another start."""
    query = scope.filter(select(Campaign), Campaign.committee_id).where(Campaign.id == campaign_id)
    locked = query.with_for_update().execution_options(populate_existing=True)
    campaign = session.exec(locked).first()
    if campaign is None:
        raise Refused("campaign", "not found", code="campaign_unknown")
    return campaign


def start(
    session: Session,
    sealer: Sealer,
    *,
    campaign_id: int,
    scope: Scope,
    actor: audit.Actor,
    now: datetime,
    tz: ZoneInfo,
    letter: Letter,
) -> Started:
    """Start a saved campaign (row-locked, once, audited): a target for each resident it names,
    and for each one reachable in WeChat one `confirmation` message through the outbox."""
    campaign = _locked(session, scope, campaign_id)
    if campaign.started_at is not None:
        raise Refused("campaign", "started already", conflict=True, code="started")
    today = now.astimezone(tz).date()
    audience = Audience.of(campaign.committee_id, campaign.filter)
    people = list(session.exec(chosen(scope, audience, sealer=sealer, today=today, tz=tz)))
    if not people:
        raise Refused("campaign", "names no resident", code="nobody")
    committee = session.get(Committee, campaign.committee_id)
    sub_district_id = committee.sub_district_id if committee else None
    assert campaign.id is not None
    sent = 0
    targets: Any = CampaignTarget.__table__
    for chunk in batches(people):
        reach = reachable(session, [p.id for p in chunk])
        bound = [p for p in chunk if p.id in reach]
        vias = {rid: via for rid, (_, via) in reach.items()}
        letters = [
            (key_of(campaign.id, d.resident_id), reach[d.resident_id][0],
             payload_of(letter(campaign.message, d)))
            for d in details_of(session, sealer, bound, today=today, via=vias)
        ]  # fmt: skip
        ids = outbox.enqueue_many(
            session, letters, audience=outbox.RESIDENT, kind=KIND, now=now,
            committee_id=campaign.committee_id, sub_district_id=sub_district_id,
        )  # fmt: skip
        message_of = {p.id: message_id for p, message_id in zip(bound, ids, strict=True)}
        sent += len(ids)
        rows = [
            {"campaign_id": campaign.id, "resident_id": p.id,
             "openid": reach[p.id][0] if p.id in reach else None,
             "via": reach[p.id][1] if p.id in reach else None,
             "status": SENT if p.id in reach else NOT_BOUND, "message_id": message_of.get(p.id),
             "answered_at": None, "reminded_at": None, "reminder_id": None}
            for p in chunk
        ]  # fmt: skip
        session.connection().execute(targets.insert(), rows)
    campaign.started_at = now
    session.add(campaign)
    audit.record(
        session, actor=actor, action="campaign.start", object_type="campaign",
        object_id=campaign.id, committee_id=campaign.committee_id, now=now,
        before={"started_at": None},
        after={"title": campaign.title, "residents": len(people), "sent": sent,
               "not_bound": len(people) - sent},
    )  # fmt: skip
    session.flush()
    return Started(campaign, sent, len(people) - sent)


# -- progress and the call list ----------------------------------------------------------------


def _delivery() -> tuple[Any, Any, Any]:
    """A target's status as staff see it — an unanswered one whose resident moved out or died is
    closed, a sent one whose message (or reminder) the outbox could not deliver is unreachable —
    and the two outbox rows it is read from."""
    asked, again = aliased(OutboxMessage), aliased(OutboxMessage)
    failed = or_(col(asked.status).in_(NOT_DELIVERED), col(again.status).in_(NOT_DELIVERED))
    left = and_(col(CampaignTarget.status).in_(UNANSWERED),
                col(Resident.residence_status).in_(LEFT_OUT))  # fmt: skip
    status = case((left, CLOSED), (and_(CampaignTarget.status == SENT, failed), UNREACHABLE),
                  else_=CampaignTarget.status)  # fmt: skip
    return status, asked, again


def _joined(query: Any, asked: Any, again: Any) -> Any:
    """The query with what `_delivery` reads: the target's resident and its two outbox rows."""
    return (
        query.join(Resident, Resident.id == CampaignTarget.resident_id)
        .outerjoin(asked, asked.id == CampaignTarget.message_id)
        .outerjoin(again, again.id == CampaignTarget.reminder_id)
    )


def _progress(found: dict[str, int]) -> Progress:
    return Progress(
        total=found["total"], waiting=found.get(SENT, 0), confirmed=found.get(CONFIRMED, 0),
        changed=found.get(CHANGED, 0), not_bound=found.get(NOT_BOUND, 0),
        unreachable=found.get(UNREACHABLE, 0), closed=found.get(CLOSED, 0),
        reminded=found["reminded"],
    )  # fmt: skip


def progress(session: Session, campaign_ids: Sequence[int]) -> dict[int, Progress]:
    """Each campaign's targets counted by what came of them, in one query."""
    if not campaign_ids:
        return {}
    status, asked, again = _delivery()
    reminded = case((col(CampaignTarget.reminded_at).is_not(None), 1), else_=0)
    rows = _joined(
        select(CampaignTarget.campaign_id, status.label("state"), reminded.label("reminded")),
        asked, again,
    ).where(col(CampaignTarget.campaign_id).in_(campaign_ids))  # fmt: skip
    inner = rows.subquery()
    grouped = select(inner.c.campaign_id, inner.c.state, func.count(), func.sum(inner.c.reminded))
    grouped = grouped.group_by(inner.c.campaign_id, inner.c.state)
    counted: dict[int, dict[str, int]] = {}
    for campaign_id, state, number, reminded_number in session.execute(grouped):
        found = counted.setdefault(campaign_id, {"total": 0, "reminded": 0})
        found[state] = number
        found["total"] += number
        found["reminded"] += int(reminded_number or 0)
    return {campaign_id: _progress(found) for campaign_id, found in counted.items()}


def call_list(
    session: Session, campaign_id: int, *, page: int, per_page: int
) -> tuple[list[CallRow], int]:
    """One page of the campaign's residents to phone (not bound, or not reached, and still living
    here), in the order they were chosen, and how many there are."""
    status, asked, again = _delivery()
    where = (CampaignTarget.campaign_id == campaign_id, status.in_((NOT_BOUND, UNREACHABLE)))
    total = session.execute(
        _joined(select(func.count()).select_from(CampaignTarget), asked, again).where(*where)
    ).scalar_one()
    query = _joined(
        select(CampaignTarget, Resident, status, asked.last_error, asked.last_error_code,
               again.last_error, again.last_error_code),
        asked, again,
    ).where(*where)  # fmt: skip
    query = query.order_by(col(CampaignTarget.id)).offset((page - 1) * per_page).limit(per_page)
    rows = [
        CallRow(
            target_id=target.id or 0, resident=person, status=state, via=target.via,
            error=first_error or later_error, error_code=first_code or later_code,
        )
        for target, person, state, first_error, first_code, later_error, later_code
        in session.execute(query)
    ]  # fmt: skip
    return rows, total
