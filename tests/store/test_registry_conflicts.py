"""Conflicts an applied import leaves when staff changed a value after the sheet was made: kept
sealed, shown masked to the committee only, decided once (keep or take), each decision audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.content import load_content
from config.registry_content import RegistryContent
from store.db import unit_of_work
from store.errors import Refused
from store.registry import conflicts, import_jobs
from store.registry.history import Source
from store.registry.import_models import RegistryConflict
from store.registry.models import Resident, ResidentChange
from store.registry.residents import find_by_id_card, update_field
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry, StaffUser
from store.staff.scope import Scope
from tests.chat import SEALER
from tests.report_helpers import COMMITTEE, Neighbourhood
from tests.staff_helpers import create_staff
from tests.store.test_registry_import import NOW, person, write_xlsx

EDITED_MOBILE = "13512345678"


@pytest.fixture
def registry(content_dir: Path) -> RegistryContent:
    return load_content(content_dir).registry


def _import(database: Engine, place: Neighbourhood, registry: RegistryContent, sheet: Path,
            media: Path, now: datetime) -> dict[str, int]:  # fmt: skip
    with unit_of_work(database) as session:
        record = import_jobs.register(session, actor=audit.CLI, committee_id=place.committee_id,
                                      path=sheet, mapping={}, decisions={}, now=now)  # fmt: skip
        import_jobs.start(session, actor=audit.CLI, record=record, now=now)
        result = import_jobs.apply(session, SEALER, record, content=registry, media_dir=media,
                                   actor=audit.CLI, now=now)  # fmt: skip
        return result.counts


def _scope(database: Engine, staff: StaffUser) -> Scope:
    with Session(database) as session:
        return scopes.of(session, staff)


@pytest.fixture
def world(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> tuple[StaffUser, list[list[object]]]:
    """Three residents imported from a sheet; then a clerk changes the first one's mobile and the
    second one's name; then the same (older) sheet is imported again."""
    clerk = create_staff(database, "clerk", committee=COMMITTEE)
    rows = [person(i) for i in range(3)]
    sheet = write_xlsx(tmp_path / "2025.xlsx", rows)
    assert _import(database, place, registry, sheet, tmp_path, NOW)["new"] == 3
    with unit_of_work(database) as session:
        for row, field, value in ((rows[0], "mobile", EDITED_MOBILE), (rows[1], "name", "王改名")):
            [resident] = find_by_id_card(session, SEALER, place.committee_id, str(row[3]))
            update_field(session, SEALER, committee_id=place.committee_id,
                         resident_id=resident.id or 0, field=field, value=value,
                         source=Source.staff(clerk.id), now=NOW + timedelta(days=1))  # fmt: skip
    again = _import(database, place, registry, sheet, tmp_path, NOW + timedelta(days=2))
    assert (again["conflicting"], again["unchanged"]) == (2, 1)
    return clerk, rows


def _conflict(database: Engine, field: str) -> RegistryConflict:
    with Session(database) as session:
        return session.exec(select(RegistryConflict).where(RegistryConflict.field == field)).one()


