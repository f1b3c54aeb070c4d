"""Binding a WeChat user to a resident of the registry: as themselves or as a family proxy.

Matching does the same work whatever its outcome (one query for the candidates, one Sealer.open
a candidate or one when there is none), so neither the answer nor its time tells a stranger
whether a name exists. Every try is a BindAttempt, counted against the day's limits: one for the
WeChat user, and one for the name tried, whoever tries it (the end of an ID number is guessable).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from config.binding_content import NAME_ATTEMPTS_PER_DAY
from flows.identity import Clean, check_mobile
from flows.inputs import normalise
from flows.masking import mask_numbers_in
from store.binding.models import (
    ACTIVE,
    DECEASED,
    ENDED,
    PENDING,
    PROXY,
    REJECTED,
    SELF,
    BindAttempt,
    ResidentBinding,
)
from store.errors import Refused
from store.registry.models import Resident
from store.sealing import Sealer
from store.staff import audit
from store.staff.installation import sole_committee, sole_sub_district
from store.staff.models import Committee
from store.staff.scope import Scope

BOUND, FAILED, REQUESTED, LIMITED = "bound", "failed", "requested", "limited"
MAX_NAME = 100
# A reason is sent to the resident and kept in clear text: a personal number typed into it is
# masked first (the services of registrations and self-reports do the same).
MAX_REASON = 500
_ID_TAIL = re.compile(r"[0-9]{5}[0-9X]")
# Opened in place of a candidate's number when there is none: as long as an ID number.
_DUMMY_TEXT = "0" * 18
_dummies: weakref.WeakKeyDictionary[Sealer, str] = weakref.WeakKeyDictionary()
_LIVE = (PENDING, ACTIVE)
# A name's hash is told apart from every other look-up hash by this prefix.
_NAME_HASH = "bind-name:"


@dataclass(frozen=True)
class BindResult:
    """What a bind or proxy request came to: bound | failed | requested | limited."""

    status: str
    binding_id: int | None = None
    resident_id: int | None = None


@dataclass(frozen=True)
class Person:
    """A resident an openid may see and act for, and through which binding."""

    binding_id: int
    resident_id: int
    kind: str
    relation: str | None


@dataclass(frozen=True)
class Failures:
    """An openid's failed bind attempts since a time: how many, the last one and why."""

    openid: str
    failed: int
    last_at: datetime
    last_reason: str


@dataclass(frozen=True)
class _Match:
    """Who a name and proof found: the one resident, or why none (no_match, several)."""

    reason: str
    resident_id: int | None = None
    committee_id: int | None = None


def reason_given(reason: str, *, required: bool = True) -> str:
    """A decision's reason as kept and sent (trimmed, personal numbers masked); Refused when a
    rejection comes without one."""
    why = mask_numbers_in(reason.strip()[:MAX_REASON])
    if required and not why:
        raise Refused("reason", "say why", code="reason_missing")
    return why


def _dummy(sealer: Sealer) -> str:
    """A sealed value made once per Sealer, opened when there is no candidate to open."""
    if sealer not in _dummies:
        _dummies[sealer] = sealer.seal(_DUMMY_TEXT)
    return _dummies[sealer]


def _proof(raw: str) -> tuple[str, str] | None:
    """The proof as typed read as ("id_tail", 6 characters) or ("mobile", 11 digits)."""
    text = normalise(raw).replace(" ", "").upper()
    if _ID_TAIL.fullmatch(text):
        return "id_tail", text
    checked = check_mobile(raw)
    if isinstance(checked, Clean):
        return "mobile", checked.value
    return None


def _name(typed: str) -> str:
    """A typed name as it is matched and kept."""
    return normalise(typed)[:MAX_NAME]


def _match(session: Session, sealer: Sealer, name: str, proof: str) -> _Match:
    """The installation's one living resident of this name whose ID ends with, or whose mobile
    is, the proof. One query, and max(1, candidates) opens whatever the outcome."""
    wanted = _proof(proof)
    columns = (Resident.id, Resident.committee_id, Resident.id_card_sealed, Resident.mobile_sealed)
    # Every committee named, so the (committee, name) index answers: a district has 1,000,000.
    committees = select(Committee.id).scalar_subquery()
    status = col(Resident.residence_status)
    query = select(*columns).where(
        col(Resident.committee_id).in_(committees), Resident.name == _name(name),
        or_(status.is_(None), status != DECEASED),
    )  # fmt: skip
    candidates = session.exec(query.order_by(col(Resident.id))).all()
    found: list[tuple[int, int]] = []
    for resident_id, committee_id, id_card_sealed, mobile_sealed in candidates:
        sealed = mobile_sealed if wanted is not None and wanted[0] == "mobile" else id_card_sealed
        value = sealer.open(sealed or _dummy(sealer))
        if wanted is None or sealed is None:
            continue
        kind, typed = wanted
        if (value[-6:].upper() == typed) if kind == "id_tail" else (value == typed):
            found.append((resident_id, committee_id))
    if not candidates:
        sealer.open(_dummy(sealer))
    if len(found) == 1:
        return _Match("matched", *found[0])
    return _Match("several" if found else "no_match")


