"""A committee's places: buildings (楼栋) and named public places, added by hand or from a CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from store import audit
from store.scope import Scope
from store.staff_models import Place

KINDS = {"building": "building", "楼栋": "building", "public": "public", "公共场所": "public"}
# CSV headings accepted in Chinese or English, so a sheet exported from Excel works as it is.
COLUMNS = {
    "name": ("名称", "name"),
    "kind": ("类型", "kind"),
    "grid_area": ("网格", "grid_area"),
    "lat": ("纬度", "lat"),
    "lng": ("经度", "lng"),
}


class PlaceError(ValueError):
    """A place refused; `field` names what was wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def visible(scope: Scope) -> Any:
    """A query for the places of the scope's committees."""
    return scope.filter(select(Place), Place.committee_id)


def listed(session: Session, scope: Scope, committee_id: int | None = None) -> Sequence[Place]:
    """Places the scope may see, by committee and name."""
    query = visible(scope)
    if committee_id is not None:
        query = query.where(Place.committee_id == committee_id)
    return session.exec(query.order_by(Place.committee_id, Place.name)).all()


def _checked(kind: str, name: str, lat: float | None, lng: float | None) -> tuple[str, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise PlaceError("name", "1 to 100 characters")
    if kind.strip() not in KINDS:
        raise PlaceError("kind", "楼栋/building or 公共场所/public")
    if (lat is None) != (lng is None):
        raise PlaceError("lat", "give both latitude and longitude, or neither")
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise PlaceError("lat", "latitude -90..90 and longitude -180..180")
    return KINDS[kind.strip()], name


def save(
    session: Session,
    scope: Scope,
    *,
    actor: audit.Actor,
    committee_id: int,
    kind: str,
    name: str,
    now: datetime,
    grid_area: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
) -> tuple[Place, bool]:
    """Add a place, or update the one with the same name; (place, created)."""
    if not scope.allows(committee_id):
        raise PlaceError("committee_id", "not found")
    kind, name = _checked(kind, name, lat, lng)
    existing = session.exec(
        select(Place).where(Place.committee_id == committee_id, Place.name == name)
    ).first()
    before = audit.snapshot(existing) if existing else None
    place = existing or Place(committee_id=committee_id, name=name, kind=kind)
    place.kind, place.grid_area, place.lat, place.lng = kind, (grid_area or None), lat, lng
    session.add(place)
    session.flush()
    audit.record(
        session, actor=actor, action="place.update" if existing else "place.create",
        object_type="place", object_id=place.id, committee_id=committee_id, now=now,
        before=before, after=audit.snapshot(place),
    )  # fmt: skip
    return place, existing is None


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import did, and the rows it refused (1-based, counting the heading)."""

    created: int
    updated: int
    problems: list[tuple[int, str]]


def import_csv(
    session: Session,
    scope: Scope,
    *,
    actor: audit.Actor,
    committee_id: int,
    text: str,
    now: datetime,
) -> ImportResult:
    """Add or update places from CSV text; a bad row is reported and the others still load."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headings = {h.strip(): h for h in reader.fieldnames or []}
    found = {
        key: next((headings[name] for name in names if name in headings), None)
        for key, names in COLUMNS.items()
    }
    if found["name"] is None:
        return ImportResult(0, 0, [(1, "a 名称 (name) column is needed")])
    created = updated = 0
    problems: list[tuple[int, str]] = []
    for number, row in enumerate(reader, start=2):

        def cell(key: str, row: dict[str, str] = row) -> str:
            column = found[key]
            return (row.get(column) or "").strip() if column else ""

        try:
            lat = float(cell("lat")) if cell("lat") else None
            lng = float(cell("lng")) if cell("lng") else None
            with session.begin_nested():
                _, new = save(
                    session, scope, actor=actor, committee_id=committee_id,
                    kind=cell("kind") or "楼栋", name=cell("name"), now=now,
                    grid_area=cell("grid_area") or None, lat=lat, lng=lng,
                )  # fmt: skip
        except ValueError as problem:
            reason = str(problem) if isinstance(problem, PlaceError) else "lat/lng must be numbers"
            problems.append((number, reason))
            continue
        created, updated = created + new, updated + (not new)
    return ImportResult(created, updated, problems)
