"""Demo data for `linli demo load`: a committee with buildings, a grid worker and an admin, so the
simulator's 我要报事 finds places and the console has someone to handle the reports."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlmodel import Session

from flows.inputs import id_card_check_char
from store.places import lookup as place_lookup
from store.places.models import Place
from store.registry import homes
from store.registry.history import Source
from store.registry.residents import add_resident
from store.sealing import Sealer
from store.staff import accounts as staff
from store.staff import audit
from store.staff.models import GRID_WORKER, SUBDISTRICT_ADMIN, StaffUser

DISTRICT = "示例街道"
COMMITTEE = "示例社区居委会"
# Demo-only accounts with a published password: `linli demo load` refuses to run in production,
# and `linli serve` / `check-config` refuse a production database that holds them.
ACCOUNTS = (
    ("demo-admin", "示例管理员", SUBDISTRICT_ADMIN, "Demo-Linli-2026"),
    ("demo-grid", "示例网格员", GRID_WORKER, "Demo-Linli-2026"),
)
USERNAMES = tuple(username for username, *_ in ACCOUNTS)
# Made-up coordinates (committees enter their own), matching the simulator's location buttons:
# 3栋 at its 3栋 button, the other buildings 110 m apart in a row, and the two public places.
THIRD = (23.1296, 113.2651)
BUILDINGS = [
    (f"{n}栋", "第一网格" if n <= 3 else "第二网格", (THIRD[0] + (n - 3) * 0.001, THIRD[1]))
    for n in range(1, 7)
]
PUBLIC = (("小区东门", (23.1291, 113.2644)), ("地下停车场", (23.1287, 113.2639)))


def load(session: Session, now: datetime) -> list[str]:
    """Create what is missing; returns the demo accounts' usernames."""
    district = staff.sub_district(session, DISTRICT)
    home = staff.committee(session, district, COMMITTEE)
    accounts: dict[str, StaffUser] = {}
    for username, name, role, password in ACCOUNTS:
        found = staff.by_username(session, username)
        accounts[username] = found or staff.create(
            session, actor=audit.CLI, username=username, display_name=name, password=password,
            role=role, district=district, committee_of=None if role == SUBDISTRICT_ADMIN else home,
            now=now,
        )  # fmt: skip
    grid_worker = accounts["demo-grid"]
    committee_id = home.id or 0
    buildings = [
        Place(
            committee_id=committee_id, kind="building", name=name, grid_area=grid,
            handler_id=grid_worker.id if grid == "第一网格" else None, lat=lat, lng=lng,
        )
        for name, grid, (lat, lng) in BUILDINGS
    ]  # fmt: skip
    public = [
        Place(committee_id=committee_id, kind="public", name=name, lat=lat, lng=lng)
        for name, (lat, lng) in PUBLIC
    ]
    place_lookup.add_missing(session, committee_id, buildings + public)
    return list(accounts)


RESIDENTS = 300
# Made-up people: names no one has (张演示三), mobiles of the unassigned 139 0000 block, and ID
# numbers of one district code with valid check digits.
SURNAMES = "张李王刘陈杨赵黄周吴徐孙"
GIVEN = ("演示", "示例", "样例")
NUMERALS = "一二三四五六七八九十"
AREA = "440106"
# The committee's own number, typed in for two unrelated residents (the quality report finds it).
COMMITTEE_PHONE = "139 0000 0000"
# Rows with deliberate flaws, so the data-quality report has something to show.
FLAWS = {17: "shared", 140: "shared", 60: "stale", 90: "placeholder", 120: "too_old", 200: "bare"}
SOURCE = "linli demo load"


def _id_card(born: date, male: bool, n: int) -> str:
    first17 = f"{AREA}{born:%Y%m%d}{2 * (n % 450) + (1 if male else 0):03d}"
    return first17 + id_card_check_char(first17)


