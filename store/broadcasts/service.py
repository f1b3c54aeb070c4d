"""Staff broadcasts (通知) as staff send them: save one for a building or a tag, preview how many
residents it names and how many WeChat can reach, then send it once — one target per resident
and one `notice` through the outbox for each reachable one, each set in one INSERT … SELECT.
Its progress and call list are in store/broadcasts/progress.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, Text, case, cast, exists, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from store.binding.models import ACTIVE, PROXY, SELF, ResidentBinding
from store.broadcasts.models import Broadcast, BroadcastTarget
from store.campaigns.audience import Audience, chosen
from store.errors import Refused
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.registry.models import Resident
from store.reviews.models import ALL, ReviewOptOut
from store.sealing import Sealer
from store.staff import audit
from store.staff.models import Committee
from store.staff.scope import Scope
from store.types import UTCDateTime
from store.upsert import dialect_of

KIND = "notice"  # notifications.yaml routes it
MAX_TITLE = 100
MAX_TEXT = 300
SENT, NOT_BOUND, OPTED_OUT = "sent", "not_bound", "opted_out"
# Longer than any name the registry keeps (100 characters): the stars a masked name takes.
_STARS = "*" * 100


@dataclass(frozen=True)
class Letter:
    """What a notice says to its reader: the resident, or the family member who acts for them
    (the resident's name, masked, goes between `proxy_before` and `proxy_after`)."""

    own: str
    proxy_before: str
    proxy_after: str

    def to(self, via: str | None, masked_name: str) -> str:
        """The text for one reader."""
        if via == PROXY:
            return f"{self.proxy_before}{masked_name}{self.proxy_after}"
        return self.own


@dataclass(frozen=True)
class Counts:
    """Whom a broadcast names, split by what becomes of them: each is counted once."""

    total: int = 0
    reachable: int = 0  # written to in WeChat: their own binding, else their oldest proxy's
    opted_out: int = 0  # that WeChat user asked for no more reminders at all (退订全部)
    not_bound: int = 0  # nobody in WeChat: the call list


@dataclass(frozen=True)
class Preview:
    """A broadcast as it would go now: the counts, and what the first resident would read."""

    counts: Counts
    message: str | None


def key_of(broadcast_id: int, resident_id: int) -> str:
    """The idempotency key of a broadcast's notice to one resident."""
    return f"notice:{broadcast_id}:{resident_id}"


def masked_name(name: Any) -> Any:
    """A name column masked as notices show it (张*英, 王*, 欧**月), in SQL."""
    trimmed = func.trim(name, type_=Text)
    length = func.length(trimmed, type_=Integer)
    first = func.substr(trimmed, 1, 1, type_=Text)
    stars = func.substr(literal(_STARS, Text), 1, length - 2, type_=Text)
    return case(
        (length <= 1, literal("*", Text)),
        (length == 2, first + literal("*", Text)),
        else_=first + stars + func.substr(trimmed, length, 1, type_=Text),
    )


# -- saving and finding ------------------------------------------------------------------------


def create(
    session: Session, scope: Scope, *, audience: Audience, title: str, text: str,
    actor: audit.Actor, now: datetime,
) -> Broadcast:  # fmt: skip
    """Save a broadcast (not sent) to a building and/or a tag of one of the scope's committees;
    audited."""
    if not scope.allows(audience.committee_id):
        raise Refused("committee_id", "not one of yours", code="committee_unknown")
    if audience.place_id is None and audience.tag is None:
        raise Refused("place_id", "choose a building or a tag", code="no_range")
    if audience.place_id is not None:
        place = session.get(Place, audience.place_id)
        if place is None or place.committee_id != audience.committee_id:
            raise Refused("place_id", "not a building of the committee", code="place_unknown")
    named, said = title.strip(), text.strip()
    if not named:
        raise Refused("title", "give the notice a title", code="title_missing")
    if len(named) > MAX_TITLE:
        raise Refused("title", f"at most {MAX_TITLE} characters", code="title_long")
    if not said:
        raise Refused("text", "write the notice", code="text_missing")
    if len(said) > MAX_TEXT:
        raise Refused("text", f"at most {MAX_TEXT} characters", code="text_long")
    kept = {"place_id": audience.place_id, "tag": audience.tag}
    broadcast = Broadcast(committee_id=audience.committee_id, title=named, message=said,
                          filter=kept, created_by=actor.staff_id, created_at=now)  # fmt: skip
    session.add(broadcast)
    session.flush()
    audit.record(
        session, actor=actor, action="broadcast.create", object_type="broadcast",
        object_id=broadcast.id, committee_id=broadcast.committee_id, now=now,
        after={"title": named, "text": said, "filter": kept},
    )  # fmt: skip
    return broadcast


def audience_of(broadcast: Broadcast) -> Audience:
    """Whom a saved broadcast names."""
    return Audience.of(broadcast.committee_id, broadcast.filter)


def visible(session: Session, scope: Scope, broadcast_id: int) -> Broadcast | None:
    """One broadcast of the scope's committees, or None (another committee's is not found)."""
    query = scope.filter(select(Broadcast), Broadcast.committee_id)
    return session.scalars(query.where(Broadcast.id == broadcast_id)).first()


def listed(session: Session, scope: Scope, *, limit: int = 100) -> list[Broadcast]:
    """The scope's broadcasts, newest first."""
    query = scope.filter(select(Broadcast), Broadcast.committee_id)
    return list(session.scalars(query.order_by(col(Broadcast.id).desc()).limit(limit)))


# -- whom it reaches ---------------------------------------------------------------------------


def _readers(scope: Scope, audience: Audience, *, sealer: Sealer, today: date,
             tz: ZoneInfo) -> Any:  # fmt: skip
    """A subquery: each resident the audience names (id, name) with whom to write to (openid,
    via: their own active binding, else their oldest active proxy) and what becomes of them
    (sent, not_bound, or opted_out when that WeChat user stopped every reminder)."""
    named = chosen(scope, audience, sealer=sealer, today=today, tz=tz).order_by(None)
    people = named.with_only_columns(col(Resident.id), col(Resident.name)).subquery()
    active = (ResidentBinding.status == ACTIVE, col(ResidentBinding.resident_id).is_not(None))
    own = select(ResidentBinding.resident_id, ResidentBinding.openid).where(
        ResidentBinding.kind == SELF, *active
    ).subquery()  # fmt: skip
    oldest = select(ResidentBinding.resident_id, func.min(ResidentBinding.id).label("first"))
    oldest = oldest.where(ResidentBinding.kind == PROXY, *active)
    oldest_proxy = oldest.group_by(ResidentBinding.resident_id).subquery()
    proxy = aliased(ResidentBinding)
    openid = func.coalesce(own.c.openid, proxy.openid)
    via = case((own.c.openid.is_not(None), SELF), (proxy.openid.is_not(None), PROXY))
    stopped = exists().where(
        ReviewOptOut.openid == openid, ReviewOptOut.programme == ALL,
        col(ReviewOptOut.resumed_at).is_(None),
    )  # fmt: skip
    status = case((openid.is_(None), NOT_BOUND), (stopped, OPTED_OUT), else_=SENT)
    query = (
        select(people.c.id.label("resident_id"), people.c.name, openid.label("openid"),
               via.label("via"), status.label("status"))
        .select_from(people)
        .outerjoin(own, own.c.resident_id == people.c.id)
        .outerjoin(oldest_proxy, oldest_proxy.c.resident_id == people.c.id)
        .outerjoin(proxy, proxy.id == oldest_proxy.c.first)
    )  # fmt: skip
    return query.subquery()


def _counted(rows: Any) -> Counts:
    found = {status: number for status, number in rows}
    return Counts(
        total=sum(found.values()), reachable=found.get(SENT, 0),
        opted_out=found.get(OPTED_OUT, 0), not_bound=found.get(NOT_BOUND, 0),
    )  # fmt: skip


def counts(session: Session, scope: Scope, audience: Audience, *, sealer: Sealer, today: date,
           tz: ZoneInfo) -> Counts:  # fmt: skip
    """How many residents the audience names now, by what a broadcast would do for each."""
    readers = _readers(scope, audience, sealer=sealer, today=today, tz=tz)
    query = select(readers.c.status, func.count()).group_by(readers.c.status)
    return _counted(session.execute(query))


def preview(
    session: Session, scope: Scope, audience: Audience, *, sealer: Sealer, today: date,
    tz: ZoneInfo, letter: Letter | None = None,
) -> Preview:  # fmt: skip
    """The counts now, and with a letter the message the first resident (or their proxy) would
    read; None when nobody is named."""
    found = counts(session, scope, audience, sealer=sealer, today=today, tz=tz)
    if letter is None or not found.total:
        return Preview(found, None)
    readers = _readers(scope, audience, sealer=sealer, today=today, tz=tz)
    query = select(readers.c.via, masked_name(readers.c.name)).order_by(readers.c.resident_id)
    via, name = session.execute(query.limit(1)).one()
    return Preview(found, letter.to(via, name))


# -- sending -----------------------------------------------------------------------------------


def _locked(session: Session, scope: Scope, broadcast_id: int) -> Broadcast:
    """The broadcast, locked until the transaction ends and read again once locked: a copy this
    session loaded before may predate another send."""
    query = scope.filter(select(Broadcast), Broadcast.committee_id)
    query = query.where(Broadcast.id == broadcast_id).with_for_update()
    broadcast = session.scalars(query.execution_options(populate_existing=True)).first()
    if broadcast is None:
        raise Refused("broadcast", "not found", code="broadcast_unknown")
    return broadcast


def _payload(session: Session, text: Any) -> Any:
    """{"text": t, "data": {"text": t}} built in SQL (store/campaigns/service.py payload_of)."""
    build = func.jsonb_build_object if dialect_of(session) == "postgresql" else func.json_object
    return build(literal("text", Text), text, literal("data", Text),
                 build(literal("text", Text), text))  # fmt: skip


def _notices(session: Session, broadcast: Broadcast, letter: Letter, now: datetime) -> Any:
    """The outbox rows of a broadcast's `sent` targets, as one SELECT."""
    assert broadcast.id is not None
    committee = session.get(Committee, broadcast.committee_id)
    sub_district_id = committee.sub_district_id if committee else None
    target = BroadcastTarget
    text = case(
        (target.via == PROXY, literal(letter.proxy_before, Text) + masked_name(Resident.name)
         + literal(letter.proxy_after, Text)),
        else_=literal(letter.own, Text),
    )  # fmt: skip
    key = literal(f"notice:{broadcast.id}:", Text) + cast(target.resident_id, String)
    return (
        select(
            key, literal(outbox.RESIDENT, String), target.openid, literal(KIND, String),
            _payload(session, text), literal(False), literal(outbox.PENDING, String),
            literal(0, Integer), literal(now, UTCDateTime()), literal(now, UTCDateTime()),
            literal(broadcast.committee_id, Integer), literal(sub_district_id, Integer),
        )
        .join(Resident, Resident.id == target.resident_id)
        .where(target.broadcast_id == broadcast.id, target.status == SENT)
        .order_by(col(target.id))
    )  # fmt: skip


def send(
    session: Session, sealer: Sealer, *, broadcast_id: int, scope: Scope, expected: Counts,
    letter: Letter, actor: audit.Actor, now: datetime, tz: ZoneInfo,
) -> Counts:  # fmt: skip
    """Send a saved broadcast (row-locked, once, audited) as staff confirmed it: a target for
    each resident it names and one `notice` for each reachable one. Refused, with nothing
    written, when the counts are no longer those staff confirmed."""
    broadcast = _locked(session, scope, broadcast_id)
    if broadcast.sent_at is not None:
        raise Refused("broadcast", "sent already", conflict=True, code="sent")
    audience = audience_of(broadcast)
    today = now.astimezone(tz).date()
    found = counts(session, scope, audience, sealer=sealer, today=today, tz=tz)
    if not found.total:
        raise Refused("broadcast", "names no resident", code="nobody")
    if found != expected:
        raise Refused("counts", "not the counts confirmed", conflict=True, code="changed")
    readers = _readers(scope, audience, sealer=sealer, today=today, tz=tz)
    rows = select(
        literal(broadcast_id, Integer), readers.c.resident_id,
        case((readers.c.status == SENT, readers.c.openid)), readers.c.via, readers.c.status,
    ).order_by(readers.c.resident_id)  # fmt: skip
    targets: Any = BroadcastTarget.__table__
    columns = ["broadcast_id", "resident_id", "openid", "via", "status"]
    session.execute(targets.insert().from_select(columns, rows))
    messages: Any = OutboxMessage.__table__
    columns = [
        "idempotency_key",
        "audience",
        "recipient",
        "kind",
        "payload",
        "urgent",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "committee_id",
        "sub_district_id",
    ]
    session.execute(messages.insert().from_select(columns, _notices(session, broadcast, letter,
                                                                     now)))  # fmt: skip
    stored = select(BroadcastTarget.status, func.count()).where(
        BroadcastTarget.broadcast_id == broadcast_id
    ).group_by(BroadcastTarget.status)  # fmt: skip
    done = _counted(session.execute(stored))
    broadcast.sent_at = now
    broadcast.total, broadcast.sent = done.total, done.reachable
    broadcast.not_bound, broadcast.opted_out = done.not_bound, done.opted_out
    session.add(broadcast)
    audit.record(
        session, actor=actor, action="broadcast.send", object_type="broadcast",
        object_id=broadcast.id, committee_id=broadcast.committee_id, now=now,
        before={"sent_at": None},
        after={"title": broadcast.title, "residents": done.total, "sent": done.reachable,
               "not_bound": done.not_bound, "opted_out": done.opted_out},
    )  # fmt: skip
    session.flush()
    return done


def sent_count(broadcast: Broadcast) -> Counts:
    """The counts a sent broadcast stored."""
    return Counts(broadcast.total, broadcast.sent, broadcast.opted_out, broadcast.not_bound)
