"""Writing the registry in batches: an import's statements do not grow with its rows, a refused
row does not stop its batch, and the outcomes of a large sheet do not stay in memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.content import load_content
from config.registry_content import RegistryContent
from store.db import unit_of_work
from store.errors import Refused
from store.registry import bulk, imports
from store.registry.history import Source
from store.registry.imports import Outcomes, RowOutcome, apply_import
from store.registry.models import Dwelling, Household, Residence, Resident, ResidentChange
from store.registry.residents import add_residents, find_by_id_card
from store.registry.seen import SeenHashes
from store.staff import accounts
from tests.chat import SEALER
from tests.flows.test_identity import valid_id
from tests.report_helpers import Neighbourhood
from tests.store.test_registry_import import census, write_xlsx

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
def registry(content_dir: Path) -> RegistryContent:
    return load_content(content_dir).registry


@contextmanager
def statements(database: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the block runs."""
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    event.listen(database, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(database, "before_cursor_execute", count)


def imported(database: Engine, place: Neighbourhood, registry: RegistryContent, path: Path,
             ) -> dict[str, int]:  # fmt: skip
    with unit_of_work(database) as session:
        return apply_import(session, SEALER, committee_id=place.committee_id, path=path,
                            content=registry, now=NOW).counts  # fmt: skip


def test_an_import_sends_as_many_statements_for_400_rows_as_for_40(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    small = write_xlsx(tmp_path / "small.xlsx", census(40)[:40])
    rows = census(440)[:440]
    large = write_xlsx(tmp_path / "large.xlsx", rows[40:])
    with statements(database) as first:
        assert imported(database, place, registry, small)["new"] == 40
    with statements(database) as second:
        assert imported(database, place, registry, large)["new"] == 400
    # One batch either way: residents, history, households, dwellings, homes and heads each
    # take a statement or two, not one a row.
    assert len(second) <= len(first) + 2 < 40
    with Session(database) as session:
        [last] = find_by_id_card(session, SEALER, place.committee_id, str(rows[-1][3]))
        changes = session.exec(select(ResidentChange).where(ResidentChange.resident_id == last.id))
        assert {c.field for c in changes} >= {"name", "id_card", "mobile", "household_id"}
        household = session.get(Household, last.household_id)
        assert household is not None and household.head_resident_id is not None


def test_a_refused_resident_does_not_stop_the_rest_of_its_batch(
    database: Engine, place: Neighbourhood
) -> None:
    with unit_of_work(database) as session:
        elsewhere = accounts.committee(session, accounts.sub_district(session, "别的街道"), "别处")
        other = Household(committee_id=elsewhere.id or 0, number="X1")
        session.add(other)
        session.flush()
        batch = [
            ({"name": "甲", "id_card": valid_id("44010619800101001")}, Source.imported("a", 2)),
            ({"name": "乙", "mobile": "1391234567"}, Source.imported("a", 3)),
            ({"name": "丙", "household_id": other.id}, Source.imported("a", 4)),
            ({"name": "丁", "birth_date": date(1990, 5, 1)}, Source.imported("a", 5)),
        ]
        done = add_residents(session, SEALER, committee_id=place.committee_id, batch=batch,
                             now=NOW)  # fmt: skip
    first, second, third, fourth = done
    assert isinstance(first, int) and isinstance(fourth, int)
    assert isinstance(second, Refused)
    assert (second.field, second.code) == ("mobile", "mobile_format")
    assert isinstance(third, Refused) and third.code == "household_unknown"
    with Session(database) as session:
        names = session.exec(select(Resident.name).order_by(Resident.id)).all()
        assert names == ["甲", "丁"]
        number = valid_id("44010619800101001")
        [found] = find_by_id_card(session, SEALER, place.committee_id, number)
        assert (found.id, found.gender, found.birth_date) == (first, "male", date(1980, 1, 1))


def test_households_and_moves_split_across_batches_come_out_as_in_one_batch(
    monkeypatch: pytest.MonkeyPatch, database: Engine, place: Neighbourhood,
    registry: RegistryContent, tmp_path: Path,
) -> None:  # fmt: skip
    # Batches of 4 rows cut every 3-person household apart; an import keeps only the batch's
    # households and dwellings in hand, so each batch must find the earlier ones in the store.
    monkeypatch.setattr(imports, "BATCH", 4)
    rows = census(30)[:30]
    first = write_xlsx(tmp_path / "2025.xlsx", rows)
    assert imported(database, place, registry, first)["new"] == 30
    with Session(database) as session:
        households = session.exec(select(Household).order_by(Household.number)).all()
        assert len(households) == 10
        for n, household in enumerate(households):
            [head] = find_by_id_card(session, SEALER, place.committee_id, str(rows[3 * n][3]))
            assert (household.number, household.head_resident_id) == (f"H{n:04d}", head.id)
        assert bulk.table_count(session, Dwelling) == len({(r[6], r[7], r[8]) for r in rows})
    # Two residents of 3栋 2单元, in different batches, move to the same new room.
    rows[13][8], rows[29][8] = "2808", "2808"
    second = write_xlsx(tmp_path / "2026.xlsx", rows)
    assert imported(database, place, registry, second) == {
        "new": 0, "changed": 2, "unchanged": 28, "conflicting": 0, "invalid": 0,
    }  # fmt: skip
    with Session(database) as session:
        assert bulk.table_count(session, Household) == 10
        moved = [find_by_id_card(session, SEALER, place.committee_id, str(rows[i][3]))[0].id
                 for i in (13, 29)]  # fmt: skip
        homes = session.exec(select(Residence).where(col(Residence.moved_out).is_(None))).all()
        now_in = {home.resident_id: home.dwelling_id for home in homes}
        assert now_in[moved[0]] == now_in[moved[1]]  # one new dwelling, created once
        new_room = session.get(Dwelling, now_in[moved[0]])
        assert new_room is not None
        assert (new_room.place_id, new_room.unit, new_room.room) == (place.building_3, "2", "2808")
        assert len(homes) == 30


def test_an_id_number_is_seen_again_however_far_apart() -> None:
    seen = SeenHashes(run=4)
    hashes = [SEALER.lookup_hash(valid_id(f"4401061980{n:07d}")) for n in range(100)]
    for known in hashes[:60]:
        assert known not in seen
        seen.add(known)
    assert len(seen) == 60
    assert all(known in seen for known in hashes[:60])
    assert not any(other in seen for other in hashes[60:])


def test_outcomes_beyond_a_few_thousand_are_spilled_and_read_back_in_line_order() -> None:
    outcomes = Outcomes(keep=3)
    for line in range(2, 12):
        outcomes.append(RowOutcome(line, "new", "not_registered", name=f"居民{line}",
                                   fields=("mobile",)))  # fmt: skip
    assert len(outcomes) == 10
    assert [o.line for o in outcomes] == list(range(2, 12))
    assert [o.line for o in outcomes] == list(range(2, 12))  # read twice, same rows
    assert outcomes.page(4, 3) == [
        RowOutcome(line, "new", "not_registered", name=f"居民{line}", fields=("mobile",))
        for line in (6, 7, 8)
    ]
    outcomes.append(RowOutcome(12, "invalid", "missing", "name"))
    assert [o.line for o in outcomes][-2:] == [11, 12]
    outcomes.close()


def test_a_seed_copies_rows_with_ids_it_reserved(database: Engine, place: Neighbourhood) -> None:
    with unit_of_work(database) as session:
        ids = bulk.reserve_ids(session, Resident, 3)
        rows = [
            {"id": ids[n], "committee_id": place.committee_id, "name": f"种子{n}",
             "notes": "", "created_at": NOW, "updated_at": NOW, "id_card_hash": f"h{n}"}
            for n in range(3)
        ]  # fmt: skip
        assert bulk.copy_rows(session, Resident, rows) == 3
        assert bulk.copy_rows(session, Resident, []) == 0
    with unit_of_work(database) as session:
        assert bulk.table_count(session, Resident) == 3
        assert bulk.reserve_ids(session, Resident, 1) == [ids[-1] + 1]
        assert bulk.reserve_ids(session, Resident, 0) == []
