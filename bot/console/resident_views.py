"""What the residents pages show: the search form read back, rows and a resident's fields in the
committee's words, every number masked, each field with where it came from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.api.resident_schemas import masked_landline
from bot.binding import notices
from bot.console.inputs import form_id
from config.content import ConsoleText, Content
from config.registry_content import RegistryContent
from flows.identity import age_on
from flows.masking import mask_id_card, mask_mobile, mask_numbers_in, mask_openid
from store.binding import bindings
from store.binding.models import PENDING, ResidentBinding
from store.registry import search
from store.registry.edits import EDITABLE, TAGS
from store.registry.models import Resident, ResidentChange, ResidentTag
from store.registry.residents import cohort
from store.reports.facts import staff_names
from store.sealing import Sealer

PER_PAGE = 50
MAX_AGE = 150
MAX_PAGE = 1_000_000
_SHORT = {"name": 100, "unit": 16, "room": 16, "id_card": 32, "mobile": 32}
SEARCHED = ("committee_id", "name", "place_id", "unit", "room", "tag", "min_age", "max_age",
            "id_card", "mobile")  # fmt: skip
NUMBERS = ("id_card", "mobile", "landline")
CODED = ("gender", "relation_to_head", "hukou_status", "residence_status")


@dataclass
class Search:
    """A search as typed (shown again in the form), the filter it makes, and what was wrong."""

    typed: dict[str, str]
    wanted: search.ResidentFilter
    page: int
    problems: dict[str, str] = field(default_factory=dict)


def _age(text: str, t: ConsoleText, problems: dict[str, str], name: str) -> int | None:
    if not text:
        return None
    if text.isascii() and text.isdigit() and int(text) <= MAX_AGE:
        return int(text)
    problems[name] = t.res_age_invalid
    return None


def read_search(
    params: Mapping[str, str], t: ConsoleText, *, committees: Mapping[int, str],
    buildings: Mapping[int, str], tags: Mapping[str, str],
) -> Search:  # fmt: skip
    """The search form's values, checked one by one; a bad one is named and left out."""
    typed = {name: params.get(name, "").strip() for name in SEARCHED}
    problems: dict[str, str] = {}
    for name, longest in _SHORT.items():
        if len(typed[name]) > longest:
            problems[name] = t.res_too_long
    chosen: dict[str, int | None] = {}
    for name, known in (("committee_id", committees), ("place_id", buildings)):
        chosen[name] = form_id(typed[name]) if typed[name] else None
        if typed[name] and chosen[name] not in known:
            problems[name], chosen[name] = t.res_choose_again, None
    if typed["tag"] and typed["tag"] not in tags:
        problems["tag"] = t.res_choose_again
    min_age = _age(typed["min_age"], t, problems, "min_age")
    max_age = _age(typed["max_age"], t, problems, "max_age")
    given = {name: typed[name] if name not in problems else "" for name in SEARCHED}
    wanted = search.ResidentFilter(
        committee_id=chosen["committee_id"], name=given["name"] or None,
        place_id=chosen["place_id"], unit=given["unit"] or None, room=given["room"] or None,
        tag=given["tag"] or None, min_age=min_age, max_age=max_age,
        id_card=given["id_card"] or None, mobile=given["mobile"] or None,
    )  # fmt: skip
    number = params.get("page", "1")
    page = int(number) if number.isascii() and number.isdigit() else 1
    return Search(typed, wanted, min(max(page, 1), MAX_PAGE), problems)


def _opened(sealer: Sealer, sealed: str | None) -> str | None:
    return None if sealed is None else sealer.open(sealed)


def masked_number(sealer: Sealer, resident: Resident, name: str) -> str:
    """One of the resident's personal numbers masked, "" when there is none."""
    value = _opened(sealer, getattr(resident, f"{name}_sealed"))
    if value is None:
        return ""
    masks = {"id_card": mask_id_card, "mobile": mask_mobile, "landline": masked_landline}
    return masks[name](value)