def _attempts_since(session: Session, openid: str, since: datetime) -> int:
    query = select(func.count()).select_from(BindAttempt)
    return session.exec(query.where(BindAttempt.openid == openid, BindAttempt.at >= since)).one()


def _name_failures_since(session: Session, name_hash: str, since: datetime) -> int:
    """Failed tries at the name since `since`, from every WeChat user (a refused try is none)."""
    query = select(func.count()).select_from(BindAttempt).where(
        BindAttempt.name_hash == name_hash, BindAttempt.at >= since,
        BindAttempt.matched == False,  # noqa: E712  (SQL, not Python)
        BindAttempt.reason != LIMITED,
    )  # fmt: skip
    return session.exec(query).one()


def _limited(
    session: Session, *, openid: str, name_hash: str, since: datetime, limit: int, name_limit: int
) -> bool:
    """True when the openid or the name has used up the day's tries; the same statements
    whether or not anyone has the name, so the answer tells nothing of it."""
    if _attempts_since(session, openid, since) >= limit:
        return True
    return _name_failures_since(session, name_hash, since) >= name_limit


def _attempt(
    session: Session,
    *,
    openid: str,
    kind: str,
    reason: str,
    committee_id: int | None,
    name_hash: str,
    now: datetime,
) -> None:
    session.add(
        BindAttempt(
            openid=openid, at=now, kind=kind, matched=reason == "matched", reason=reason,
            committee_id=committee_id, name_hash=name_hash,
        )
    )  # fmt: skip


def _selves(session: Session, resident_id: int, openid: str) -> list[ResidentBinding]:
    """The active self bindings of the resident or of the openid."""
    query = select(ResidentBinding).where(
        ResidentBinding.kind == SELF, ResidentBinding.status == ACTIVE,
        or_(ResidentBinding.resident_id == resident_id, ResidentBinding.openid == openid),
    )  # fmt: skip
    return list(session.exec(query.order_by(col(ResidentBinding.id))))


def bind_self(
    session: Session,
    sealer: Sealer,
    *,
    openid: str,
    name: str,
    proof: str,
    now: datetime,
    since: datetime,
    limit: int,
    name_limit: int = NAME_ATTEMPTS_PER_DAY,
) -> BindResult:
    """Bind the openid to the one resident of this name and proof (ID tail or mobile).

    `limit`: tries of the openid since `since`; `name_limit`: failed tries at the name since
    then, from every WeChat user. Over either, `limited` without matching."""
    sole = sole_committee(session)
    name_hash = sealer.lookup_hash(_NAME_HASH + _name(name))
    tried: dict[str, Any] = {"openid": openid, "kind": SELF, "name_hash": name_hash, "now": now}
    if _limited(session, openid=openid, name_hash=name_hash, since=since, limit=limit,
                name_limit=name_limit):  # fmt: skip
        _attempt(session, reason=LIMITED, committee_id=sole, **tried)
        session.flush()
        return BindResult(LIMITED)
    found = _match(session, sealer, name, proof)
    if found.resident_id is None:
        _attempt(session, reason=found.reason, committee_id=sole, **tried)
        session.flush()
        return BindResult(FAILED)
    committee_id = found.committee_id
    current = _selves(session, found.resident_id, openid)
    mine = [b for b in current if b.resident_id == found.resident_id and b.openid == openid]
    if mine:
        _attempt(session, reason="matched", committee_id=committee_id, **tried)
        session.flush()
        return BindResult(BOUND, mine[0].id, found.resident_id)
    if any(b.resident_id == found.resident_id for b in current):
        _attempt(session, reason="bound_elsewhere", committee_id=committee_id, **tried)
        session.flush()
        return BindResult(FAILED)
    binding = ResidentBinding(
        openid=openid, resident_id=found.resident_id, committee_id=committee_id, kind=SELF,
        status=ACTIVE, given_name=_name(name), requested_at=now, decided_at=now,
    )  # fmt: skip
    try:
        # Another WeChat user binding as the same resident at this moment: the unique index lets
        # one of the two in; the savepoint keeps this transaction (and its attempt) alive.
        with session.begin_nested():
            # One person per WeChat user: binding as someone else ends the earlier self binding.
            for earlier in current:
                earlier.status, earlier.ended_at = ENDED, now
                session.add(earlier)
            session.add(binding)
    except IntegrityError:
        _attempt(session, reason="bound_elsewhere", committee_id=committee_id, **tried)
        session.flush()
        return BindResult(FAILED)
    _attempt(session, reason="matched", committee_id=committee_id, **tried)
    session.flush()
    return BindResult(BOUND, binding.id, found.resident_id)


