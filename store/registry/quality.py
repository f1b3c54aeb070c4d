"""The data-quality report: residents whose details are shared, made up, missing, implausible or
stale. A handful of queries per committee, never one per resident; numbers compared by hash."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, not_, or_
from sqlmodel import Session, col, select

from config.registry_quality import KINDS, Quality
from flows.masking import mask_id_card, mask_mobile
from store.registry.flags import standing
from store.registry.models import Residence, Resident
from store.sealing import Sealer, SealError

# Required fields stored sealed are missing when their sealed column is empty.
_COLUMN = {"id_card": "id_card_sealed", "mobile": "mobile_sealed", "landline": "landline_sealed"}
_CHUNK = 500


@dataclass(frozen=True)
class Finding:
    """One problem with one resident: its kind (registry.yaml words it) and a detail.

    The detail is a field code (missing, placeholder, accepted_flag), a count of households
    (shared_mobile), an age (too_old) or the ISO date last confirmed, empty if never
    (unconfirmed)."""

    kind: str
    resident_id: int
    detail: str


@dataclass(frozen=True)
class Line:
    """A finding as a report shows it: the resident's name and numbers masked."""

    finding: Finding
    name: str
    id_card: str
    mobile: str


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _living(committee_id: int, rules: Quality) -> Any:
    """The residents the report looks at: the committee's, not moved out or deceased."""
    ignored = list(rules.ignore_residence_statuses)
    return and_(
        Resident.committee_id == committee_id,
        or_(
            col(Resident.residence_status).is_(None), col(Resident.residence_status).not_in(ignored)
        ),
    )


def _current_home() -> Any:
    return exists().where(Residence.resident_id == Resident.id, col(Residence.moved_out).is_(None))


def _shared_mobiles(session: Session, where: Any, placeholder_hashes: set[str]) -> list[Finding]:
    """Residents whose mobile is also given for someone of another household or home.

    Residents are of one family when they share a 户籍户 or a current dwelling (directly or
    through each other); a number shared within a family is normal and not reported."""
    shared = (
        select(Resident.mobile_hash)
        .where(where, col(Resident.mobile_hash).is_not(None))
        .where(col(Resident.mobile_hash).not_in(sorted(placeholder_hashes)))
        .group_by(col(Resident.mobile_hash))
        .having(func.count() > 1)
    )
    hashes = list(session.exec(shared).all())
    rows = []
    for start in range(0, len(hashes), _CHUNK):
        query = select(Resident.id, Resident.mobile_hash, Resident.household_id).where(
            where, col(Resident.mobile_hash).in_(hashes[start : start + _CHUNK])
        )
        rows += session.exec(query).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    homes: dict[int, list[int]] = {}
    for chunk in _chunks(ids):
        query = select(Residence.resident_id, Residence.dwelling_id).where(
            col(Residence.resident_id).in_(chunk), col(Residence.moved_out).is_(None)
        )
        for resident_id, dwelling_id in session.exec(query).all():
            homes.setdefault(resident_id, []).append(dwelling_id)
    # Union-find over residents, households and dwellings: one root per family.
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    for resident_id, _, household_id in rows:
        if household_id is not None:
            join(f"r{resident_id}", f"h{household_id}")
        for dwelling_id in homes.get(resident_id, []):
            join(f"r{resident_id}", f"d{dwelling_id}")
    families: dict[str, set[str]] = {}
    for resident_id, mobile_hash, _ in rows:
        families.setdefault(mobile_hash or "", set()).add(root(f"r{resident_id}"))
    return [
        Finding("shared_mobile", resident_id, str(len(families[mobile_hash or ""])))
        for resident_id, mobile_hash, _ in rows
        if len(families[mobile_hash or ""]) > 1
    ]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _placeholders(
    session: Session, where: Any, rules: Quality, text_hashes: set[str], mobile_hashes: set[str]
) -> list[Finding]:
    texts = list(rules.placeholder_texts)
    query = select(Resident.id, Resident.name, Resident.mobile_hash, Resident.id_card_hash).where(
        where,
        or_(
            col(Resident.name).in_(texts),
            col(Resident.mobile_hash).in_(sorted(text_hashes | mobile_hashes)),
            col(Resident.id_card_hash).in_(sorted(text_hashes)),
        ),
    )
    found = []
    for resident_id, name, mobile_hash, id_card_hash in session.exec(query).all():
        if name in texts:
            found.append(Finding("placeholder", resident_id, "name"))
        if mobile_hash in text_hashes | mobile_hashes:
            found.append(Finding("placeholder", resident_id, "mobile"))
        if id_card_hash in text_hashes:
            found.append(Finding("placeholder", resident_id, "id_card"))
    return found