def _audited(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_the_sheets_value_is_kept_sealed_and_never_in_clear(
    database: Engine, world: tuple[StaffUser, list[list[object]]]
) -> None:
    _, rows = world
    mobile = _conflict(database, "mobile")
    assert mobile.status == "open" and mobile.sheet_value is None
    assert SEALER.open(mobile.sheet_value_sealed or "") == str(rows[0][5])
    assert mobile.source_detail == "2025.xlsx:3"
    name = _conflict(database, "name")
    assert (name.sheet_value, name.sheet_value_sealed) == (rows[1][1], None)
    with database.connect() as connection:
        stored = " ".join(
            str(cell) for row in connection.execute(text("SELECT * FROM registry_conflict"))
            for cell in row
        )  # fmt: skip
    assert str(rows[0][5]) not in stored and EDITED_MOBILE not in stored


def test_the_list_is_masked_and_only_the_committees_staff_see_it(
    database: Engine, place: Neighbourhood, world: tuple[StaffUser, list[list[object]]]
) -> None:
    clerk, rows = world
    with Session(database) as session:
        shown, total = conflicts.open_conflicts(session, SEALER, _scope(database, clerk),
                                                place.committee_id)  # fmt: skip
    assert total == 2
    assert [(c.name, c.field, c.current, c.sheet) for c in shown] == [
        ("居民0000", "mobile", "135****5678", "139****0000"),
        ("王改名", "name", "王改名", rows[1][1]),
    ]
    stranger = create_staff(database, "west", committee="西湖社区居委会")
    assert stranger.committee_id is not None
    with Session(database) as session:
        with pytest.raises(Refused) as refused:
            conflicts.open_conflicts(session, SEALER, _scope(database, stranger),
                                     place.committee_id)  # fmt: skip
        assert refused.value.code == "not_found"
        own = conflicts.open_conflicts(session, SEALER, _scope(database, stranger),
                                       stranger.committee_id)  # fmt: skip
    assert own == ([], 0)
    with unit_of_work(database) as session, pytest.raises(Refused) as refused:
        conflicts.decide(session, SEALER, _scope(database, stranger),
                         actor=audit.Actor.of(stranger), conflict_id=shown[0].id,
                         decision="take", now=NOW)  # fmt: skip
    assert refused.value.code == "not_found"
    assert _conflict(database, "mobile").status == "open"


def _decide(database: Engine, clerk: StaffUser, conflict: RegistryConflict, decision: str,
            now: datetime) -> None:  # fmt: skip
    with unit_of_work(database) as session:
        conflicts.decide(session, SEALER, _scope(database, clerk), actor=audit.Actor.of(clerk),
                         conflict_id=conflict.id or 0, decision=decision, now=now)  # fmt: skip


def test_keep_leaves_the_value_and_take_writes_the_sheets_as_a_staff_edit(
    database: Engine, world: tuple[StaffUser, list[list[object]]]
) -> None:
    clerk, rows = world
    later = NOW + timedelta(days=3)
    mobile, name = _conflict(database, "mobile"), _conflict(database, "name")
    _decide(database, clerk, mobile, "keep", later)
    _decide(database, clerk, name, "take", later)
    with Session(database) as session:
        kept = session.get(RegistryConflict, mobile.id)
        taken = session.get(RegistryConflict, name.id)
        assert kept and taken
        assert (kept.status, kept.decided_by, taken.status) == ("kept", clerk.id, "taken")
        first = session.get(Resident, mobile.resident_id)
        second = session.get(Resident, name.resident_id)
        assert first and second
        assert SEALER.open(first.mobile_sealed or "") == EDITED_MOBILE
        assert second.name == rows[1][1]
        change = session.exec(
            select(ResidentChange)
            .where(ResidentChange.resident_id == name.resident_id, ResidentChange.field == "name")
            .order_by(col(ResidentChange.id).desc())
        ).first()
        assert change is not None
        assert (change.old, change.new, change.source_kind) == ("王改名", rows[1][1], "staff")
    [keep] = _audited(database, "registry_conflict.keep")
    [take] = _audited(database, "registry_conflict.take")
    assert keep.actor == take.actor == "clerk"
    assert (keep.before or {}).get("status") == "open"
    assert (keep.after or {}).get("status") == "kept"
    assert EDITED_MOBILE not in str(keep.before) + str(keep.after)


def test_a_conflict_is_decided_only_once(
    database: Engine, world: tuple[StaffUser, list[list[object]]]
) -> None:
    clerk, _ = world
    mobile = _conflict(database, "mobile")
    _decide(database, clerk, mobile, "keep", NOW + timedelta(days=3))
    with pytest.raises(Refused) as refused:
        _decide(database, clerk, mobile, "take", NOW + timedelta(days=4))
    assert refused.value.code == "decided"
    with Session(database) as session:
        resident = session.get(Resident, mobile.resident_id)
        assert resident and SEALER.open(resident.mobile_sealed or "") == EDITED_MOBILE
    assert _audited(database, "registry_conflict.take") == []


def test_two_staff_deciding_the_same_conflict_at_once_one_is_refused(
    database: Engine, place: Neighbourhood, world: tuple[StaffUser, list[list[object]]]
) -> None:
    clerk, _ = world
    other = create_staff(database, "other", committee=COMMITTEE)
    mobile = _conflict(database, "mobile")
    with unit_of_work(database) as session:
        # The other clerk's request read the conflict while it was open; the clerk keeps it first.
        assert session.get(RegistryConflict, mobile.id) is not None
        session.commit()  # SQLite lets one writer at a time; the object read stays as it was
        _decide(database, clerk, mobile, "keep", NOW + timedelta(days=3))
        with pytest.raises(Refused) as refused:
            conflicts.decide(session, SEALER, _scope(database, other), actor=audit.Actor.of(other),
                             conflict_id=mobile.id or 0, decision="take",
                             now=NOW + timedelta(days=3))  # fmt: skip
        assert refused.value.code == "decided"
    with Session(database) as session:
        resident = session.get(Resident, mobile.resident_id)
        assert resident and SEALER.open(resident.mobile_sealed or "") == EDITED_MOBILE
    assert _audited(database, "registry_conflict.take") == []
