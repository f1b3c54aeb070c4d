"""A small registry to work on: 东风 with 张秀英, 王建国 (one household in 3栋) and 张小明, and
the staff who use it (a clerk, a grid worker, and a clerk of 西湖)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from store.db import unit_of_work
from store.places.models import Place
from store.registry import homes
from store.registry.history import Source
from store.registry.residents import add_resident
from store.staff.models import StaffUser
from tests.chat import SEALER, settings_for
from tests.flows.test_identity import valid_id
from tests.staff_helpers import PASSWORD, create_staff

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
EAST, WEST = "东风社区居委会", "西湖社区居委会"
SHEET = Source.imported("2025年人口普查.xlsx", 7)
WOMAN_MOBILE, MAN_MOBILE = "13812345678", "13987654321"
WOMAN = valid_id("11010519551108004")  # born 1955-11-08, female
MAN = valid_id("44010619560315123")  # born 1956-03-15, male
BOY = valid_id("44010620100601001")  # born 2010-06-01, male


@dataclass
class Registry:
    """The app (clock at NOW), its staff and the residents' ids."""

    app: Any
    database: Engine
    clerk: StaffUser
    worker: StaffUser
    stranger: StaffUser
    woman: int
    man: int
    boy: int
    household: int
    building: int
    committee_id: int

    def client(self, username: str) -> TestClient:
        """A browser-like client signed in to the console as this member of staff."""
        client = TestClient(self.app)
        form = client.get("/console/login").text
        client.post("/console/login", data={
            "username": username, "password": PASSWORD, "csrf_token": csrf(form)})  # fmt: skip
        return client


def csrf(page: str) -> str:
    """The form token a console page carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def _add(database: Engine, committee_id: int, **values: object) -> int:
    with unit_of_work(database) as session:
        person = add_resident(session, SEALER, committee_id=committee_id, values=values,
                              source=SHEET, now=NOW)  # fmt: skip
        assert person.id is not None
        return person.id


def build_registry(database: Engine) -> Registry:
    """The app and the small registry of 东风."""
    app = create_app(settings_for(database), database=database)
    app.state.services.clock = lambda: NOW
    clerk = create_staff(database, "clerk", committee=EAST)
    worker = create_staff(database, "grid", role="grid_worker", committee=EAST)
    stranger = create_staff(database, "west", committee=WEST)
    east = clerk.committee_id or 0
    with unit_of_work(database) as session:
        household = homes.household(session, east, "HH-0001").id or 0
        place = Place(committee_id=east, kind="building", name="3栋")
        session.add(place)
        session.flush()
        building = place.id or 0
    woman = _add(database, east, name="张秀英", id_card=WOMAN, mobile=WOMAN_MOBILE,
                 landline="020-83456789", household_id=household, relation_to_head="head",
                 residence_status="resident")  # fmt: skip
    man = _add(database, east, name="王建国", id_card=MAN, mobile=MAN_MOBILE,
               household_id=household, relation_to_head="spouse")  # fmt: skip
    boy = _add(database, east, name="张小明", id_card=BOY)
    with unit_of_work(database) as session:
        home = homes.dwelling(session, east, building, "2", "301", "owner")
        for person in (woman, man):
            homes.move_in(session, person, home.id or 0, "self" if person == woman else "family",
                          None)  # fmt: skip
        homes.set_head(session, household, woman)
        homes.tag(session, woman, "party_member")
    return Registry(app, database, clerk, worker, stranger, woman, man, boy, household,
                    building, east)  # fmt: skip
