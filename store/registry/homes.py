"""Where residents live: dwellings, 户籍户 and residences, found or created (the demo loader's)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from store.registry.models import Dwelling, Household, Residence, Resident, ResidentTag


def has_residents(session: Session, committee_id: int) -> bool:
    """True when the committee already has at least one resident."""
    query = select(func.count()).select_from(Resident).where(Resident.committee_id == committee_id)
    return session.exec(query).one() > 0


def dwelling(
    session: Session, committee_id: int, place_id: int, unit: str, room: str, occupancy: str
) -> Dwelling:
    """The committee's room in this building and unit, created when missing."""
    query = select(Dwelling).where(
        Dwelling.committee_id == committee_id, Dwelling.place_id == place_id,
        Dwelling.unit == unit, Dwelling.room == room,
    )  # fmt: skip
    found = session.exec(query).first()
    if found is not None:
        return found
    home = Dwelling(
        committee_id=committee_id, place_id=place_id, unit=unit, room=room, occupancy=occupancy
    )
    session.add(home)
    session.flush()
    return home


def household(session: Session, committee_id: int, number: str) -> Household:
    """The committee's 户籍户 of this number, created when missing."""
    query = select(Household).where(
        Household.committee_id == committee_id, Household.number == number
    )
    found = session.exec(query).first()
    if found is None:
        found = Household(committee_id=committee_id, number=number)
        session.add(found)
        session.flush()
    return found


def set_head(session: Session, household_id: int, resident_id: int) -> None:
    """Name the household's head."""
    found = session.get(Household, household_id)
    if found is not None:
        found.head_resident_id = resident_id
        session.add(found)


def move_in(
    session: Session, resident_id: int, dwelling_id: int, role: str, on: date | None
) -> Residence:
    """The resident lives in the dwelling from this day, as self, family or tenant."""
    residence = Residence(resident_id=resident_id, dwelling_id=dwelling_id, role=role, moved_in=on)
    session.add(residence)
    return residence


def tag(session: Session, resident_id: int, name: str) -> None:
    """Give the resident a tag of the vocabulary (one that carries no certificate)."""
    query = select(col(ResidentTag.id)).where(
        ResidentTag.resident_id == resident_id, ResidentTag.tag == name
    )
    if session.exec(query).first() is None:
        session.add(ResidentTag(resident_id=resident_id, tag=name))
