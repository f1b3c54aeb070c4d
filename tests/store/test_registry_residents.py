"""The residents registry: values checked, numbers sealed at rest, found by hash, history kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.content import load_content
from store.db import unit_of_work
from store.errors import Refused
from store.registry.history import Source
from store.registry.models import Household, Resident, ResidentChange
from store.registry.residents import (
    add_resident,
    cohort,
    find_by_id_card,
    find_by_mobile,
    update_field,
)
from tests.chat import SEALER
from tests.flows.test_identity import LEGACY, MAN_1955, WOMAN_1962, valid_id
from tests.report_helpers import Neighbourhood
from tests.staff_helpers import create_staff

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
MOBILE = "13912345678"
LANDLINE = "020-83456789"
SHEET = Source.imported("2025年人口普查.xlsx", 7)


def _add(database: Engine, committee_id: int, **values: object) -> int:
    with unit_of_work(database) as session:
        resident = add_resident(
            session, SEALER, committee_id=committee_id, values=values, source=SHEET, now=NOW
        )
        assert resident.id is not None
        return resident.id


def _rows(database: Engine, table: str) -> list[str]:
    """Every row of a table as text, as someone reading the database file would see it."""
    with database.connect() as connection:
        return [
            " ".join(map(str, row)) for row in connection.execute(text(f"SELECT * FROM {table}"))
        ]


def _changes(database: Engine, resident_id: int) -> list[tuple[str, str | None, str | None]]:
    with Session(database) as session:
        query = select(ResidentChange).where(ResidentChange.resident_id == resident_id)
        changes = session.exec(query.order_by(ResidentChange.id)).all()
        return [(c.field, c.old, c.new) for c in changes]


def test_personal_numbers_are_sealed_and_found_by_their_hash(
    database: Engine, place: Neighbourhood
) -> None:
    resident_id = _add(database, place.committee_id, name="李建国", id_card=MAN_1955,
                       mobile="139 1234 5678", landline=LANDLINE)  # fmt: skip
    rows = _rows(database, "resident") + _rows(database, "resident_change")
    for number in (MAN_1955, MOBILE, "83456789"):
        assert not any(number in row for row in rows), number
    with Session(database) as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None
        assert SEALER.open(resident.id_card_sealed or "") == MAN_1955
        assert SEALER.open(resident.mobile_sealed or "") == MOBILE
        assert SEALER.open(resident.landline_sealed or "") == LANDLINE
        # Read from the number, since the sheet left them blank.
        assert (resident.birth_date, resident.gender) == (date(1955, 3, 15), "male")
        found = find_by_id_card(session, SEALER, place.committee_id, f" {MAN_1955.lower()} ")
        assert [r.id for r in found] == [resident_id]
        # The 15-digit number the same person held before 1999, typed full-width.
        legacy = LEGACY.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        assert [r.id for r in find_by_id_card(session, SEALER, place.committee_id, legacy)] == [
            resident_id
        ]
        by_mobile = find_by_mobile(session, SEALER, place.committee_id, "+86 139-1234-5678")
        assert [r.id for r in by_mobile] == [resident_id]
        assert find_by_mobile(session, SEALER, place.committee_id, "13912345670") == []
        assert find_by_id_card(session, SEALER, place.committee_id, "not a number") == []


def test_another_committee_does_not_find_the_resident(
    database: Engine, place: Neighbourhood
) -> None:
    resident_id = _add(database, place.committee_id, name="李建国", id_card=MAN_1955, mobile=MOBILE)
    other = create_staff(database, "zhao", role="grid_worker", committee="西湖社区居委会")
    assert other.committee_id is not None and other.committee_id != place.committee_id
    with Session(database) as session:
        assert find_by_id_card(session, SEALER, other.committee_id, MAN_1955) == []
        assert find_by_mobile(session, SEALER, other.committee_id, MOBILE) == []
    with unit_of_work(database) as session, pytest.raises(Refused) as refused:
        update_field(session, SEALER, committee_id=other.committee_id, resident_id=resident_id,
                     field="name", value="改名", source=Source.staff(0), now=NOW)  # fmt: skip
    assert refused.value.code == "resident_unknown"


def test_each_field_enters_the_history_masked_with_its_source(
    database: Engine, place: Neighbourhood
) -> None:
    resident_id = _add(database, place.committee_id, name="王秀英", id_card=WOMAN_1962,
                       mobile=MOBILE, landline=LANDLINE, hukou_status="consistent",
                       notes="", gender="female")  # fmt: skip
    assert _changes(database, resident_id) == [
        ("name", None, "王秀英"),
        ("gender", None, "female"),
        ("birth_date", None, "1962-11-08"),
        ("id_card", None, WOMAN_1962[:6] + "********" + WOMAN_1962[-4:]),
        ("mobile", None, "139****5678"),
        ("landline", None, "020-****6789"),
        ("hukou_status", None, "consistent"),
    ]
    with Session(database) as session:
        sources = {
            (c.source_kind, c.source_detail, c.at) for c in session.exec(select(ResidentChange))
        }
    assert sources == {("import", "2025年人口普查.xlsx:7", NOW)}


def test_a_changed_field_is_recorded_and_the_same_value_changes_nothing(
    database: Engine, place: Neighbourhood
) -> None:
    resident_id = _add(database, place.committee_id, name="王秀英", mobile=MOBILE)
    later = NOW + timedelta(days=3)
    staff = Source.staff(place.grid_worker.id or 0)

    def update(field: str, value: object) -> bool:
        with unit_of_work(database) as session:
            return update_field(session, SEALER, committee_id=place.committee_id,
                                resident_id=resident_id, field=field, value=value,
                                source=staff, now=later)  # fmt: skip

    before = _changes(database, resident_id)
    assert update("mobile", "139-1234-5678") is False  # the same number, written differently
    assert update("name", " 王秀英 ") is False
    assert _changes(database, resident_id) == before
    assert update("mobile", "13587654321") is True
    assert _changes(database, resident_id)[-1] == ("mobile", "139****5678", "135****4321")
    with Session(database) as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None
        assert (resident.updated_at, resident.last_confirmed_at) == (later, later)
        assert find_by_mobile(session, SEALER, place.committee_id, MOBILE) == []
        assert len(find_by_mobile(session, SEALER, place.committee_id, "13587654321")) == 1
        change = max(session.exec(select(ResidentChange)).all(), key=lambda c: c.id or 0)
        assert (change.source_kind, change.source_detail) == ("staff", str(place.grid_worker.id))
    assert not any(
        "13587654321" in row or MOBILE in row for row in _rows(database, "resident_change")
    )


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"name": "", "mobile": MOBILE}, "name", "missing"),
        ({"name": "李", "id_card": MAN_1955[:17] + "0"}, "id_card", "id_card_check_digit"),
        ({"name": "李", "mobile": "1391234567"}, "mobile", "mobile_format"),
        ({"name": "李", "landline": "83456789"}, "landline", "landline_area_code"),
        ({"name": "李", "id_card": MAN_1955, "birth_date": "1955-05-13"}, "birth_date",
         "birth_date_mismatch"),
        ({"name": "李", "id_card": MAN_1955, "gender": "female"}, "gender", "gender_mismatch"),
        ({"name": "李", "gender": "男"}, "gender", "unknown_code"),
        ({"name": "李", "birth_date": "1955-02-30"}, "birth_date", "date_format"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_with_their_reason_and_nothing_is_written(
    database: Engine, place: Neighbourhood, values: dict[str, object], field: str, reason: str
) -> None:
    with unit_of_work(database) as session, pytest.raises(Refused) as refused:
        add_resident(session, SEALER, committee_id=place.committee_id, values=values,
                     source=SHEET, now=NOW)  # fmt: skip
    assert (refused.value.field, refused.value.code) == (field, reason)
    assert _rows(database, "resident") == []
    assert _rows(database, "resident_change") == []


def test_an_edit_the_id_number_contradicts_is_refused(
    database: Engine, place: Neighbourhood
) -> None:
    resident_id = _add(database, place.committee_id, name="李建国", id_card=MAN_1955)
    with unit_of_work(database) as session, pytest.raises(Refused) as refused:
        update_field(session, SEALER, committee_id=place.committee_id, resident_id=resident_id,
                     field="id_card", value=WOMAN_1962, source=SHEET, now=NOW)  # fmt: skip
    assert refused.value.code == "birth_date_mismatch"
    with Session(database) as session:
        assert len(find_by_id_card(session, SEALER, place.committee_id, MAN_1955)) == 1


def test_a_household_of_another_committee_is_refused(
    database: Engine, place: Neighbourhood
) -> None:
    other = create_staff(database, "zhao", role="grid_worker", committee="西湖社区居委会")
    with unit_of_work(database) as session:
        theirs = Household(committee_id=other.committee_id or 0, number="0001")
        ours = Household(committee_id=place.committee_id, number="0001")
        session.add_all([theirs, ours])
        session.flush()
        ids = (theirs.id, ours.id)
    with unit_of_work(database) as session, pytest.raises(Refused) as refused:
        values = {"name": "李", "household_id": ids[0]}
        add_resident(session, SEALER, committee_id=place.committee_id, values=values,
                     source=SHEET, now=NOW)  # fmt: skip
    assert refused.value.code == "household_unknown"
    resident_id = _add(database, place.committee_id, name="李", household_id=ids[1])
    with Session(database) as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None and resident.household_id == ids[1]


def test_cohorts_are_derived_from_the_stored_date_of_birth(
    database: Engine, place: Neighbourhood, content_dir: Path
) -> None:
    registry = load_content(content_dir).registry
    born_1946 = valid_id("44010619460701002")  # a woman born 1946-07-01
    resident_id = _add(database, place.committee_id, name="陈桂兰", id_card=born_1946)
    with Session(database) as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None
        assert cohort(resident, on=date(2026, 6, 30), content=registry) == (
            "elderly_women", "aged_70",
        )  # fmt: skip
        assert cohort(resident, on=date(2026, 7, 1), content=registry) == (
            "elderly_women", "aged_70", "aged_80",
        )  # fmt: skip
