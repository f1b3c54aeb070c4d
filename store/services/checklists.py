"""Checklists given (办事清单), and what staff learn from them and from applications: demand
per service over a period, and the documents residents lack most."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, null
from sqlmodel import Session, col, select

from store.binding import bindings
from store.binding.models import ResidentBinding
from store.services.models import ChecklistGiven, ServiceApplication
from store.staff.models import Committee
from store.staff.scope import Scope

MOST_MISSING = 5  # documents listed per service


@dataclass(frozen=True)
class GivenChecklist:
    """A checklist as the conversation ended it, and whose it is."""

    openid: str
    service: str
    version: str
    answers: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    missing: tuple[str, ...] | None = None
    committee_id: int | None = None
    sub_district_id: int | None = None
    resident_id: int | None = None


def bound_resident(session: Session, openid: str) -> tuple[int, int | None] | None:
    """(resident, committee) of whom the openid acts for first (itself before its proxies)."""
    people = bindings.people_of(session, openid)
    if not people:
        return None
    binding = session.get(ResidentBinding, people[0].binding_id)
    return people[0].resident_id, binding.committee_id if binding is not None else None


def record(session: Session, given: GivenChecklist, *, now: datetime) -> ChecklistGiven:
    """Keep one checklist given, for the demand figures."""
    home = session.get(Committee, given.committee_id) if given.committee_id is not None else None
    row = ChecklistGiven(
        openid=given.openid,
        resident_id=given.resident_id,
        committee_id=given.committee_id,
        sub_district_id=home.sub_district_id if home else given.sub_district_id,
        service=given.service[:64],
        version=given.version[:32],
        answers=[[key, option] for key, option in given.answers],
        items=list(given.items),
        # SQL NULL, not JSON null: `IS NOT NULL` then finds exactly the walked-through ones.
        missing=null() if given.missing is None else list(given.missing),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass
class Demand:
    """One service's figures over a period."""

    service: str
    checklists: int = 0
    walked: int = 0  # checklists walked through item by item
    ready: int = 0  # walked through with nothing missing
    applications: int = 0
    most_missing: list[tuple[str, int]] = field(default_factory=list)  # (document key, count)


def _visible(scope: Scope, model: Any) -> Any:
    """Rows of the scope's committees; for its admins, also those of no committee of their
    sub-district (or of none), as reports of no committee are."""
    own = col(model.committee_id).in_(scope.committee_ids)
    unplaced = col(model.committee_id).is_(None) & (
        (model.sub_district_id == scope.sub_district_id) | col(model.sub_district_id).is_(None)
    )
    return own | unplaced if scope.admin else own


def demand(session: Session, scope: Scope, *, since: datetime, until: datetime) -> Sequence[Demand]:
    """Per service: checklists given, walked through, ready, applications made, and the
    documents most often missing — most asked-about first."""
    found: dict[str, Demand] = {}

    def per_service(table: Any) -> Any:
        """How many rows of the table each service has in the period, within the scope."""
        return session.execute(
            select(table.service, func.count())
            .where(_visible(scope, table))
            .where(table.created_at >= since, table.created_at <= until)
            .group_by(table.service)
        )

    for service, count in per_service(ChecklistGiven):
        found.setdefault(service, Demand(service)).checklists = count
    for service, count in per_service(ServiceApplication):
        found.setdefault(service, Demand(service)).applications = count
    # The walked-through lists are read whole: JSON arrays count alike on both databases here.
    walked = (
        select(ChecklistGiven.service, ChecklistGiven.missing)
        .where(_visible(scope, ChecklistGiven), col(ChecklistGiven.missing).is_not(None))
        .where(ChecklistGiven.created_at >= since, ChecklistGiven.created_at <= until)
    )
    lacking: dict[str, Counter[str]] = {}
    for service, missing in session.execute(walked):
        figures = found.setdefault(service, Demand(service))
        figures.walked += 1
        figures.ready += not missing
        lacking.setdefault(service, Counter()).update(str(key) for key in missing or ())
    for service, counted in lacking.items():
        ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        found[service].most_missing = ranked[:MOST_MISSING]
    return sorted(found.values(), key=lambda d: (-d.checklists - d.applications, d.service))