def _person(rng: random.Random, n: int, age: int, male: bool, today: date) -> dict[str, object]:
    name = f"{SURNAMES[n % 12]}{GIVEN[(n // 12) % 3]}{NUMERALS[(n // 36) % 10]}"
    born = date(today.year - age, 1, 1) - timedelta(days=rng.randrange(1, 360))
    values: dict[str, object] = {"name": name, "id_card": _id_card(born, male, n)}
    if age >= 16:
        values["mobile"] = f"139 0000 {n + 1:04d}"
    flaw = FLAWS.get(n)
    if flaw == "shared":
        values["mobile"] = COMMITTEE_PHONE
    elif flaw == "placeholder":
        values["mobile"] = "13800000000"
    elif flaw == "too_old":
        values["id_card"] = _id_card(date(1908, 3, 3), male, n)
    elif flaw == "bare":
        values = {"name": name}
    return values


def _household(rng: random.Random, head_age: int) -> list[tuple[str, int, bool]]:
    """Relation, age and gender of each member, head first."""
    male = rng.random() < 0.5
    members = [("head", head_age, male)]
    size = rng.choice((1, 1, 2, 2, 3, 3, 4))
    if size >= 2:
        members.append(("spouse", max(20, head_age + rng.randint(-4, 4)), not male))
    for _ in range(max(0, size - 2)):
        if head_age > 70:
            members.append(("child", head_age - rng.randint(25, 32), rng.random() < 0.5))
        else:
            members.append(("child", max(1, head_age - rng.randint(24, 34)), rng.random() < 0.5))
    return members


def load_residents(session: Session, sealer: Sealer, now: datetime) -> int:
    """Add the demo committee's generated residents unless it has some; how many were added."""
    home = staff.committee(session, staff.sub_district(session, DISTRICT), COMMITTEE)
    committee_id = home.id or 0
    if homes.has_residents(session, committee_id):
        return 0
    buildings = {
        p.name: p.id or 0
        for p in place_lookup.every(session)
        if p.committee_id == committee_id and p.kind == "building"
    }
    rng = random.Random(2026)
    today = now.date()
    rooms = [
        (building, unit, f"{floor}0{door}")
        for building, _, _ in BUILDINGS
        for unit in ("1", "2")
        for floor in range(1, 7)
        for door in (1, 2)
    ]
    rng.shuffle(rooms)
    added = 0
    for number, (building, unit, room) in enumerate(rooms):
        if added >= RESIDENTS or building not in buildings:
            continue
        rented = number % 8 == 7
        dwelling = homes.dwelling(
            session, committee_id, buildings[building], unit, room,
            "rented" if rented else "owner",
        )  # fmt: skip
        household = None if rented else homes.household(session, committee_id, f"DEMO{number:04d}")
        members = _household(rng, rng.randint(25, 92))[: RESIDENTS - added]
        for relation, age, male in members:
            values = _person(rng, added, age, male, today)
            values["residence_status"] = "floating" if rented else "registered"
            if household is not None:
                values |= {"household_id": household.id, "relation_to_head": relation,
                           "hukou_status": "consistent"}  # fmt: skip
            stale = FLAWS.get(added) == "stale"
            resident = add_resident(
                session, sealer, committee_id=committee_id, values=values,
                source=Source.imported(SOURCE, added + 1),
                now=now - timedelta(days=730) if stale else now,
            )  # fmt: skip
            resident_id = resident.id or 0
            if household is not None and relation == "head":
                homes.set_head(session, household.id or 0, resident_id)
            role = "tenant" if rented else "self" if relation == "head" else "family"
            moved_in = today - timedelta(days=rng.randrange(200, 9000))
            homes.move_in(session, resident_id, dwelling.id or 0, role, moved_in)
            if age >= 70 and len(members) == 1:
                homes.tag(session, resident_id, "living_alone")
            if age >= 18 and added % 9 == 4:
                homes.tag(session, resident_id, "party_member")
            if added % 37 == 5:
                homes.tag(session, resident_id, "disabled")
            if added % 41 == 6:
                homes.tag(session, resident_id, "subsistence")
            added += 1
    session.flush()
    return added