def home_text(home: search.Home) -> str:
    """A dwelling as one line: building, unit, room."""
    return " ".join(part for part in (home.building, home.unit, home.room) if part)


def _cohorts(words: RegistryContent, resident: Resident, today: date) -> list[str]:
    return [words.cohorts[code].name for code in cohort(resident, on=today, content=words)]


def _tag_names(words: RegistryContent, tags: Sequence[ResidentTag]) -> list[str]:
    return [words.tags[row.tag].name if row.tag in words.tags else row.tag for row in tags]


def rows(
    session: Session, content: Content, sealer: Sealer, residents: Sequence[Resident], today: date
) -> list[dict[str, Any]]:
    """A page of residents as the result table shows them (tags and homes in two queries)."""
    words, t = content.registry, content.console
    ids = [r.id for r in residents if r.id is not None]
    tags, homes = search.tags_of(session, ids), search.homes_of(session, ids, today=today)
    return [
        {
            "id": r.id,
            "name": r.name,
            "gender": words.word("gender", r.gender) if r.gender else "",
            "age": "" if r.birth_date is None
            else t.res_age_years.format(age=age_on(r.birth_date, today)),
            "homes": [home_text(h) for h in homes.get(r.id or 0, [])],
            "mobile": masked_number(sealer, r, "mobile"),
            "tags": _tag_names(words, tags.get(r.id or 0, [])),
            "cohorts": _cohorts(words, r, today),
        }
        for r in residents
    ]  # fmt: skip


def source_text(t: ConsoleText, words: RegistryContent, change: ResidentChange,
                names: Mapping[int, str]) -> str:  # fmt: skip
    """Where a value came from: the import's file and row, the staff member's name, or the
    resident's own report."""
    kind = words.word("source", change.source_kind)
    detail = change.source_detail
    if change.source_kind == "import" and ":" in detail:
        file, row = detail.rsplit(":", 1)
        detail = t.res_import_row.format(file=file, row=row)
    elif change.source_kind == "staff":
        staff_id = form_id(detail)
        detail = names.get(staff_id or 0, t.res_unknown_staff)
    elif change.source_kind == "resident" and detail == "wechat":  # a self-report's channel
        detail = t.channel_wechat
    detail = mask_numbers_in(detail)
    return (
        t.res_source_detail.format(kind=kind, detail=detail)
        if detail
        else t.res_source.format(kind=kind)
    )


def value_text(words: RegistryContent, t: ConsoleText, field_name: str, value: str | None) -> str:
    """A value as the history keeps it (masked), coded ones in words."""
    if value is None or value == "":
        return t.res_blank
    if field_name in CODED:
        return words.word(field_name, value)
    if field_name == TAGS:
        return "、".join(words.tags[c].name if c in words.tags else c for c in value.split(","))
    return value


def field_name(words: RegistryContent, t: ConsoleText, name: str) -> str:
    """A field as staff name it."""
    return t.res_tags_field if name == TAGS else words.fields.get(name, name)


