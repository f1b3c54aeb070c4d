"""A committee with places and a grid worker, as the report tests need them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import unit_of_work
from store.places.models import Place
from store.reports.models import Report
from store.staff.models import StaffUser
from tests.chat import Chat
from tests.staff_helpers import create_staff

COMMITTEE = "东风社区居委会"
# 3栋 and 5栋 are 600 m apart; 小区东门 has no coordinates.
BUILDING_3 = (23.1290, 113.2640)
BUILDING_5 = (23.1344, 113.2640)


@dataclass(frozen=True)
class Neighbourhood:
    """Ids of what was seeded."""

    committee_id: int
    grid_worker: StaffUser
    building_3: int
    building_5: int
    east_gate: int


def seed(database: Engine) -> Neighbourhood:
    """A committee, its grid worker (handler of 3栋) and three places."""
    worker = create_staff(database, "wang", role="grid_worker", committee=COMMITTEE)
    assert worker.committee_id is not None
    with unit_of_work(database) as session:
        places = [
            Place(
                committee_id=worker.committee_id, kind="building", name="3栋",
                grid_area="第一网格", handler_id=worker.id, lat=BUILDING_3[0], lng=BUILDING_3[1],
            ),
            Place(
                committee_id=worker.committee_id, kind="building", name="5栋",
                grid_area="第二网格", lat=BUILDING_5[0], lng=BUILDING_5[1],
            ),
            Place(committee_id=worker.committee_id, kind="public", name="小区东门"),
        ]  # fmt: skip
        session.add_all(places)
        session.flush()
        ids = [p.id or 0 for p in places]
    return Neighbourhood(worker.committee_id, worker, *ids)


REFERENCE = re.compile(r"BS-\d{8}-\d{4}")


def reference_in(chat: Chat) -> str:
    """The reference number in Linli's last reply."""
    found = REFERENCE.search(chat.last_reply or "")
    assert found, f"no reference number in:\n{chat.last_reply}"
    return found.group(0)


def only_report(database: Engine) -> Report:
    """The one report in the database."""
    with Session(database) as session:
        [report] = session.exec(select(Report)).all()
        return report
