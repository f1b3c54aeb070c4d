"""Places without a staff scope: one by id and every one (the webhook), and seeding (the demo)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from store.places.models import Place


def get(session: Session, place_id: int) -> Place | None:
    """One place by id."""
    return session.get(Place, place_id)


def every(session: Session) -> list[Place]:
    """Every place of the installation, by committee then id."""
    return list(session.exec(select(Place).order_by(col(Place.committee_id), col(Place.id))))


def add_missing(session: Session, committee_id: int, places: Sequence[Place]) -> int:
    """Add the places whose name the committee does not have yet; returns how many were added."""
    known = set(session.exec(select(Place.name).where(Place.committee_id == committee_id)))
    new = [place for place in places if place.name not in known]
    session.add_all(new)
    session.flush()
    return len(new)
