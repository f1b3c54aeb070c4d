"""store/binding/registrations.py: someone the registry does not know registers from WeChat;
staff accept (a resident, their home and their binding are created) or reject with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.binding import bindings, registrations
from store.binding.models import Registration
from store.db import unit_of_work
from store.errors import Refused
from store.registry.models import Dwelling, Residence, Resident, ResidentChange
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER
from tests.resident_helpers import NOW, Registry
from tests.store.binding.conftest import as_staff

MOBILE = "13700001111"


def _register(registry: Registry, openid: str = "o-new", *, place: int | None = None,
              room: str = "502", name: str = "刘桂兰",
              address: str = "3栋2单元502") -> Registration:  # fmt: skip
    with unit_of_work(registry.database) as session:
        return registrations.register(
            session, SEALER, openid=openid, name=name, mobile=MOBILE, address=address,
            place_id=place, unit="2", room=room, now=NOW,
        )  # fmt: skip


def _accept(registry: Registry, who: StaffUser, registration_id: int | None) -> Registration:
    with as_staff(registry.database, who) as (session, scope, actor):
        return registrations.accept(session, SEALER, registration_id=registration_id or 0,
                                    actor=actor, now=NOW, scope=scope)  # fmt: skip


def _reject(registry: Registry, who: StaffUser, registration_id: int | None,
            reason: str) -> Registration:  # fmt: skip
    with as_staff(registry.database, who) as (session, scope, actor):
        return registrations.reject(session, registration_id=registration_id or 0, reason=reason,
                                    actor=actor, now=NOW, scope=scope)  # fmt: skip


def _actions(database: Engine) -> list[str]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))))


def test_a_registration_waits_for_the_committee_of_its_building(registry: Registry) -> None:
    waiting = _register(registry, place=registry.building)
    assert (waiting.status, waiting.committee_id) == ("pending", registry.committee_id)
    assert SEALER.open(waiting.mobile_sealed) == MOBILE and MOBILE not in waiting.mobile_sealed
    with as_staff(registry.database, registry.clerk) as (session, scope, _):
        assert [r.id for r in registrations.pending(session, scope)] == [waiting.id]
    with as_staff(registry.database, registry.stranger) as (session, scope, _):
        assert registrations.pending(session, scope) == []
    # Registering again while waiting changes the one registration rather than adding one.
    again = _register(registry, place=registry.building, room="503")
    assert again.id == waiting.id and again.room == "503"


def test_a_number_typed_into_the_address_is_kept_only_masked(registry: Registry) -> None:
    waiting = _register(registry, address="3栋2单元502 找我女儿 13912345678")
    assert waiting.address == "3栋2单元502 找我女儿 139****5678"
    with Session(registry.database) as session:
        stored = session.get(Registration, waiting.id)
        assert stored is not None and "13912345678" not in stored.address


def test_a_bad_mobile_is_refused(registry: Registry) -> None:
    with unit_of_work(registry.database) as session, pytest.raises(Refused) as refused:
        registrations.register(session, SEALER, openid="o-new", name="刘桂兰", mobile="12345",
                               address="", place_id=None, unit="", room="", now=NOW)  # fmt: skip
    assert refused.value.code == "mobile_format"


def test_accepting_creates_the_resident_their_home_and_their_binding(
    registry: Registry,
) -> None:
    waiting = _register(registry, place=registry.building)
    accepted = _accept(registry, registry.clerk, waiting.id)
    assert (accepted.status, accepted.decided_by) == ("accepted", registry.clerk.id)
    with Session(registry.database) as session:
        person = session.get(Resident, accepted.resident_id)
        assert person is not None and person.name == "刘桂兰"
        assert person.committee_id == registry.committee_id
        assert SEALER.open(person.mobile_sealed or "") == MOBILE
        sources = {(c.field, c.source_kind, c.source_detail) for c in session.exec(
            select(ResidentChange).where(ResidentChange.resident_id == person.id))}  # fmt: skip
        assert sources == {("name", "resident", "wechat"), ("mobile", "resident", "wechat")}
        [home] = session.exec(select(Residence).where(Residence.resident_id == person.id))
        dwelling = session.get(Dwelling, home.dwelling_id)
        assert dwelling is not None
        assert (dwelling.place_id, dwelling.unit, dwelling.room) == (registry.building, "2", "502")
        people = bindings.people_of(session, "o-new")
    assert [(p.resident_id, p.kind) for p in people] == [(accepted.resident_id, "self")]
    assert _actions(registry.database)[-1] == "registration.accept"
    with pytest.raises(Refused) as twice:
        _accept(registry, registry.clerk, waiting.id)
    assert (twice.value.code, twice.value.conflict) == ("not_pending", True)


def test_a_registration_without_a_building_waits_for_the_admin(
    registry: Registry, admin: StaffUser
) -> None:
    waiting = _register(registry)  # two committees, no building: nobody's yet
    assert waiting.committee_id is None
    with pytest.raises(Refused) as hidden:
        _accept(registry, registry.clerk, waiting.id)
    assert hidden.value.code == "registration_unknown"
    with pytest.raises(Refused) as whose:
        _accept(registry, admin, waiting.id)
    assert whose.value.code == "committee_unknown"
    rejected = _reject(registry, admin, waiting.id, "请先到居委会登记住址")
    assert (rejected.status, rejected.reason) == ("rejected", "请先到居委会登记住址")


def test_a_rejection_needs_a_reason_and_is_audited(registry: Registry) -> None:
    waiting = _register(registry, place=registry.building)
    with pytest.raises(Refused) as bare:
        _reject(registry, registry.clerk, waiting.id, " ")
    assert bare.value.code == "reason_missing"
    rejected = _reject(registry, registry.clerk, waiting.id, "本小区没有这个房号")
    assert (rejected.status, rejected.reason, rejected.resident_id) == (
        "rejected", "本小区没有这个房号", None)  # fmt: skip
    assert _actions(registry.database)[-1] == "registration.reject"
    with Session(registry.database) as session:
        assert bindings.people_of(session, "o-new") == []
        assert session.exec(select(Resident).where(Resident.name == "刘桂兰")).first() is None
