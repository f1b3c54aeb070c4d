"""/api/v1/residents and /api/v1/households: staff search their committee's registry, see every
number masked, and reveal one in full only with a reason, which the audit log keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from store.db import unit_of_work
from store.places.models import Place
from store.registry import search
from store.registry.history import Source
from store.registry.models import Dwelling, Household, Residence, ResidentTag
from store.registry.residents import add_resident, update_field
from store.staff.models import AuditEntry
from tests.bot.reports.test_report_queries import counting
from tests.chat import SEALER, settings_for
from tests.flows.test_identity import valid_id
from tests.staff_helpers import create_staff, token_for

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
EAST, WEST = "东风社区居委会", "西湖社区居委会"
SHEET = Source.imported("2025年人口普查.xlsx", 7)
WOMAN_MOBILE, MAN_MOBILE = "13812345678", "13987654321"
BOY = valid_id("44010620100601001")  # born 2010-06-01, 17th digit 1: male
WOMAN = valid_id("11010519551108004")  # born 1955-11-08, female
MAN = valid_id("44010619560315123")  # born 1956-03-15, male


@dataclass
class Registry:
    """An app with a small registry in 东风: 张秀英 (71, 党员, 3栋), 王建国 (70), 张小明 (16)."""

    client: TestClient
    app: Any
    clerk: dict[str, str]
    woman: int
    man: int
    boy: int
    building: int
    household: int
    committee_id: int


def _add(database: Engine, committee_id: int, source: Source = SHEET, **values: object) -> int:
    with unit_of_work(database) as session:
        resident = add_resident(
            session, SEALER, committee_id=committee_id, values=values, source=source, now=NOW
        )
        assert resident.id is not None
        return resident.id


def _live(database: Engine, resident_id: int, place_id: int, unit: str, room: str) -> None:
    with unit_of_work(database) as session:
        dwelling = session.exec(
            select(Dwelling).where(
                Dwelling.place_id == place_id, Dwelling.unit == unit, Dwelling.room == room
            )
        ).first()
        place = session.get(Place, place_id)
        if dwelling is None and place is not None:
            dwelling = Dwelling(committee_id=place.committee_id, place_id=place_id, unit=unit,
                                room=room, occupancy="owner")  # fmt: skip
            session.add(dwelling)
            session.flush()
        assert dwelling is not None and dwelling.id is not None
        session.add(Residence(resident_id=resident_id, dwelling_id=dwelling.id, role="self"))


def _tag(database: Engine, resident_id: int, tag: str) -> None:
    with unit_of_work(database) as session:
        session.add(ResidentTag(resident_id=resident_id, tag=tag))


def _place(database: Engine, committee_id: int, name: str) -> int:
    with unit_of_work(database) as session:
        place = Place(committee_id=committee_id, kind="building", name=name)
        session.add(place)
        session.flush()
        assert place.id is not None
        return place.id


@pytest.fixture
def registry(database: Engine) -> Registry:
    """The app, a clerk of 东风 and three residents there."""
    app = create_app(settings_for(database), database=database)
    app.state.services.clock = lambda: NOW
    clerk = create_staff(database, "clerk", committee=EAST)
    assert clerk.committee_id is not None
    east = clerk.committee_id
    with unit_of_work(database) as session:
        household = Household(committee_id=east, number="HH-0001")
        session.add(household)
        session.flush()
        assert household.id is not None
        household_id = household.id
    woman = _add(database, east, name="张秀英", id_card=WOMAN,
                 mobile=WOMAN_MOBILE, landline="020-83456789", household_id=household_id,
                 relation_to_head="head", notes="女儿电话 13700001111")  # fmt: skip
    man = _add(database, east, name="王建国", id_card=MAN,
               mobile=MAN_MOBILE, household_id=household_id, relation_to_head="spouse")  # fmt: skip
    boy = _add(database, east, name="张小明", id_card=BOY)
    with unit_of_work(database) as session:
        update_field(session, SEALER, committee_id=east, resident_id=woman, field="mobile",
                     value="13900002222", source=Source.staff(clerk.id or 0),
                     now=NOW)  # fmt: skip
        update_field(session, SEALER, committee_id=east, resident_id=woman, field="mobile",
                     value=WOMAN_MOBILE, source=Source.staff(clerk.id or 0), now=NOW)  # fmt: skip
    building = _place(database, east, "3栋")
    _live(database, woman, building, "2", "301")
    _live(database, man, building, "2", "301")
    _live(database, boy, _place(database, east, "5栋"), "1", "101")
    _tag(database, woman, "party_member")
    _tag(database, boy, "only_child")
    return Registry(TestClient(app), app, token_for(database, clerk), woman, man, boy, building,
                    household_id, east)  # fmt: skip


def _names(registry: Registry, **params: object) -> list[str]:
    answer = registry.client.get("/api/v1/residents", headers=registry.clerk, params=params)
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def test_staff_search_by_name_building_tag_age_and_exact_numbers(registry: Registry) -> None:
    assert _names(registry) == ["张秀英", "王建国", "张小明"]
    assert _names(registry, name="张") == ["张秀英", "张小明"]
    assert _names(registry, name="秀英") == ["张秀英"]
    assert _names(registry, name="%") == []  # a wildcard is a character, not "anything"
    assert _names(registry, place_id=registry.building) == ["张秀英", "王建国"]
    assert _names(registry, place_id=registry.building, unit="2", room="301") == [
        "张秀英",
        "王建国",
    ]
    assert _names(registry, room="101") == ["张小明"]
    assert _names(registry, tag="party_member") == ["张秀英"]
    assert _names(registry, tag="subsistence") == []
    # 张秀英 born 1955-11-08 is 71, 王建国 born 1956-03-15 is 70, 张小明 born 2010-06-01 is 16.
    assert _names(registry, min_age=70) == ["张秀英", "王建国"]
    assert _names(registry, min_age=71) == ["张秀英"]
    assert _names(registry, min_age=60, max_age=70) == ["王建国"]
    assert _names(registry, max_age=16) == ["张小明"]
    assert _names(registry, max_age=15) == []
    # Exact numbers, found by their hash as staff type them (spaces, dashes, a lower-case x).
    assert _names(registry, id_card=f" {BOY[:6]} {BOY[6:]} ") == ["张小明"]
    assert _names(registry, id_card=BOY[:-1]) == []  # a part of a number finds nobody
    assert _names(registry, mobile="139-8765-4321") == ["王建国"]
    assert _names(registry, mobile="1398765432") == []
    assert _names(registry, name="张", min_age=18) == ["张秀英"]
    typo = registry.client.get("/api/v1/residents?nmae=张", headers=registry.clerk)
    assert (typo.status_code, typo.json()["detail"][0]["field"]) == (422, "nmae")
    # A filter given twice is refused, not narrowed to its last value.
    for path in ("/api/v1/residents?name=张&name=王", "/api/v1/households?number=H1&number=H2"):
        twice = registry.client.get(path, headers=registry.clerk)
        assert twice.status_code == 422, path
        assert twice.json()["detail"][0]["reason"] == "given more than once"


def test_a_search_matching_more_than_it_counts_says_more(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "COUNT_UP_TO", 2)
    wide = registry.client.get("/api/v1/residents", headers=registry.clerk).json()
    assert (wide["total"], wide["more"], len(wide["items"])) == (2, True, 3)
    narrow = registry.client.get("/api/v1/residents", headers=registry.clerk,
                                 params={"name": "张"}).json()  # fmt: skip
    assert (narrow["total"], narrow["more"]) == (2, False)


def test_lists_and_details_show_numbers_masked(registry: Registry) -> None:
    client = registry.client
    page = client.get("/api/v1/residents", headers=registry.clerk, params={"name": "秀英"})
    woman_id_card = WOMAN
    assert woman_id_card not in page.text and WOMAN_MOBILE not in page.text
    item = page.json()["items"][0]
    assert item["id_card"] == woman_id_card[:6] + "********" + woman_id_card[-4:]
    assert item["mobile"] == "138****5678"
    assert (item["gender"], item["gender_name"], item["age"]) == ("female", "女", 71)
    assert [t["name"] for t in item["tags"]] == ["党员"]
    assert [(h["building"], h["unit"], h["room"]) for h in item["homes"]] == [("3栋", "2", "301")]

    detail = client.get(f"/api/v1/residents/{registry.woman}", headers=registry.clerk)
    assert detail.status_code == 200
    for number in (woman_id_card, WOMAN_MOBILE, "83456789", "13700001111"):
        assert number not in detail.text
    shown = detail.json()
    assert shown["landline"] == "020-****6789" and shown["notes"] == "女儿电话 137****1111"
    assert (shown["relation_to_head_name"], shown["household"]["number"]) == ("户主", "HH-0001")
    assert shown["birth_date"] == "1955-11-08"
    history = [(c["field_name"], c["source_name"], c["new"]) for c in shown["history"]]
    assert ("手机", "导入", "138****5678") in history
    assert ("手机", "工作人员", "139****2222") in history
    assert all(c["at"].startswith("2026-11-30") for c in shown["history"])
    imported = next(c for c in shown["history"] if c["field"] == "name")
    assert imported["source_detail"] == "2025年人口普查.xlsx:7"


def test_households_list_their_members_masked(registry: Registry) -> None:
    client = registry.client
    page = client.get("/api/v1/households", headers=registry.clerk).json()
    assert [h["number"] for h in page["items"]] == ["HH-0001"]
    one = client.get(f"/api/v1/households/{registry.household}", headers=registry.clerk)
    members = one.json()["members"]
    assert [(m["name"], m["relation_to_head_name"]) for m in members] == [
        ("张秀英", "户主"), ("王建国", "配偶")]  # fmt: skip
    assert [m["mobile"] for m in members] == ["138****5678", "139****4321"]
    assert WOMAN_MOBILE not in one.text and MAN_MOBILE not in one.text


def _reveals(database: Engine) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == "resident.reveal")
        return list(session.exec(query).all())


def test_a_reveal_needs_a_reason_and_is_audited_without_the_value(
    database: Engine, registry: Registry
) -> None:
    client, url = registry.client, f"/api/v1/residents/{registry.man}/reveal"
    for body in ({"field": "mobile"}, {"field": "mobile", "why": "   "}):
        refused = client.post(url, headers=registry.clerk, json=body)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["field"] == "why"
    assert _reveals(database) == []
    why = "核对高龄补贴 回电 13800001111"
    shown = client.post(url, headers=registry.clerk, json={"field": "mobile", "why": why})
    assert shown.status_code == 200
    assert shown.json() == {"resident_id": registry.man, "field": "mobile", "value": MAN_MOBILE}
    assert shown.headers["cache-control"] == "no-store"
    [entry] = _reveals(database)
    assert (entry.actor, entry.object_type, entry.object_id) == ("clerk", "resident",
                                                                 str(registry.man))  # fmt: skip
    assert entry.after == {"field": "mobile", "why": "核对高龄补贴 回电 138****1111"}
    assert MAN_MOBILE not in str(entry.before) + str(entry.after)
    # The sub-district's admin may reveal too.
    admin = token_for(database, create_staff(database, "admin", role="subdistrict_admin",
                                             committee=None))  # fmt: skip
    card = client.post(url, headers=admin, json={"field": "id_card", "why": "办理证明"})
    assert card.json()["value"] == MAN
    assert len(_reveals(database)) == 2


def test_grid_workers_cannot_reveal_and_other_committees_find_nothing(
    database: Engine, registry: Registry
) -> None:
    client, why = registry.client, {"field": "mobile", "why": "上门走访"}
    worker = token_for(database, create_staff(database, "grid", role="grid_worker", committee=EAST))
    assert client.get(f"/api/v1/residents/{registry.man}", headers=worker).status_code == 200
    refused = client.post(f"/api/v1/residents/{registry.man}/reveal", headers=worker, json=why)
    assert refused.status_code == 403 and MAN_MOBILE not in refused.text
    west = token_for(database, create_staff(database, "west1", committee=WEST))
    assert client.get("/api/v1/residents", headers=west).json()["total"] == 0
    assert client.get("/api/v1/residents", headers=west,
                      params={"mobile": MAN_MOBILE}).json()["items"] == []  # fmt: skip
    for path in (f"/api/v1/residents/{registry.man}", f"/api/v1/households/{registry.household}"):
        assert client.get(path, headers=west).status_code == 404
    stranger = client.post(f"/api/v1/residents/{registry.man}/reveal", headers=west, json=why)
    assert stranger.status_code == 404 and MAN_MOBILE not in stranger.text
    assert _reveals(database) == []


def test_a_page_of_fifty_residents_costs_as_many_queries_as_a_page_of_five(
    database: Engine, registry: Registry
) -> None:
    def queries_for_a_page() -> int:
        with counting(database) as seen:
            answer = registry.client.get("/api/v1/residents", headers=registry.clerk,
                                         params={"per_page": 50})  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert all(item["tags"] and item["homes"] for item in answer.json()["items"])
        return len(seen)

    def more(numbers: range) -> None:
        for n in numbers:
            born = date(1950, 1, 1).replace(day=1 + n % 28).strftime("%Y%m%d")
            person = _add(database, registry.committee_id, name=f"居民{n}",
                          id_card=valid_id(f"440106{born}{n:03d}"),
                          mobile=f"137{n:08d}")  # fmt: skip
            _live(database, person, registry.building, "1", str(n))
            _tag(database, person, "living_alone")

    _tag(database, registry.man, "living_alone")
    queries_for_a_page()  # the token's first use is written down; later ones are not
    more(range(1, 3))  # 5 residents
    five = queries_for_a_page()
    more(range(3, 48))  # 50 residents
    fifty = queries_for_a_page()
    assert fifty == five