def _missing(session: Session, where: Any, rules: Quality) -> list[Finding]:
    checks: list[tuple[str, Any]] = []
    for field in rules.required:
        if field == "dwelling":
            checks.append((field, not_(_current_home())))
            continue
        column = getattr(Resident, _COLUMN.get(field, field))
        blank = col(column).is_(None)
        checks.append((field, or_(blank, column == "") if field == "name" else blank))
    flags = [condition.label(f"missing_{field}") for field, condition in checks]
    query = select(Resident.id, *flags).where(where, or_(*(c for _, c in checks)))
    found = []
    for row in session.exec(query).all():
        for (field, _), missing in zip(checks, row[1:], strict=True):
            if missing:
                found.append(Finding("missing", row[0], field))
    return found


def findings(
    session: Session, sealer: Sealer, *, committee_id: int, rules: Quality, now: datetime
) -> list[Finding]:
    """Every finding for the committee's residents, by kind (registry.yaml's order), then id."""
    where = _living(committee_id, rules)
    text_hashes = {sealer.lookup_hash(text) for text in rules.placeholder_texts}
    mobile_hashes = {sealer.lookup_hash(number) for number in rules.placeholder_mobiles}
    found = _shared_mobiles(session, where, mobile_hashes | text_hashes)
    found += _placeholders(session, where, rules, text_hashes, mobile_hashes)
    found += _missing(session, where, rules)
    today = now.date()
    born_by = _years_before(today, rules.max_age + 1)
    old = select(Resident.id, Resident.birth_date).where(where, col(Resident.birth_date) <= born_by)
    found += [
        Finding("too_old", resident_id, str(_age(born, today)))
        for resident_id, born in session.exec(old).all()
        if born is not None
    ]
    stale_before = now - timedelta(days=rules.unconfirmed_days)
    stale = select(Resident.id, Resident.last_confirmed_at).where(
        where,
        or_(
            col(Resident.last_confirmed_at).is_(None),
            col(Resident.last_confirmed_at) < stale_before,
        ),
    )
    found += [
        Finding("unconfirmed", resident_id, "" if at is None else at.date().isoformat())
        for resident_id, at in session.exec(stale).all()
    ]
    ignored = set(rules.ignore_residence_statuses)
    # Flagged values staff accepted on import stay counted until someone changes them.
    found += [
        Finding("accepted_flag", flag.resident_id, flag.field)
        for flag, resident in standing(session, committee_id)
        if resident.residence_status not in ignored
    ]
    return sorted(found, key=lambda f: (KINDS.index(f.kind), f.resident_id, f.detail))


def _masked(sealer: Sealer, sealed: str | None, mask: Any) -> str:
    if sealed is None:
        return ""
    try:
        return str(mask(sealer.open(sealed)))
    except SealError:
        return "?"


def lines(session: Session, sealer: Sealer, found: Sequence[Finding]) -> list[Line]:
    """The findings with each resident's name, and ID number and mobile masked."""
    ids = sorted({f.resident_id for f in found})
    residents: dict[int, Resident] = {}
    for chunk in _chunks(ids):
        for resident in session.exec(select(Resident).where(col(Resident.id).in_(chunk))).all():
            residents[resident.id or 0] = resident
    shown = {
        resident_id: (
            resident.name,
            _masked(sealer, resident.id_card_sealed, mask_id_card),
            _masked(sealer, resident.mobile_sealed, mask_mobile),
        )
        for resident_id, resident in residents.items()
    }
    return [Line(f, *shown[f.resident_id]) for f in found if f.resident_id in shown]