def detail(
    session: Session, content: Content, sealer: Sealer, resident: Resident, today: date,
    local: Any,
) -> dict[str, Any]:  # fmt: skip
    """Everything the resident's page shows: fields with source and date, homes, household,
    tags, cohorts and the history."""
    words, t = content.registry, content.console
    resident_id = resident.id or 0
    history = search.history_of(session, resident_id)
    names = staff_names(session, (form_id(c.source_detail) for c in history
                                  if c.source_kind == "staff"))  # fmt: skip
    latest = {change.field: change for change in history}  # oldest first: the last one wins
    shown: list[dict[str, str]] = []
    for name in EDITABLE:
        if name in NUMBERS:
            value = masked_number(sealer, resident, name)
        elif name == "birth_date":
            value = resident.birth_date.isoformat() if resident.birth_date else ""
        elif name in CODED:
            code = getattr(resident, name)
            value = words.word(name, code) if code else ""
        else:
            value = mask_numbers_in(getattr(resident, name) or "")
        change = latest.get(name)
        shown.append({
            "name": name, "label": words.fields[name], "value": value or t.res_blank,
            "source": source_text(t, words, change, names) if change else "—",
            "at": local(change.at) if change else "—",
        })  # fmt: skip
    tag_rows = search.tags_of(session, [resident_id]).get(resident_id, [])
    tags_change = latest.get(TAGS)
    homes = search.homes_of(session, [resident_id]).get(resident_id, [])
    confirmed = resident.last_confirmed_at
    return {
        "resident": resident,
        "fields": shown,
        "tags": _tag_names(words, tag_rows),
        "tags_source": source_text(t, words, tags_change, names) if tags_change else "—",
        "cohorts": _cohorts(words, resident, today),
        "homes": [_home(words, home) for home in homes],
        "history": [_change(words, t, c, names, local) for c in reversed(history)],
        "created": local(resident.created_at),
        "confirmed": local(confirmed) if confirmed else t.res_never_confirmed,
        "acting": [_acting(content, b, local) for b in bindings.acting_for(session, resident_id)],
    }


def _acting(content: Content, binding: ResidentBinding, local: Any) -> dict[str, Any]:
    """One WeChat user who acts for the resident: themselves or a family member, and whether
    staff approved it yet."""
    t = content.console
    return {
        "kind": t[f"acting_kind_{binding.kind}"],
        "relation": notices.relation_word(content, binding.relation) or "—",
        "openid": mask_openid(binding.openid),
        "status": t[f"acting_status_{binding.status}"],
        "pending": binding.status == PENDING,
        "since": local(binding.decided_at or binding.requested_at),
    }


def _home(words: RegistryContent, home: search.Home) -> dict[str, Any]:
    occupancy = words.word("occupancy", home.occupancy) if home.occupancy else ""
    return {"text": home_text(home), "role": words.word("role", home.role),
            "occupancy": occupancy, "moved_in": home.moved_in,
            "moved_out": home.moved_out}  # fmt: skip


def _change(words: RegistryContent, t: ConsoleText, change: ResidentChange,
            names: Mapping[int, str], local: Any) -> dict[str, str]:  # fmt: skip
    return {
        "when": local(change.at),
        "field": field_name(words, t, change.field),
        "old": value_text(words, t, change.field, change.old),
        "new": value_text(words, t, change.field, change.new),
        "source": source_text(t, words, change, names),
    }


def edit_values(resident: Resident, *, full_notes: bool) -> dict[str, str]:
    """The edit form's values for a resident (personal numbers left blank: typing one is a
    change, and the form never holds them in full); the notes masked unless `full_notes`."""
    values = {name: "" for name in NUMBERS}
    for name in ("name", *CODED):
        values[name] = getattr(resident, name) or ""
    values["notes"] = resident.notes if full_notes else mask_numbers_in(resident.notes or "")
    values["birth_date"] = resident.birth_date.isoformat() if resident.birth_date else ""
    return values


def changes_of(form: Mapping[str, str], clear: Sequence[str], *, notes: bool) -> dict[str, object]:
    """The fields an edit form changes: every field but a blank number, which stays as it is
    (unless its "remove" box is ticked), and the notes only when `notes` (the editor saw them
    whole: a masked copy written back would lose the numbers)."""
    changes: dict[str, object] = {}
    for name in EDITABLE:
        if name == "notes" and not notes:
            continue
        value = form.get(name, "")
        if name in NUMBERS:
            if name in clear:
                changes[name] = None
            elif value.strip():
                changes[name] = value
        else:
            changes[name] = value if value.strip() else None
    return changes


def when_local(tz: Any) -> Any:
    """A time in the committee's zone, as pages show it."""
    return lambda at: (
        at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else "—"
    )
