"""The search benchmark: 1,000,000 residents in 50 committees of one sub-district on PostgreSQL,
queried through the store functions the API and console use; p50/p95 per kind of search,
against a primary-key fetch measured in the same run."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bench.machine import fresh_database, log
from bench.registry.imports import DATA_KEY
from bench.registry.people import BUILDINGS, person, surnames
from store.db import make_engine, unit_of_work
from store.migrate import upgrade
from store.places.lookup import add_missing
from store.places.models import Place
from store.places.service import listed
from store.registry import bulk
from store.registry.models import Residence, Resident
from store.registry.residents import find_by_id_card, find_by_mobile, get_resident
from store.registry.search import ResidentFilter, one_page, visible_resident
from store.sealing import Sealer
from store.staff import accounts
from store.staff.scope import Scope

DATABASE = "linli_bench_search"  # the 1,000,000-resident one; other sizes get their own
DISTRICT = "基准街道"
COMMITTEES = 50
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
PER_PAGE = 20


def _rows(sealer: Sealer, committee_id: int, first: int, ids: list[int],
          places: dict[str, int], dwellings: dict[tuple[int, str, str], int],
          rng: random.Random) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:  # fmt: skip
    """A committee's residents (numbers sealed and hashed for real) and where each lives."""
    names = surnames(rng, len(ids))
    for n, resident_id in enumerate(ids):
        p = person(first + n, names[n], rng)
        id_card, mobile = str(p["id_card"]), str(p["mobile"])
        key = (places[str(p["building"])], str(p["unit"]), str(p["room"]))
        resident = {
            "id": resident_id, "committee_id": committee_id, "name": p["name"],
            "gender": "male" if p["gender"] == "男" else "female", "birth_date": p["birth_date"],
            "id_card_sealed": sealer.seal(id_card), "id_card_hash": sealer.lookup_hash(id_card),
            "mobile_sealed": sealer.seal(mobile), "mobile_hash": sealer.lookup_hash(mobile),
            "landline_sealed": None, "relation_to_head": "head" if n % 3 == 0 else "spouse",
            "household_id": None, "hukou_status": "consistent", "residence_status": "registered",
            "notes": "", "created_at": NOW, "updated_at": NOW, "last_confirmed_at": NOW,
        }  # fmt: skip
        living = {"resident_id": resident_id, "dwelling_id": dwellings[key], "role": "self",
                  "moved_in": date(2020, 1, 1), "moved_out": None}  # fmt: skip
        yield resident, living


def _scope(*committee_ids: int) -> Scope:
    """What a member of staff of these committees may see (one: committee staff; all: admin)."""
    admin = len(committee_ids) > 1
    return Scope(0, 1, frozenset(committee_ids), admin=admin,
                 role="subdistrict_admin" if admin else "committee_staff")  # fmt: skip


def _seed_committee(engine: Engine, sealer: Sealer, number: int, per_committee: int) -> None:
    rng = random.Random(number)
    with unit_of_work(engine) as session:
        district = accounts.sub_district(session, DISTRICT)
        committee = accounts.committee(session, district, f"基准社区{number:02d}")
        committee_id = committee.id or 0
        add_missing(session, committee_id, [
            Place(committee_id=committee_id, kind="building", name=f"{b}栋")
            for b in range(1, BUILDINGS + 1)
        ])  # fmt: skip
        places = {p.name: p.id or 0 for p in listed(session, _scope(committee_id))}
        first = number * per_committee
        homes = (person(first + n, "王", rng) for n in range(per_committee))
        keys = sorted({(places[str(p["building"])], str(p["unit"]), str(p["room"])) for p in homes})
        ids = bulk.insert_dwellings(session, committee_id, keys)
        dwellings = dict(zip(keys, ids, strict=True))
        ids = bulk.reserve_ids(session, Resident, per_committee)
        pairs = list(_rows(sealer, committee_id, first, ids, places, dwellings, rng))
        bulk.copy_rows(session, Resident, (r for r, _ in pairs))
        bulk.copy_rows(session, Residence, (living for _, living in pairs))


def database_of(residents: int) -> str:
    """The seeded database for this many residents (a smoke run never reseeds the big one)."""
    return DATABASE if residents == 1_000_000 else f"{DATABASE}_{residents}"


