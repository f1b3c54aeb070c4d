"""The data-quality report: each kind of finding, and nothing for a resident whose details are
in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.content import load_content
from config.registry_quality import Quality
from store.db import unit_of_work
from store.registry import homes
from store.registry.history import Source
from store.registry.import_models import ResidentFlag
from store.registry.models import Resident
from store.registry.quality import Finding, findings, lines
from store.registry.residents import add_resident, update_field
from tests.chat import SEALER
from tests.flows.test_identity import MAN_1955, WOMAN_1962, valid_id
from tests.report_helpers import Neighbourhood
from tests.staff_helpers import create_staff

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SHEET = Source.imported("2025年人口普查.xlsx", 3)
OFFICE_PHONE = "13912340000"


@pytest.fixture
def rules(content_dir: Path) -> Quality:
    return load_content(content_dir).registry.quality


def _add(
    database: Engine,
    committee_id: int,
    *,
    home: tuple[int, str] | None,
    at: datetime = NOW,
    **values: object,
) -> int:
    """A resident, living in (building, room) when given."""
    with unit_of_work(database) as session:
        resident = add_resident(
            session, SEALER, committee_id=committee_id, values=values, source=SHEET, now=at
        )
        if home is not None:
            dwelling = homes.dwelling(session, committee_id, home[0], "1", home[1], "owner")
            homes.move_in(session, resident.id or 0, dwelling.id or 0, "self", None)
        return resident.id or 0


def _report(database: Engine, committee_id: int, rules: Quality) -> list[Finding]:
    with Session(database) as session:
        return findings(session, SEALER, committee_id=committee_id, rules=rules, now=NOW)


def test_a_resident_whose_details_are_in_order_gives_no_finding(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    _add(database, place.committee_id, home=(place.building_3, "101"), name="李建国",
         id_card=MAN_1955, mobile=OFFICE_PHONE)  # fmt: skip
    assert _report(database, place.committee_id, rules) == []


def test_a_mobile_shared_by_unrelated_households_is_found_for_each_of_them(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    # The committee's own number typed in for two strangers in different buildings …
    first = _add(database, place.committee_id, home=(place.building_3, "101"), name="李建国",
                 id_card=MAN_1955, mobile=OFFICE_PHONE)  # fmt: skip
    second = _add(database, place.committee_id, home=(place.building_5, "502"), name="王秀英",
                  id_card=WOMAN_1962, mobile="139 1234 0000")  # fmt: skip
    # … while a husband and wife at home share one number, which is normal.
    family = [
        _add(database, place.committee_id, home=(place.building_3, "202"), name=name,
             id_card=number, mobile="13700001111")
        for name, number in (("赵大", valid_id("44010619500101001")),
                             ("钱二", valid_id("44010619520101002")))
    ]  # fmt: skip
    found = _report(database, place.committee_id, rules)
    assert found == [Finding("shared_mobile", first, "2"), Finding("shared_mobile", second, "2")]
    assert not any(f.resident_id in family for f in found)


def test_placeholder_values_are_found_by_hash_and_by_name(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    typed = _add(database, place.committee_id, home=(place.building_3, "101"), name="李建国",
                 id_card=MAN_1955, mobile="13800000000")  # fmt: skip
    nameless = _add(database, place.committee_id, home=(place.building_3, "102"), name="不详",
                    id_card=WOMAN_1962)  # fmt: skip
    # A flagged row staff accepted as it was: 00000000000 kept, sealed and hashed.
    accepted = _add(database, place.committee_id, home=(place.building_5, "101"), name="周强",
                    id_card=valid_id("44010619700101001"))  # fmt: skip
    with unit_of_work(database) as session:
        resident = session.get(Resident, accepted)
        assert resident is not None
        resident.mobile_sealed = SEALER.seal("00000000000")
        resident.mobile_hash = SEALER.lookup_hash("00000000000")
        session.add(resident)
    found = _report(database, place.committee_id, rules)
    assert found == [
        Finding("placeholder", typed, "mobile"),
        Finding("placeholder", nameless, "name"),
        Finding("placeholder", accepted, "mobile"),
    ]
    # Three residents with placeholder numbers are not three households sharing a mobile.
    assert all(f.kind == "placeholder" for f in found)


def test_missing_required_fields_are_found_per_field_and_the_list_is_configurable(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    bare = _add(database, place.committee_id, home=None, name="孙某")
    assert _report(database, place.committee_id, rules) == [
        Finding("missing", bare, "birth_date"),
        Finding("missing", bare, "dwelling"),
        Finding("missing", bare, "gender"),
    ]
    stricter = rules.model_copy(update={"required": ("name", "mobile")})
    assert _report(database, place.committee_id, stricter) == [Finding("missing", bare, "mobile")]


def test_an_age_over_the_limit_is_found(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    old = _add(database, place.committee_id, home=(place.building_3, "101"), name="吴老",
               id_card=valid_id("44010619080101001"))  # fmt: skip
    # 108: old, but not implausible.
    _add(database, place.committee_id, home=(place.building_3, "102"), name="郑老",
         id_card=valid_id("44010619171201001"))  # fmt: skip
    assert _report(database, place.committee_id, rules) == [Finding("too_old", old, "118")]


def test_details_not_confirmed_for_over_a_year_are_found(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    stale = _add(database, place.committee_id, home=(place.building_3, "101"), name="李建国",
                 id_card=MAN_1955, at=NOW - timedelta(days=730))  # fmt: skip
    recent = _add(database, place.committee_id, home=(place.building_3, "102"), name="王秀英",
                  id_card=WOMAN_1962, at=NOW - timedelta(days=300))  # fmt: skip
    never = _add(database, place.committee_id, home=(place.building_5, "101"), name="周强",
                 id_card=valid_id("44010619700101001"))  # fmt: skip
    with unit_of_work(database) as session:
        resident = session.get(Resident, never)
        assert resident is not None
        resident.last_confirmed_at = None
        session.add(resident)
    found = _report(database, place.committee_id, rules)
    assert found == [
        Finding("unconfirmed", stale, (NOW - timedelta(days=730)).date().isoformat()),
        Finding("unconfirmed", never, ""),
    ]
    assert recent not in [f.resident_id for f in found]


def test_residents_who_left_and_other_committees_are_not_reported(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    _add(database, place.committee_id, home=None, name="无", residence_status="moved_out")
    other = create_staff(database, "li", role="grid_worker", committee="西湖社区居委会")
    assert other.committee_id is not None
    _add(database, other.committee_id, home=None, name="无")
    assert _report(database, place.committee_id, rules) == []
    assert [f.kind for f in _report(database, other.committee_id, rules)].count("placeholder") == 1


def test_report_lines_show_names_and_masked_numbers_only(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    _add(database, place.committee_id, home=None, name="孙某", id_card=MAN_1955,
         mobile=OFFICE_PHONE)  # fmt: skip
    with Session(database) as session:
        found = findings(session, SEALER, committee_id=place.committee_id, rules=rules, now=NOW)
        shown = lines(session, SEALER, found)
    assert [(line.name, line.id_card, line.mobile) for line in shown] == [
        ("孙某", f"{MAN_1955[:6]}{'*' * 8}{MAN_1955[-4:]}", "139****0000")
    ]


def test_a_flagged_value_staff_accepted_on_import_is_counted_until_it_is_changed(
    database: Engine, place: Neighbourhood, rules: Quality
) -> None:
    accepted = _add(database, place.committee_id, home=(place.building_3, "101"), name="李建国",
                    id_card=MAN_1955)  # fmt: skip
    left = _add(database, place.committee_id, home=None, name="王秀英", id_card=WOMAN_1962,
                residence_status="moved_out")  # fmt: skip
    with unit_of_work(database) as session:
        resident = session.get(Resident, accepted)
        assert resident is not None
        resident.mobile_sealed = SEALER.seal("1391234567")  # ten digits, kept as given
        session.add(resident)
        for resident_id in (accepted, left):
            session.add(ResidentFlag(resident_id=resident_id, field="mobile",
                                     reason="mobile_format", source_detail="普查.xlsx:7",
                                     at=NOW))  # fmt: skip
    # Counted like the other kinds, after them; who left is not chased.
    assert _report(database, place.committee_id, rules) == [
        Finding("accepted_flag", accepted, "mobile")
    ]
    assert rules.kinds["accepted_flag"] == "按原样接受的存疑信息"
    # Staff correct the number: the accepted value is gone, and so is the finding.
    with unit_of_work(database) as session:
        update_field(session, SEALER, committee_id=place.committee_id, resident_id=accepted,
                     field="mobile", value="13912345678",
                     source=Source.staff(place.grid_worker.id or 0),
                     now=NOW + timedelta(days=1))  # fmt: skip
    assert _report(database, place.committee_id, rules) == []
