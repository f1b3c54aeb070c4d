"""A committee to plan reviews for: residents built straight into the registry (gender, birth
date, status, tags with certificate dates, a home in a building), their WeChat bindings, and
the shipped programmes with the family-planning window and office hours filled in, as a
committee fills them in a copy of the content."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.content import Content, load_content
from config.review_content import ReviewCatalogue
from store.binding.models import ResidentBinding
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.registry.models import Dwelling, Residence, Resident, ResidentTag
from store.reviews import planner
from store.reviews.models import ReviewRecord
from store.staff.models import StaffUser
from tests.chat import SHIPPED_CONTENT
from tests.staff_helpers import create_staff

TZ = ZoneInfo("Asia/Shanghai")
FAMILY, LONGEVITY, PERMIT = (
    "family_planning_review", "longevity_confirmation", "residence_permit_endorsement",
)  # fmt: skip
FILLED_WINDOW = 'opens: "03-01"\n  closes: "06-30"'
HOURS = '  hours:\n    - {weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "12:00"}\n'


def filled_content(folder: Path) -> Content:
    """The shipped content copied, with the family-planning window (03-01 … 06-30) and the
    committee's office hours filled in."""
    target = folder / "zh-CN"
    if not target.exists():
        shutil.copytree(SHIPPED_CONTENT, target)
        reviews = target / "reviews"
        family = reviews / f"{FAMILY}.yaml"
        text = family.read_text(encoding="utf-8")
        text = text.replace('opens: ""    # 居委会填写，例如 "03-01"\n  closes: ""', FILLED_WINDOW)
        family.write_text(text, encoding="utf-8")
        words = reviews / "_reviews.yaml"
        text = words.read_text(encoding="utf-8")
        words.write_text(text.replace("  hours: []            # 居委会填写\n", HOURS),
                         encoding="utf-8")  # fmt: skip
    content = load_content(target)
    assert content.reviews.by_key[FAMILY].ready, "the copied window is filled in"
    assert content.reviews.words.appointments.open
    return content


@pytest.fixture(scope="session")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    """The content with the committee's blanks filled."""
    return filled_content(tmp_path_factory.mktemp("content"))


@pytest.fixture(scope="session")
def reviews(content: Content) -> ReviewCatalogue:
    """The programmes, family planning's window filled."""
    return content.reviews


def local(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """A local time of a day, in UTC."""
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


@dataclass
class Town:
    """东风: a committee with two buildings, its clerk, and the residents the test adds."""

    database: Engine
    committee_id: int
    clerk: StaffUser
    buildings: list[int]
    names: dict[int, str] = field(default_factory=dict)

    def add(
        self, session: Session, name: str, *, gender: str | None = None,
        born: date | None = None, status: str | None = "registered",
        tags: dict[str, date | None] | None = None, building: int | None = 0,
    ) -> int:  # fmt: skip
        """A resident living in one of the buildings (None: no home known)."""
        person = Resident(
            committee_id=self.committee_id, name=name, gender=gender, birth_date=born,
            residence_status=status, notes="", created_at=NOW, updated_at=NOW,
        )  # fmt: skip
        session.add(person)
        session.flush()
        resident_id = person.id or 0
        for tag, certified in (tags or {}).items():
            session.add(ResidentTag(resident_id=resident_id, tag=tag, certificate_date=certified))
        if building is not None:
            home = Dwelling(committee_id=self.committee_id, place_id=self.buildings[building],
                            unit="1", room=str(100 + resident_id))  # fmt: skip
            session.add(home)
            session.flush()
            session.add(Residence(resident_id=resident_id, dwelling_id=home.id or 0, role="self"))
        self.names[resident_id] = name
        return resident_id

    def person(self, name: str, **details: object) -> int:
        """One resident, in its own transaction."""
        with unit_of_work(self.database) as session:
            return self.add(session, name, **details)  # type: ignore[arg-type]


NOW = datetime(2026, 1, 1, tzinfo=UTC)


def bind(session: Session, openid: str, resident_id: int, *, kind: str = "self",
         status: str = "active", at: datetime = NOW) -> None:  # fmt: skip
    """A binding as staff decisions leave it."""
    session.add(ResidentBinding(
        openid=openid, resident_id=resident_id, kind=kind, status=status, requested_at=at,
        decided_at=at, relation="child" if kind == "proxy" else None,
    ))  # fmt: skip


def bound(database: Engine, openid: str, resident_id: int, **options: object) -> None:
    """A binding, in its own transaction."""
    with unit_of_work(database) as session:
        bind(session, openid, resident_id, **options)  # type: ignore[arg-type]


def build_town(database: Engine) -> Town:
    """东风 with 1栋 and 2栋, and its clerk."""
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    committee_id = clerk.committee_id or 0
    with unit_of_work(database) as session:
        places = [Place(committee_id=committee_id, kind="building", name=name)
                  for name in ("1栋", "2栋")]  # fmt: skip
        session.add_all(places)
        session.flush()
        buildings = [p.id or 0 for p in places]
    return Town(database, committee_id, clerk, buildings)


@pytest.fixture
def town(database: Engine) -> Town:
    """东风, empty of residents."""
    return build_town(database)


def plan_at(database: Engine, reviews: ReviewCatalogue, at: datetime) -> planner.Planned:
    """One planner run at a time, in its own transaction."""
    with unit_of_work(database) as session:
        return planner.plan(session, reviews, now=at, tz=TZ)


def records(database: Engine, programme: str | None = None) -> list[ReviewRecord]:
    """Every record (of one programme), in the order created."""
    with Session(database) as session:
        query = select(ReviewRecord)
        if programme is not None:
            query = query.where(ReviewRecord.programme == programme)
        return list(session.exec(query.order_by(col(ReviewRecord.id))))


def reminders(database: Engine) -> list[OutboxMessage]:
    """Every review reminder queued, oldest first."""
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == planner.KIND)
        return list(session.exec(query.order_by(col(OutboxMessage.id))))
