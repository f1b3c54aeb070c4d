"""Whom a campaign asks: the residents of one committee, all of them or those of one building,
with one tag, or not confirmed since a date — never those who moved out or died."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from store.binding.models import ACTIVE, ResidentBinding
from store.registry import search
from store.registry.models import Resident
from store.sealing import Sealer
from store.staff.scope import Scope

# Residents no one should be asked about: a message would only hurt (the family of the dead).
LEFT_OUT = ("moved_out", "deceased")


@dataclass(frozen=True)
class Audience:
    """A campaign's filter: every given part must match."""

    committee_id: int
    place_id: int | None = None
    tag: str | None = None
    unconfirmed_since: date | None = None  # not confirmed on or after this local day

    def as_filter(self) -> dict[str, Any]:
        """The filter as a campaign keeps it (JSON)."""
        since = self.unconfirmed_since
        return {"place_id": self.place_id, "tag": self.tag,
                "unconfirmed_since": since.isoformat() if since else None}  # fmt: skip

    @classmethod
    def of(cls, committee_id: int, kept: dict[str, Any]) -> Audience:
        """The audience of a campaign's committee and kept filter."""
        since = kept.get("unconfirmed_since")
        return cls(committee_id, kept.get("place_id"), kept.get("tag"),
                   date.fromisoformat(since) if since else None)  # fmt: skip


def staying() -> Any:
    """A where-clause on Resident: neither moved out nor deceased."""
    status = col(Resident.residence_status)
    return or_(status.is_(None), status.not_in(LEFT_OUT))


def chosen(scope: Scope, audience: Audience, *, sealer: Sealer, today: date, tz: ZoneInfo) -> Any:
    """The query of the residents the audience names, within the scope (ids ascending)."""
    wanted = search.ResidentFilter(
        committee_id=audience.committee_id, place_id=audience.place_id, tag=audience.tag
    )
    query = search.filtered(scope, wanted, sealer=sealer, today=today).where(staying())
    if audience.unconfirmed_since is not None:
        since = datetime.combine(audience.unconfirmed_since, time(), tz)
        query = query.where(
            or_(col(Resident.last_confirmed_at).is_(None), col(Resident.last_confirmed_at) < since)
        )
    return query.order_by(col(Resident.id))


def first(
    session: Session, scope: Scope, audience: Audience, *, sealer: Sealer, today: date,
    tz: ZoneInfo,
) -> Resident | None:  # fmt: skip
    """The first resident the audience names (the preview shows their message), or None."""
    query = chosen(scope, audience, sealer=sealer, today=today, tz=tz)
    return session.exec(query.limit(1)).first()


def counts(
    session: Session, scope: Scope, audience: Audience, *, sealer: Sealer, today: date,
    tz: ZoneInfo,
) -> tuple[int, int]:  # fmt: skip
    """How many residents the audience names now, and how many of them are bound in WeChat
    (their own binding or an approved family proxy's)."""
    named = chosen(scope, audience, sealer=sealer, today=today, tz=tz).order_by(None)
    total = session.exec(select(func.count()).select_from(named.subquery())).one()
    ids = named.with_only_columns(col(Resident.id))
    bound = select(func.count(func.distinct(ResidentBinding.resident_id))).where(
        ResidentBinding.status == ACTIVE, col(ResidentBinding.resident_id).in_(ids)
    )
    return total, session.exec(bound).one()