def seed(residents: int) -> Engine:
    """A database with this many residents, reused when it already has them."""
    name = database_of(residents)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            reuse = bulk.table_count(session, Resident) == residents
    except DBAPIError:  # no such database or table yet
        reuse = False
    if reuse:
        log(f"  reusing {name}: {residents:,} residents (migrated to head, analysed)")
        upgrade(engine)
        bulk.vacuum_analyze(engine)
        return engine
    engine.dispose()
    started = time.monotonic()
    fresh_database(name)
    engine = make_engine(url)
    sealer = Sealer(DATA_KEY)
    per_committee = residents // COMMITTEES
    for number in range(COMMITTEES):
        _seed_committee(engine, sealer, number, per_committee)
        if number % 10 == 9:
            log(f"  seeded {(number + 1) * per_committee:,} residents "
                f"({time.monotonic() - started:.0f} s)")  # fmt: skip
    bulk.vacuum_analyze(engine)
    log(f"  seeded {name} in {time.monotonic() - started:.0f} s")
    return engine


@dataclass(frozen=True)
class Timing:
    """One kind of search: its latencies in ms, and how many residents the last one matched."""

    kind: str
    scope: str
    ms: list[float]
    matched: int

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.ms, n=20)[-1]


def _time(
    engine: Engine, call: Callable[[Session, int], int], count: int
) -> tuple[list[float], int]:
    """Run `call` `count` times (after a few warm-up calls), each in its own session."""
    latencies, matched = [], 0
    for i in range(-5, count):
        with Session(engine) as session:
            started = time.perf_counter()
            matched = call(session, i)
            elapsed = (time.perf_counter() - started) * 1000
        if i >= 0:
            latencies.append(elapsed)
    return latencies, matched


def measure(engine: Engine, residents: int, queries: int) -> list[Timing]:
    """Each kind of search, as a committee's staff (one committee) and as the sub-district
    admin (all 50), with a primary-key fetch as the baseline."""
    sealer = Sealer(DATA_KEY)
    rng = random.Random(7)
    per_committee = residents // COMMITTEES
    with Session(engine) as session:
        all_ids = [c.id or 0 for n in range(COMMITTEES)
                   for c in accounts.committees_named(session, f"基准社区{n:02d}")]  # fmt: skip
        first_committee = all_ids[0]
        staff, admin = _scope(first_committee), _scope(*all_ids)
        buildings = [p.id or 0 for p in listed(session, staff)]
        # Residents of the first committee picked at random: their numbers and names as typed.
        people: list[dict[str, str]] = []
        for resident_id in rng.sample(range(1, per_committee + 1), queries):
            found = visible_resident(session, staff, resident_id)
            assert found is not None and found.id_card_sealed and found.mobile_sealed
            people.append({"id_card": sealer.open(found.id_card_sealed), "name": found.name,
                           "mobile": sealer.open(found.mobile_sealed)})  # fmt: skip
    names = surnames(random.Random(0), queries)

    def page(
        scope: Scope, wanted: Callable[[int], ResidentFilter]
    ) -> Callable[[Session, int], int]:
        def call(session: Session, i: int) -> int:
            found = one_page(session, scope, wanted(i), sealer=sealer, today=TODAY, page=1,
                             per_page=PER_PAGE)  # fmt: skip
            return found.total + found.more

        return call

    def pk(session: Session, i: int) -> int:
        resident_id = 1 + (i * 7919) % residents
        committee_id = all_ids[(resident_id - 1) // per_committee]
        return 1 if get_resident(session, committee_id, resident_id) else 0

    def by_id(session: Session, i: int) -> int:
        return len(find_by_id_card(session, sealer, first_committee, people[i]["id_card"]))

    def by_mobile(session: Session, i: int) -> int:
        return len(find_by_mobile(session, sealer, first_committee, people[i]["mobile"]))

    searches: list[tuple[str, Callable[[int], ResidentFilter]]] = [
        ("exact ID", lambda i: ResidentFilter(id_card=people[i]["id_card"])),
        ("exact mobile", lambda i: ResidentFilter(mobile=people[i]["mobile"])),
        ("name prefix, surname (1 char)", lambda i: ResidentFilter(name=names[i])),
        ("name prefix, 2 chars", lambda i: ResidentFilter(name=people[i]["name"][:2])),
        ("building list", lambda i: ResidentFilter(place_id=buildings[i % len(buildings)])),
    ]
    kinds: list[tuple[str, str, Callable[[Session, int], int]]] = [
        ("primary-key fetch (baseline)", "–", pk),
        ("find_by_id_card", "committee", by_id),
        ("find_by_mobile", "committee", by_mobile),
    ]
    for label, scope in (("committee", staff), ("sub-district", admin)):
        kinds += [(kind, label, page(scope, wanted)) for kind, wanted in searches]
    timings = []
    for kind, scope_name, call in kinds:
        ms, matched = _time(engine, call, queries)
        done = Timing(kind, scope_name, ms, matched)
        timings.append(done)
        log(f"  {kind:30} {scope_name:12} p50 {done.p50:7.2f} ms  p95 {done.p95:7.2f} ms")
    return timings
