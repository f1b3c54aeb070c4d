"""A committee's places: buildings (楼栋) and named public places, added by hand or from a CSV."""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from store.errors import Refused
from store.places.models import Place
from store.staff import audit
from store.staff.scope import Scope

KINDS = {"building": "building", "楼栋": "building", "public": "public", "公共场所": "public"}
# CSV headings accepted in Chinese or English, so a sheet exported from Excel works as it is.
COLUMNS = {
    "name": ("名称", "name"),
    "kind": ("类型", "kind"),
    "grid_area": ("网格", "grid_area"),
    "lat": ("纬度", "lat"),
    "lng": ("经度", "lng"),
}
MAX_TEXT = 100  # name and grid_area are VARCHAR(100)
MAX_SHEET_BYTES = 1024 * 1024
MAX_SHEET_ROWS = 5000  # far more than a committee's places; each row is a savepoint
# Excel saves CSV as UTF-8 (with a BOM), as UTF-16 (Unicode text, with a BOM) or, on Chinese
# Windows, as GBK; GB18030 reads GBK and more.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
_FALLBACKS = ("utf-8", "gb18030")
# Control characters (NUL first: PostgreSQL text cannot hold it) and lone surrogates.
_REFUSED = frozenset(("Cc", "Cs"))


def visible(scope: Scope, *, committee_id: int | None = None, kind: str | None = None) -> Any:
    """A query for the places of the scope's committees (of one committee, of one kind)."""
    query = scope.filter(select(Place), Place.committee_id)
    if committee_id is not None:
        query = query.where(Place.committee_id == committee_id)
    if kind:
        query = query.where(Place.kind == kind)
    return query


def listed(session: Session, scope: Scope, committee_id: int | None = None) -> Sequence[Place]:
    """Places the scope may see, by committee and name."""
    query = visible(scope, committee_id=committee_id)
    return session.exec(query.order_by(Place.committee_id, Place.name)).all()


def _text(field: str, value: str) -> str:
    """A one-line text field: no control characters, at most MAX_TEXT characters."""
    value = value.strip()
    if any(unicodedata.category(char) in _REFUSED for char in value):
        raise Refused(field, "no control characters", code="control")
    if len(value) > MAX_TEXT:
        raise Refused(field, f"at most {MAX_TEXT} characters", code="too_long")
    return value


def _checked(kind: str, name: str, lat: float | None, lng: float | None) -> tuple[str, str]:
    name = _text("name", name)
    if not name:
        raise Refused("name", f"1 to {MAX_TEXT} characters")
    if kind.strip() not in KINDS:
        raise Refused("kind", "楼栋/building or 公共场所/public")
    if (lat is None) != (lng is None):
        raise Refused("lat", "give both latitude and longitude, or neither")
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise Refused("lat", "latitude -90..90 and longitude -180..180")
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
        raise Refused("committee_id", "not found")
    kind, name = _checked(kind, name, lat, lng)
    grid_area = _text("grid_area", grid_area or "") or None
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
    problems: list[tuple[int, Refused]]


def read_sheet(raw: bytes) -> str:
    """The text of an uploaded CSV sheet: UTF-8 or UTF-16 by their BOM, else UTF-8, else GBK."""
    if len(raw) > MAX_SHEET_BYTES:
        raise Refused("file", f"at most {MAX_SHEET_BYTES} bytes", code="file_size")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                break
    else:
        for encoding in _FALLBACKS:
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise Refused("file", "not a CSV text in UTF-8, UTF-16 or GBK", code="encoding")


def import_csv(
    session: Session,
    scope: Scope,
    *,
    actor: audit.Actor,
    committee_id: int,
    sheet: bytes,
    now: datetime,
) -> ImportResult:
    """Add or update places from a CSV sheet; a bad row is reported and the others still load,
    a file that cannot be read as CSV loads nothing (Refused)."""
    # newline="": rows may end in \r\n, \n or a bare \r (old Mac Excel).
    reader = csv.DictReader(io.StringIO(read_sheet(sheet).lstrip("\ufeff"), newline=""))
    try:
        headings = {h.strip(): h for h in reader.fieldnames or []}
    except csv.Error as broken:
        raise _unreadable(reader.line_num + 1) from broken
    found = {
        key: next((headings[name] for name in names if name in headings), None)
        for key, names in COLUMNS.items()
    }
    if found["name"] is None:
        return ImportResult(0, 0, [(1, Refused("name", "a 名称 column is needed", code="columns"))])
    created = updated = 0
    problems: list[tuple[int, Refused]] = []
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as broken:  # e.g. a cell over the csv module's 131,072 characters
            raise _unreadable(reader.line_num + 1) from broken
        line = reader.line_num
        if len(problems) + created + updated >= MAX_SHEET_ROWS:
            raise Refused("file", f"more than {MAX_SHEET_ROWS} rows", code="rows", line=line)

        def cell(key: str, row: dict[str, str] = row) -> str:
            column = found[key]
            value = row.get(column) if column else None
            return value.strip() if isinstance(value, str) else ""

        try:
            lat, lng = number("lat", cell("lat")), number("lng", cell("lng"))
            with session.begin_nested():
                _, new = save(
                    session, scope, actor=actor, committee_id=committee_id,
                    kind=cell("kind") or "楼栋", name=cell("name"), now=now,
                    grid_area=cell("grid_area") or None, lat=lat, lng=lng,
                )  # fmt: skip
        except Refused as problem:
            problems.append((line, problem))
            continue
        created, updated = created + new, updated + (not new)
    return ImportResult(created, updated, problems)


def number(field: str, text: str) -> float | None:
    """A typed coordinate: None when blank, Refused when not a number."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise Refused(field, "lat/lng must be numbers", code="number") from None


def _unreadable(line: int) -> Refused:
    return Refused("file", f"line {line}: not readable as CSV", code="unreadable", line=line)