def request_proxy(
    session: Session,
    sealer: Sealer,
    *,
    openid: str,
    name: str,
    proof: str,
    relation: str,
    now: datetime,
    since: datetime,
    limit: int,
    name_limit: int = NAME_ATTEMPTS_PER_DAY,
) -> BindResult:
    """Ask to act for a family member: a pending binding, `requested` whether anyone matched.

    Asking again for the same name while the request waits changes that request (what was said
    last counts) rather than adding one; the limits are bind_self's."""
    sole = sole_committee(session)
    given = _name(name)
    name_hash = sealer.lookup_hash(_NAME_HASH + given)
    tried: dict[str, Any] = {"openid": openid, "kind": PROXY, "name_hash": name_hash, "now": now}
    if _limited(session, openid=openid, name_hash=name_hash, since=since, limit=limit,
                name_limit=name_limit):  # fmt: skip
        _attempt(session, reason=LIMITED, committee_id=sole, **tried)
        session.flush()
        return BindResult(LIMITED)
    found = _match(session, sealer, name, proof)
    committee_id = found.committee_id if found.resident_id is not None else sole
    # Found by what the requester typed, never by whom it matched: the same statements either way.
    waiting = select(ResidentBinding).where(
        ResidentBinding.openid == openid, ResidentBinding.kind == PROXY,
        ResidentBinding.status == PENDING, ResidentBinding.given_name == given,
    )  # fmt: skip
    binding = session.exec(waiting.order_by(col(ResidentBinding.id))).first()
    if binding is None:
        binding = ResidentBinding(
            openid=openid, resident_id=found.resident_id, committee_id=committee_id, kind=PROXY,
            relation=relation[:16], status=PENDING, given_name=given, requested_at=now,
        )  # fmt: skip
        session.add(binding)
    else:
        # One statement whatever changed; a request staff decided meanwhile is left as decided.
        session.execute(
            update(ResidentBinding)
            .where(col(ResidentBinding.id) == binding.id, ResidentBinding.status == PENDING)
            .values(resident_id=found.resident_id, committee_id=committee_id,
                    relation=relation[:16])
        )  # fmt: skip
    _attempt(session, reason=found.reason, committee_id=committee_id, **tried)
    session.flush()
    return BindResult(REQUESTED, binding.id)


def people_of(session: Session, openid: str) -> list[Person]:
    """The residents the openid may see and act for: its own first, then its approved proxies."""
    query = select(ResidentBinding).where(
        ResidentBinding.openid == openid, ResidentBinding.status == ACTIVE,
        col(ResidentBinding.resident_id).is_not(None),
    )  # fmt: skip
    rows = sorted(session.exec(query), key=lambda b: (b.kind != SELF, b.id or 0))
    return [Person(b.id or 0, b.resident_id or 0, b.kind, b.relation) for b in rows]


def bindings_of(session: Session, openid: str) -> list[ResidentBinding]:
    """The openid's pending and active bindings, oldest first."""
    query = select(ResidentBinding).where(
        ResidentBinding.openid == openid, col(ResidentBinding.status).in_(_LIVE)
    )
    return list(session.exec(query.order_by(col(ResidentBinding.id))))


def unbind(session: Session, *, openid: str, binding_id: int, now: datetime) -> bool:
    """End one of the openid's own pending or active bindings; False when it is not theirs."""
    binding = session.get(ResidentBinding, binding_id)
    if binding is None or binding.openid != openid or binding.status not in _LIVE:
        return False
    binding.status, binding.ended_at = ENDED, now
    session.add(binding)
    session.flush()
    return True


def end_all(session: Session, *, resident_id: int, now: datetime) -> int:
    """End every pending and active binding of the resident (self and proxies); how many."""
    query = select(ResidentBinding).where(
        ResidentBinding.resident_id == resident_id, col(ResidentBinding.status).in_(_LIVE)
    )
    ended = list(session.exec(query))
    for binding in ended:
        binding.status, binding.ended_at = ENDED, now
        session.add(binding)
    session.flush()
    return len(ended)


