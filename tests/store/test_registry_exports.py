"""Exporting residents in a profile: the filter picks who is listed, numbers stay masked unless a
full export is allowed and explained, every export is audited, and a scope stays a scope."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.content import Content, load_content
from store.db import unit_of_work
from store.errors import Refused
from store.registry import exports, homes
from store.registry.exports import Record
from store.registry.history import Source
from store.registry.residents import find_by_id_card, update_field
from store.staff import audit
from store.staff.models import AuditEntry, StaffUser
from store.staff.scope import Scope
from tests.chat import SEALER
from tests.report_helpers import Neighbourhood
from tests.staff_helpers import create_staff
from tests.store.test_registry_import import person, run, write_xlsx

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
ELDERLY = range(0, 6)  # born 1940
YOUNG = range(3000, 3004)  # born in the 1990s


@pytest.fixture
def content(content_dir: Path) -> Content:
    return load_content(content_dir)


@pytest.fixture
def registered(database: Engine, place: Neighbourhood, content: Content, tmp_path: Path) -> None:
    """Ten residents imported; the first lives alone, the second has moved out."""
    rows = [person(i) for i in [*ELDERLY, *YOUNG]]
    sheet = write_xlsx(tmp_path / "居民.xlsx", rows)
    run(database, place, content.registry, sheet, apply=True)
    with unit_of_work(database) as session:
        [alone] = find_by_id_card(session, SEALER, place.committee_id, str(person(0)[3]))
        homes.tag(session, alone.id or 0, "living_alone")
        [gone] = find_by_id_card(session, SEALER, place.committee_id, str(person(1)[3]))
        update_field(session, SEALER, committee_id=place.committee_id, resident_id=gone.id or 0,
                     field="residence_status", value="moved_out", source=Source.staff(1),
                     now=NOW)  # fmt: skip


def scope_of(database: Engine, staff: StaffUser) -> Scope:
    from store.staff import scope

    with Session(database) as session:
        return scope.of(session, staff)


def exported(database: Engine, content: Content, profile: str, who: Scope,
             committee_id: int | None = None, **options: Any) -> list[Record]:  # fmt: skip
    records: list[Record] = []
    with unit_of_work(database) as session:
        exports.export(
            session, SEALER, scope=who, actor=audit.Actor(who.staff_id, "clerk"),
            profile=profile, wanted=content.registry_exports.profiles[profile].filter,
            committee_id=committee_id, cohorts=content.registry.cohorts, write=records.append,
            now=NOW, today=NOW.date(), **options,
        )  # fmt: skip
    return records


def entries(database: Engine) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == "resident.export")
        return list(session.exec(query.order_by(AuditEntry.id)))


@pytest.mark.usefixtures("registered")
def test_the_roster_lists_living_residents_masked_and_the_export_is_audited(
    database: Engine, place: Neighbourhood, content: Content
) -> None:
    clerk = scope_of(database, create_staff(database, "clerk", committee="东风社区居委会"))
    roster = exported(database, content, "roster", clerk)
    assert [r["name"] for r in roster] == [f"居民{i:04d}" for i in [0, *ELDERLY[2:], *YOUNG]]
    assert [r["number"] for r in roster] == list(range(1, 10))
    first = roster[0]
    id_card, mobile = str(person(0)[3]), str(person(0)[5])
    assert (first["id_card"], first["mobile"]) == (f"{id_card[:6]}********{id_card[-4:]}",
                                                   "139****0000")  # fmt: skip
    assert (first["building"], first["unit"], first["room"], first["tags"]) == (
        "5栋", "1", "101", ("living_alone",))  # fmt: skip
    assert not any(id_card in str(r) or mobile in str(r) for r in roster)
    [entry] = entries(database)
    assert (entry.actor, entry.object_id, entry.committee_id) == ("clerk", "roster",
                                                                  place.committee_id)  # fmt: skip
    assert entry.after == {"profile": "roster", "residents": 9, "full": False, "format": "xlsx"}


@pytest.mark.usefixtures("registered")
def test_the_elderly_list_takes_men_over_60_and_women_over_55_from_the_date_of_birth(
    database: Engine, content: Content
) -> None:
    clerk = scope_of(database, create_staff(database, "clerk", committee="东风社区居委会"))
    elderly = exported(database, content, "elderly", clerk)
    assert [r["name"] for r in elderly] == ["居民0000", "居民0002", "居民0003", "居民0004",
                                            "居民0005"]  # fmt: skip
    assert {r["age"] for r in elderly} == {86}
    assert elderly[0]["cohorts"] == ("elderly_men", "aged_70", "aged_80")
    assert elderly[2]["cohorts"] == ("elderly_women", "aged_70", "aged_80")


@pytest.mark.usefixtures("registered")
def test_full_numbers_need_an_allowed_role_and_a_reason_which_the_log_keeps(
    database: Engine, place: Neighbourhood, content: Content
) -> None:
    grid = scope_of(database, place.grid_worker)
    with pytest.raises(Refused) as refused:
        exported(database, content, "roster", grid, full=True, why="年审")
    assert refused.value.code == "reveal"
    clerk = scope_of(database, create_staff(database, "clerk", committee="东风社区居委会"))
    with pytest.raises(Refused) as unexplained:
        exported(database, content, "roster", clerk, full=True, why="  ")
    assert unexplained.value.field == "why"
    assert entries(database) == []  # refused exports leave no entry and no file

    full = exported(database, content, "elderly", clerk, full=True,
                    why="独生子女年审名单，报街道 13812345678")  # fmt: skip
    assert full[0]["id_card"] == str(person(0)[3])
    assert full[0]["mobile"] == str(person(0)[5])
    [entry] = entries(database)
    assert entry.after == {"profile": "elderly", "residents": 5, "full": True, "format": "xlsx",
                           "why": "独生子女年审名单，报街道 138****5678"}  # fmt: skip


@pytest.mark.usefixtures("registered")
def test_staff_of_another_committee_export_nobody_and_cannot_name_this_committee(
    database: Engine, place: Neighbourhood, content: Content
) -> None:
    stranger = scope_of(database, create_staff(database, "west", committee="西湖社区居委会"))
    assert exported(database, content, "roster", stranger) == []
    with pytest.raises(Refused) as refused:
        exported(database, content, "roster", stranger, committee_id=place.committee_id)
    assert refused.value.field == "committee_id"
    admin = scope_of(database, create_staff(database, "admin", role="subdistrict_admin",
                                            committee=None))  # fmt: skip
    assert len(exported(database, content, "roster", admin)) == 9


@pytest.mark.usefixtures("registered")
def test_numbers_typed_into_the_notes_are_masked_unless_the_export_is_full(
    database: Engine, place: Neighbourhood, content: Content
) -> None:
    with unit_of_work(database) as session:
        [resident] = find_by_id_card(session, SEALER, place.committee_id, str(person(0)[3]))
        update_field(session, SEALER, committee_id=place.committee_id,
                     resident_id=resident.id or 0, field="notes", value="女儿电话13912345678",
                     source=Source.staff(1), now=NOW)  # fmt: skip
    clerk = scope_of(database, create_staff(database, "clerk", committee="东风社区居委会"))
    for profile in ("roster", "census"):
        assert exported(database, content, profile, clerk)[0]["notes"] == "女儿电话139****5678"
    full = exported(database, content, "roster", clerk, full=True, why="年审")
    assert full[0]["notes"] == "女儿电话13912345678"
