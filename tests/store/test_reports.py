"""The report store: reference numbers, routing, duplicates and the lifecycle's rules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flows.place_names import building_key, match
from store.db import unit_of_work
from store.errors import Refused
from store.places.models import Place
from store.reports import service as reports
from store.reports.models import Report
from store.staff import audit, scope
from store.staff.models import AuditEntry
from tests.chat import SEALER
from tests.report_helpers import BUILDING_3, COMMITTEE, Neighbourhood, seed
from tests.staff_helpers import NOW, create_staff

# The store takes the resident's label from its caller (reports.yaml in the app).
RESIDENT = audit.Actor(None, "resident")


def _report(session: Session, place: Neighbourhood, **overrides: object) -> Report:
    values: dict[str, object] = {
        "category": "shared_bike", "description": "单车堵门", "source": "wechat",
        "committee_id": place.committee_id, "place_id": place.building_3,
        "reporter_openid": "o_reporter",
    }  # fmt: skip
    values.update(overrides)
    new = reports.NewReport(**values)  # type: ignore[arg-type]
    reference = reports.next_reference(session, "BS", date(2026, 11, 28))
    return reports.create(
        session, new, reference=reference, assignee_id=None, now=NOW, sealer=SEALER,
        resident=RESIDENT,
    )  # fmt: skip


def test_reference_numbers_count_up_per_day_and_restart_the_next_day(database: Engine) -> None:
    with unit_of_work(database) as session:
        first = reports.next_reference(session, "BS", date(2026, 11, 28))
        second = reports.next_reference(session, "BS", date(2026, 11, 28))
        tomorrow = reports.next_reference(session, "BS", date(2026, 11, 29))
    assert (first, second, tomorrow) == ("BS-20261128-0001", "BS-20261128-0002", "BS-20261129-0001")


def test_reference_numbers_taken_at_the_same_time_are_all_different(database: Engine) -> None:
    def take(_: int) -> str:
        with unit_of_work(database) as session:
            return reports.next_reference(session, "BS", date(2026, 11, 28))

    with ThreadPoolExecutor(max_workers=4) as pool:
        taken = list(pool.map(take, range(40)))
    assert sorted(taken) == [f"BS-20261128-{n:04d}" for n in range(1, 41)]


@pytest.mark.parametrize(
    ("typed", "key"),
    [("3栋", "3"), ("三栋", "3"), ("3号楼", "3"), ("３ 栋", "3"), ("十二幢", "12"), ("B座", "b")],
)
def test_building_numbers_are_read_however_they_are_written(typed: str, key: str) -> None:
    assert building_key(typed) == key


def test_a_typed_place_matches_by_number_then_by_name() -> None:
    places = [
        Place(committee_id=1, kind="building", name="3栋"),
        Place(committee_id=1, kind="public", name="东门"),
        Place(committee_id=1, kind="public", name="小区东门"),
        Place(committee_id=1, kind="public", name="地下停车场"),
    ]
    assert match("三号楼2单元", places) is places[0]
    assert match("小区东门口", places) is places[2]  # the longest name mentioned
    assert match("停车场", places) is places[3]
    assert match("8栋", places) is None
    assert match("楼", places) is None


def test_a_numbered_public_place_is_no_building_and_names_shared_by_committees_match_none() -> None:
    parking = Place(committee_id=1, kind="public", name="3号停车场")
    building = Place(committee_id=1, kind="building", name="3栋")
    assert match("三号楼", [parking, building]) is building
    assert match("3号停车场", [parking, building]) is parking
    other = Place(committee_id=2, kind="building", name="3号楼")
    # A sub-district's installation: two committees have a 3栋; typing it names neither.
    assert match("三栋", [building, other]) is None
    assert match("3栋", [building, parking]) is building


def test_routing_prefers_an_override_then_the_buildings_grid_worker(database: Engine) -> None:
    place = seed(database)
    li = create_staff(database, "li", committee=COMMITTEE)
    stranger = create_staff(database, "zhao", committee="别的居委会")
    with unit_of_work(database) as session:
        building_3 = session.get(Place, place.building_3)
        building_5 = session.get(Place, place.building_5)

        def pick(at: Place | None, **route: object) -> int | None:
            chosen = reports.pick_handler(
                session,
                committee_id=place.committee_id,
                place=at,
                **route,  # type: ignore[arg-type]
            )
            return chosen.id if chosen else None

        grid = [reports.Override("li", grid="第二网格")]
        assert pick(building_3, role="grid_worker", person=None) == place.grid_worker.id
        assert pick(building_5, role="grid_worker", person=None, overrides=grid) == li.id
        assert pick(building_3, role="grid_worker", person=None, overrides=grid) == (
            place.grid_worker.id
        )
        # 5栋 has no grid worker: the committee's staff as a whole.
        assert pick(building_5, role="grid_worker", person=None) is None
        assert pick(None, role=None, person="li") == li.id
        # Staff of another committee never get this committee's reports.
        assert pick(building_3, role=None, person=stranger.username) is None
        li_row = session.get(type(li), li.id)
        assert li_row is not None
        li_row.disabled = True
        session.flush()
        assert pick(building_5, role="grid_worker", person=None, overrides=grid) is None


def test_duplicates_are_open_reports_of_the_category_at_the_place_or_nearby(
    database: Engine,
) -> None:
    place = seed(database)
    with unit_of_work(database) as session:
        near = _report(session, place, place_id=None, lat=BUILDING_3[0], lng=BUILDING_3[1])

        def found(**where: object) -> str | None:
            values: dict[str, object] = {
                "category": "shared_bike", "place_id": None, "lat": None, "lng": None,
                "since": NOW - timedelta(hours=72), "meters": 150,
            }  # fmt: skip
            values.update(where)
            hit = reports.find_duplicate(session, **values)  # type: ignore[arg-type]
            return hit.reference if hit else None

        assert found(lat=BUILDING_3[0] + 0.001, lng=BUILDING_3[1]) == near.reference  # ~110 m
        assert found(lat=BUILDING_3[0] + 0.002, lng=BUILDING_3[1]) is None  # ~220 m
        assert found(category="noise", lat=BUILDING_3[0], lng=BUILDING_3[1]) is None
        assert found(lat=BUILDING_3[0], lng=BUILDING_3[1], since=NOW + timedelta(hours=1)) is None
        at_3 = _report(session, place)
        assert found(place_id=place.building_3) == at_3.reference
        reports.change(session, at_3, "reject", actor=reports.SYSTEM, now=NOW, note="重复")
        assert found(place_id=place.building_3) is None


def test_the_lifecycle_refuses_steps_that_do_not_fit_and_audits_staff(database: Engine) -> None:
    place = seed(database)
    actor = audit.Actor.of(place.grid_worker)
    with unit_of_work(database) as session:
        report = _report(session, place)
        with pytest.raises(Refused, match="cannot close a report that is submitted"):
            reports.change(session, report, "close", actor=actor, now=NOW)
        with pytest.raises(Refused) as refused:
            reports.change(session, report, "reject", actor=actor, now=NOW, note=" ")
        assert refused.value.field == "note"
        with pytest.raises(Refused) as refused:
            reports.change(session, report, "refer", actor=actor, now=NOW)
        assert refused.value.field == "referred_to"
        reports.change(session, report, "accept", actor=actor, now=NOW)
        assert report.assignee_id == place.grid_worker.id  # whoever accepts it handles it
        reports.change(session, report, "resolve", actor=actor, now=NOW, note="已清理")
        reports.change(session, report, "reopen", actor=RESIDENT, now=NOW)
        assert (report.status, report.reopened, report.resolved_at) == ("in_progress", 1, None)
        kinds = [e.kind for e in reports.timeline(session, report.id or 0)]
        assert kinds == ["created", "accepted", "resolved", "reopened"]
        entries = session.exec(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "report")
            .order_by(AuditEntry.id)  # type: ignore[arg-type]
        ).all()
    # Staff writes are audited; the resident's reopening is in the timeline only.
    assert entries == ["report.accept", "report.resolve"]


def test_followers_are_counted_once_and_the_reporter_is_not_one(database: Engine) -> None:
    place = seed(database)
    with unit_of_work(database) as session:
        report = _report(session, place)
        assert reports.follow(session, report, "o_neighbour", NOW, resident=RESIDENT)
        assert not reports.follow(session, report, "o_neighbour", NOW, resident=RESIDENT)
        assert not reports.follow(session, report, "o_reporter", NOW, resident=RESIDENT)
        assert reports.audience(session, report) == ["o_reporter", "o_neighbour"]


def test_a_report_of_no_committee_belongs_to_its_sub_districts_admins_only(
    database: Engine,
) -> None:
    place = seed(database)
    here = create_staff(database, "admin_here", role="subdistrict_admin", committee=None)
    there = create_staff(
        database, "admin_there", role="subdistrict_admin", committee=None, district="别的街道"
    )
    with unit_of_work(database) as session:
        report = _report(
            session, place, committee_id=None, place_id=None, sub_district_id=here.sub_district_id
        )
        for person, sees in ((here, True), (there, False), (place.grid_worker, False)):
            person_scope = scope.of(session, person)
            found = reports.get_visible(session, person_scope, report.reference)
            assert (found is not None) is sees, person.username
        # Nor can a report of this committee be handed to another sub-district's admin.
        placed = _report(session, place)
        with pytest.raises(Refused):
            reports.assign(session, placed, actor=audit.CLI, staff=there, now=NOW)
        reports.assign(session, placed, actor=audit.CLI, staff=here, now=NOW)
        assert placed.assignee_id == here.id
        with pytest.raises(Refused):  # nor an unplaced one of this sub-district
            reports.assign(session, report, actor=audit.CLI, staff=there, now=NOW)
        # Not even the sub-district known: every admin sees it, so it is never lost.
        orphan = _report(session, place, committee_id=None, place_id=None)
        for person in (here, there):
            assert reports.get_visible(session, scope.of(session, person), orphan.reference)
        assert not reports.get_visible(
            session, scope.of(session, place.grid_worker), orphan.reference
        )