def acting_for(session: Session, resident_id: int) -> list[ResidentBinding]:
    """Who acts for a resident: their active and pending bindings, self and proxies."""
    query = select(ResidentBinding).where(
        ResidentBinding.resident_id == resident_id, col(ResidentBinding.status).in_(_LIVE)
    )
    rows = session.exec(query.order_by(col(ResidentBinding.id)))
    return sorted(rows, key=lambda b: b.kind != SELF)


def visible(session: Session, scope: Scope, column: Any) -> Any:
    """A where-clause: rows of the scope's committees, and rows of no committee for the admin of
    an installation's only sub-district (with several, nobody can tell whose they are)."""
    own = col(column).in_(scope.committee_ids)
    sole = sole_sub_district(session)
    if scope.admin and sole is not None and scope.sub_district_id == sole:
        return or_(own, col(column).is_(None))
    return own


def pending_proxies(session: Session, scope: Scope) -> list[ResidentBinding]:
    """Proxy requests waiting for staff within the scope, oldest first."""
    query = select(ResidentBinding).where(
        ResidentBinding.kind == PROXY, ResidentBinding.status == PENDING,
        visible(session, scope, ResidentBinding.committee_id),
    )  # fmt: skip
    order = (col(ResidentBinding.requested_at), col(ResidentBinding.id))
    return list(session.exec(query.order_by(*order)))


def _end_other_proxies(session: Session, binding: ResidentBinding, now: datetime) -> None:
    """End the openid's other active proxy bindings for the same resident."""
    query = select(ResidentBinding).where(
        ResidentBinding.openid == binding.openid, ResidentBinding.kind == PROXY,
        ResidentBinding.status == ACTIVE, ResidentBinding.resident_id == binding.resident_id,
        col(ResidentBinding.id) != binding.id,
    )  # fmt: skip
    for other in session.exec(query):
        other.status, other.ended_at = ENDED, now
        session.add(other)


def decide_proxy(
    session: Session,
    *,
    binding_id: int,
    approve: bool,
    reason: str,
    actor: audit.Actor,
    now: datetime,
    scope: Scope,
) -> ResidentBinding:
    """Approve or reject a pending proxy request (row-locked, audited); Refused otherwise."""
    query = select(ResidentBinding).where(
        ResidentBinding.id == binding_id, ResidentBinding.kind == PROXY,
        visible(session, scope, ResidentBinding.committee_id),
    )  # fmt: skip
    # Read again once locked: a copy this session loaded earlier may predate another decision.
    locked = query.with_for_update().execution_options(populate_existing=True)
    binding = session.exec(locked).first()
    if binding is None:
        raise Refused("binding_id", "not found", code="binding_unknown")
    if binding.status != PENDING:
        raise Refused("binding_id", "already decided", conflict=True, code="not_pending")
    why = reason_given(reason, required=not approve)
    if approve and binding.resident_id is None:
        raise Refused("binding_id", "matched nobody", conflict=True, code="unmatched")
    if approve:
        # Asked again after an approval: this approval takes the earlier one's place.
        _end_other_proxies(session, binding, now)
    binding.status = ACTIVE if approve else REJECTED
    binding.decided_at, binding.decided_by = now, actor.staff_id
    binding.reason = None if approve else why
    session.add(binding)
    after: dict[str, Any] = {"status": binding.status, "resident_id": binding.resident_id,
                             "relation": binding.relation}  # fmt: skip
    if not approve:
        after["reason"] = why
    audit.record(
        session, actor=actor, action="binding.approve" if approve else "binding.reject",
        object_type="resident_binding", object_id=binding.id, committee_id=binding.committee_id,
        now=now, before={"status": PENDING}, after=after, sub_district_id=scope.sub_district_id,
    )  # fmt: skip
    session.flush()
    return binding


def failures(session: Session, scope: Scope, *, since: datetime, at_least: int) -> list[Failures]:
    """Openids with at least `at_least` failed attempts since `since`, most failures first."""
    failed = and_(
        BindAttempt.matched == False,  # noqa: E712  (SQL, not Python)
        BindAttempt.at >= since,
        visible(session, scope, BindAttempt.committee_id),
    )
    count = func.count(col(BindAttempt.id))
    grouped = (
        select(BindAttempt.openid, count, func.max(col(BindAttempt.id)))
        .where(failed)
        .group_by(col(BindAttempt.openid))
        .having(count >= at_least)
    )
    counts = {last: (openid, n) for openid, n, last in session.exec(grouped)}
    if not counts:
        return []
    lasts = session.exec(select(BindAttempt).where(col(BindAttempt.id).in_(counts)))
    found = [Failures(counts[a.id or 0][0], counts[a.id or 0][1], a.at, a.reason) for a in lasts]
    return sorted(found, key=lambda f: (-f.failed, -f.last_at.timestamp(), f.openid))
