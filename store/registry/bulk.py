"""Registry rows written many at a time: an import's batch, or the benchmark's seed.

Plain Core statements with lists of column values: one round trip per few hundred rows instead of
an ORM flush per object. Values arrive ready (numbers already sealed and hashed by the caller).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, case, func, insert, select, text, tuple_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from store.registry.models import Dwelling, Household, Residence, Resident, ResidentChange

Row = Mapping[str, Any]
COPY_CHUNK = 5000


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def _returning_ids(session: Session, model: type, rows: Sequence[Row]) -> list[int]:
    """Insert the rows with ids reserved first (so the driver can batch them: RETURNING in
    parameter order would make SQLite insert one row at a time); their ids in the same order."""
    ids = reserve_ids(session, model, len(rows))
    _insert(session, model, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
    return ids


def _insert(session: Session, model: type, rows: Sequence[Row]) -> None:
    """Insert the rows: by COPY on PostgreSQL (one INSERT each, even pipelined, costs several
    times more), by multi-row INSERTs elsewhere."""
    if not rows:
        return
    if session.connection().dialect.name == "postgresql":
        copy_rows(session, model, rows)
    else:
        session.connection().execute(insert(_table(model)), list(rows))


def insert_residents(session: Session, rows: Sequence[Row]) -> list[int]:
    """New residents (every column but id); their ids in the order given."""
    return _returning_ids(session, Resident, rows)


def insert_changes(session: Session, rows: Sequence[Row]) -> None:
    """History entries (history.change_row), in one statement."""
    _insert(session, ResidentChange, rows)


def insert_residences(session: Session, rows: Sequence[Row]) -> None:
    """Who moved in where (resident_id, dwelling_id, role, moved_in, moved_out)."""
    _insert(session, Residence, [{"moved_out": None, **row} for row in rows])


def insert_households(session: Session, committee_id: int, numbers: Sequence[str]) -> list[int]:
    """New 户籍户 of the committee by number, without heads yet; their ids in order."""
    rows = [{"committee_id": committee_id, "number": n, "head_resident_id": None} for n in numbers]
    return _returning_ids(session, Household, rows)


def insert_dwellings(
    session: Session, committee_id: int, keys: Sequence[tuple[int, str, str]]
) -> list[int]:
    """New dwellings of the committee by (building place id, unit, room); their ids in order."""
    rows = [
        {"committee_id": committee_id, "place_id": p, "unit": u, "room": r, "occupancy": None}
        for p, u, r in keys
    ]
    return _returning_ids(session, Dwelling, rows)


def set_heads(session: Session, heads: Iterable[tuple[int, int]]) -> None:
    """Name each (household id, resident id)'s head where the household has none yet, with one
    statement for them all (one UPDATE a household cost a third of a large import)."""
    chosen = dict(heads)
    if not chosen:
        return
    table = _table(Household)
    statement = (
        update(table)
        .where(col(table.c.id).in_(list(chosen)), table.c.head_resident_id.is_(None))
        .values(head_resident_id=case(chosen, value=table.c.id))
    )
    session.connection().execute(statement)


def households_numbered(session: Session, committee_id: int, numbers: Iterable[str]) -> dict:
    """The committee's households of these numbers: number → (id, head resident id)."""
    wanted = list(set(numbers))
    if not wanted:
        return {}
    query = select(Household.number, Household.id, Household.head_resident_id).where(
        Household.committee_id == committee_id, col(Household.number).in_(wanted)
    )
    return {number: (i, head) for number, i, head in session.execute(query)}


def committee_households(session: Session, committee_id: int, ids: Iterable[object]) -> set[int]:
    """Which of these household ids are the committee's."""
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return set()
    query = select(Household.id).where(
        Household.committee_id == committee_id, col(Household.id).in_(wanted)
    )
    return set(session.execute(query).scalars())


def dwellings_at(
    session: Session, committee_id: int, keys: Iterable[tuple[int, str, str]]
) -> dict[tuple[int, str, str], int]:
    """The committee's dwellings of these (place id, unit, room): key → id."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    query = select(Dwelling.place_id, Dwelling.unit, Dwelling.room, Dwelling.id).where(
        Dwelling.committee_id == committee_id,
        tuple_(Dwelling.place_id, Dwelling.unit, Dwelling.room).in_(wanted),
    )
    return {(p, u, r): i for p, u, r, i in session.execute(query)}


# -- the benchmark's seed ------------------------------------------------------------------------


def copy_rows(session: Session, model: type, rows: Iterable[Row]) -> int:
    """Append many rows to a table (COPY on PostgreSQL, batched INSERTs elsewhere); how many."""
    table = _table(model)
    connection = session.connection()
    count = 0
    if connection.dialect.name != "postgresql":
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= COPY_CHUNK:
                connection.execute(insert(table), chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            connection.execute(insert(table), chunk)
        return count + len(chunk)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    names = list(first)
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in itertools.chain([first], iterator):
            copy.write_row([row[name] for name in names])
            count += 1
    return count


def reserve_ids(session: Session, model: type, count: int) -> list[int]:
    """`count` new ids for a table's rows: drawn from its sequence on PostgreSQL (safe beside
    other writers), after the largest on SQLite (whose writer holds the database's lock)."""
    if count <= 0:
        return []
    table = _table(model)
    if session.connection().dialect.name == "postgresql":
        draw = select(func.nextval(f"{table.name}_id_seq")).select_from(
            func.generate_series(1, count)
        )
        return list(session.execute(draw).scalars())
    last = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(last) + 1, int(last) + 1 + count))


def table_count(session: Session, model: type) -> int:
    """How many rows a table has."""
    return int(session.execute(select(func.count()).select_from(_table(model))).scalar_one())


def analyse(session: Session) -> None:
    """Fresh statistics for the registry's tables inside a long write (PostgreSQL only).

    A large import is one transaction, so autovacuum never sees its rows: without this the
    planner keeps the empty tables' plans and matches each batch by scanning the committee."""
    if session.connection().dialect.name != "postgresql":
        return
    for model in (Dwelling, Household, Resident, Residence, ResidentChange):
        session.execute(text(f"ANALYZE {_table(model).name}"))


def vacuum_analyze(engine: Engine) -> None:
    """Fresh statistics and visibility maps for the registry's tables after a bulk seed."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for model in (Dwelling, Household, Resident, Residence):
            connection.execute(text(f"VACUUM ANALYZE {_table(model).name}"))
