"""A member of staff's edit of one resident: every field checked by the registry service, the
whole edit kept or refused as one, its history written, and one audit entry (masked)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from flows.identity import Flagged, check_date, check_id_card, mismatches
from store.errors import Refused
from store.registry import search
from store.registry.history import Source, masked, record
from store.registry.models import Resident, ResidentTag
from store.registry.residents import update_field
from store.sealing import Sealer
from store.staff import audit
from store.staff.scope import Scope

# What staff may change by hand (the household and the dwellings are changed elsewhere).
EDITABLE = (
    "name", "gender", "birth_date", "id_card", "mobile", "landline", "relation_to_head",
    "hukou_status", "residence_status", "notes",
)  # fmt: skip
TAGS = "tags"  # the history's name for the resident's set of tags
_SEALED = {"id_card": "id_card_sealed", "mobile": "mobile_sealed", "landline": "landline_sealed"}


class EditRefused(Refused):
    """Every bad value of an edit at once; the first one is also the refusal's field and reason."""

    def __init__(self, problems: list[Refused]) -> None:
        first = problems[0]
        super().__init__(first.field, first.reason, code=first.code)
        self.problems = problems


@dataclass(frozen=True)
class Edited:
    """The resident after the edit, and the fields it changed (none: nothing was different)."""

    resident: Resident
    changed: tuple[str, ...]


def _value(sealer: Sealer, resident: Resident, field: str) -> Any:
    if field in _SEALED:
        sealed = getattr(resident, _SEALED[field])
        return None if sealed is None else sealer.open(sealed)
    return getattr(resident, field)


def _id_of(raw: object) -> str | None:
    checked = check_id_card(str(raw)) if raw not in (None, "") else None
    return None if checked is None or isinstance(checked, Flagged) else checked.value


def _date_of(raw: object) -> date | None:
    if isinstance(raw, date) or raw in (None, ""):
        return raw if isinstance(raw, date) else None
    checked = check_date(str(raw))
    return None if isinstance(checked, Flagged) else checked.value


def _steps(sealer: Sealer, resident: Resident, changes: Mapping[str, object]) -> list[str]:
    """The order to write the fields in so that each step agrees with the ID number.

    The service checks each field against the others as stored. A new ID number and a new date
    of birth typed together agree with each other but not with what is stored, so the old
    number is taken away first ("-id_card") and the new one written last."""
    others = [f for f in changes if f not in ("id_card", "birth_date", "gender")]
    person = [f for f in ("birth_date", "gender") if f in changes]
    if "id_card" not in changes:
        return others + person
    new_id = _id_of(changes["id_card"])
    born = _date_of(changes["birth_date"]) if "birth_date" in changes else resident.birth_date
    gender = changes.get("gender", resident.gender)
    gender = gender if isinstance(gender, str) and gender else None
    if new_id is None or not mismatches(new_id, resident.birth_date, resident.gender):
        return [*others, "id_card", *person]
    old_id = _value(sealer, resident, "id_card")
    if old_id is None or not mismatches(old_id, born, gender):
        return [*others, *person, "id_card"]
    return [*others, "-id_card", *person, "id_card"]


def tag_codes(session: Session, resident_id: int) -> list[str]:
    """The resident's tags, as codes in order."""
    query = select(ResidentTag.tag).where(ResidentTag.resident_id == resident_id)
    return list(session.exec(query.order_by(col(ResidentTag.tag))).all())


def _set_tags(session: Session, resident_id: int, wanted: set[str], had: list[str]) -> None:
    for row in session.exec(select(ResidentTag).where(ResidentTag.resident_id == resident_id)):
        if row.tag not in wanted:
            session.delete(row)
    for code in sorted(wanted - set(had)):
        session.add(ResidentTag(resident_id=resident_id, tag=code))


def edit_resident(
    session: Session,
    sealer: Sealer,
    scope: Scope,
    resident_id: int,
    changes: Mapping[str, object],
    *,
    actor: audit.Actor,
    now: datetime,
    tags: Collection[str] | None = None,
    vocabulary: Collection[str] = (),
) -> Edited:
    """Change the given fields (and, given `tags`, set the tags from the vocabulary); refuse the
    whole edit with every bad value named (EditRefused) and write nothing; audit what changed."""
    resident = search.visible_resident(session, scope, resident_id)
    if resident is None:
        raise Refused("resident_id", "not found", code="resident_unknown")
    problems = [Refused(f, "not editable", code="unknown_field") for f in changes
                if f not in EDITABLE]  # fmt: skip
    unknown_tags = sorted(set(tags or ()) - set(vocabulary))
    problems += [Refused(TAGS, "unknown_code", code="unknown_code") for _ in unknown_tags[:1]]
    if problems:
        raise EditRefused(problems)
    before = {field: _value(sealer, resident, field) for field in changes}
    source = Source.staff(actor.staff_id or 0)
    changed: list[str] = []
    with session.begin_nested():  # a refused value takes the edit's earlier fields with it
        for step in _steps(sealer, resident, changes):
            field, value = step.lstrip("-"), None if step.startswith("-") else changes[step]
            try:
                if update_field(session, sealer, committee_id=resident.committee_id,
                                resident_id=resident_id, field=field, value=value,
                                source=source, now=now):  # fmt: skip
                    changed.append(field)
            except Refused as refused:
                problems.append(refused)
        had = tag_codes(session, resident_id)
        if tags is not None and set(tags) != set(had):
            _set_tags(session, resident_id, set(tags), had)
            record(session, resident_id, TAGS, ",".join(had) or None,
                   ",".join(sorted(set(tags))) or None, source, now)  # fmt: skip
            resident.updated_at = resident.last_confirmed_at = now
            session.add(resident)
            changed.append(TAGS)
        if problems:
            raise EditRefused(problems)
        changed = list(dict.fromkeys(changed))  # a number taken away and set again: once
        if changed:
            old = {f: masked(f, before[f]) for f in changed if f != TAGS}
            new = {f: masked(f, _value(sealer, resident, f)) for f in changed if f != TAGS}
            if TAGS in changed:
                old[TAGS], new[TAGS] = had, sorted(set(tags or ()))
            audit.record(session, actor=actor, action="resident.edit", object_type="resident",
                         object_id=resident_id, committee_id=resident.committee_id, now=now,
                         before=old, after=new)  # fmt: skip
        session.flush()
    return Edited(resident, tuple(changed))
