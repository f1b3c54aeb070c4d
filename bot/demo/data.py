"""Demo data for `linli demo load`: a committee with buildings, a grid worker and an admin, so the
simulator's 我要报事 finds places and the console has someone to handle the reports."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store.places import lookup as place_lookup
from store.places.models import Place
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
