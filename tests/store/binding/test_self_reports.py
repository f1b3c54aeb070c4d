"""store/binding/self_reports.py: a resident changes their mobile, home or residence status in
WeChat; a field that needs approval waits for staff, who apply it as the resident's own report
or reject it with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.binding import bindings, self_reports
from store.binding.models import ResidentBinding, SelfReport
from store.db import unit_of_work
from store.errors import Refused
from store.places.models import Place
from store.registry.models import Dwelling, Residence, Resident, ResidentChange
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER
from tests.resident_helpers import NOW, WOMAN_MOBILE, Registry
from tests.store.binding.conftest import as_staff

NEW_MOBILE = "13600002222"
LATER = NOW.replace(hour=5)


def _submit(registry: Registry, field: str, value: Any, *, approval: bool,
            by_proxy: bool = False, shown: str | None = None) -> SelfReport:  # fmt: skip
    with unit_of_work(registry.database) as session:
        return self_reports.submit(
            session, SEALER, openid="o-woman", resident_id=registry.woman, by_proxy=by_proxy,
            field=field, value=value, needs_approval=approval, now=LATER, shown=shown,
        )  # fmt: skip


def _woman(database: Engine, resident_id: int) -> Resident:
    with Session(database) as session:
        person = session.get(Resident, resident_id)
        assert person is not None
        return person


def _mobile(registry: Registry) -> str:
    return SEALER.open(_woman(registry.database, registry.woman).mobile_sealed or "")


def _changes(registry: Registry, field: str) -> list[tuple[str | None, str, str]]:
    with Session(registry.database) as session:
        query = select(ResidentChange).where(
            ResidentChange.resident_id == registry.woman, ResidentChange.field == field
        )
        rows = session.exec(query.order_by(col(ResidentChange.id)))  # fmt: skip
        return [(c.new, c.source_kind, c.source_detail) for c in rows]


def _history(registry: Registry, field: str) -> list[tuple[str | None, str | None, str, str]]:
    with Session(registry.database) as session:
        query = select(ResidentChange).where(
            ResidentChange.resident_id == registry.woman, ResidentChange.field == field
        )
        rows = session.exec(query.order_by(col(ResidentChange.id)))
        return [(c.old, c.new, c.source_kind, c.source_detail) for c in rows]


def _approve(registry: Registry, report_id: int | None) -> SelfReport:
    with as_staff(registry.database, registry.clerk) as (session, scope, actor):
        return self_reports.approve(session, SEALER, report_id=report_id or 0, actor=actor,
                                    now=LATER, scope=scope)  # fmt: skip


def _building(registry: Registry, name: str) -> int:
    with unit_of_work(registry.database) as session:
        place = Place(committee_id=registry.committee_id, kind="building", name=name)
        session.add(place)
        session.flush()
        return place.id or 0


def _audit(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_change_without_approval_is_applied_at_once(registry: Registry) -> None:
    report = _submit(registry, "mobile", f"{NEW_MOBILE[:3]} {NEW_MOBILE[3:]}", approval=False)
    assert (report.status, report.shown, report.channel) == ("applied", "136****2222", "wechat")
    assert NEW_MOBILE not in report.value_sealed
    assert _mobile(registry) == NEW_MOBILE
    assert _changes(registry, "mobile")[-1] == ("136****2222", "resident", "wechat")
    assert _woman(registry.database, registry.woman).last_confirmed_at == LATER
    with as_staff(registry.database, registry.clerk) as (session, scope, _):
        assert self_reports.pending(session, scope) == []


def test_a_change_needing_approval_waits_and_staff_apply_it(registry: Registry) -> None:
    report = _submit(registry, "mobile", NEW_MOBILE, approval=True)
    assert report.status == "pending" and _mobile(registry) == WOMAN_MOBILE
    with as_staff(registry.database, registry.stranger) as (session, scope, _):
        assert self_reports.pending(session, scope) == []
    with as_staff(registry.database, registry.clerk) as (session, scope, actor):
        assert [r.id for r in self_reports.pending(session, scope)] == [report.id]
        approved = self_reports.approve(session, SEALER, report_id=report.id or 0, actor=actor,
                                        now=LATER, scope=scope)  # fmt: skip
    assert (approved.status, approved.decided_by) == ("approved", registry.clerk.id)
    assert _mobile(registry) == NEW_MOBILE
    assert _changes(registry, "mobile")[-1] == ("136****2222", "resident", "wechat")
    assert _woman(registry.database, registry.woman).last_confirmed_at == LATER
    [entry] = _audit(registry.database, "self_report.approve")
    assert entry.actor_id == registry.clerk.id and entry.committee_id == registry.committee_id
    assert entry.after is not None and entry.after["value"] == "136****2222"
    assert entry.before == {"status": "pending", "value": "138****5678"}  # what it replaced
    assert NEW_MOBILE not in str(entry.after) and WOMAN_MOBILE not in str(entry.before)
    with as_staff(registry.database, registry.clerk) as (session, scope, actor), \
            pytest.raises(Refused) as twice:  # fmt: skip
        self_reports.reject(session, report_id=report.id or 0, reason="重复", actor=actor,
                            now=LATER, scope=scope)  # fmt: skip
    assert (twice.value.code, twice.value.conflict) == ("not_pending", True)


def test_a_rejected_change_keeps_the_registry_and_its_reason(registry: Registry) -> None:
    report = _submit(registry, "residence_status", "moved_out", approval=True,
                     by_proxy=True)  # fmt: skip
    reject = self_reports.reject

    def decide(who: StaffUser, reason: str) -> SelfReport:
        with as_staff(registry.database, who) as (session, scope, actor):
            return reject(session, report_id=report.id or 0, reason=reason, actor=actor,
                          now=LATER, scope=scope)  # fmt: skip

    with pytest.raises(Refused) as elsewhere:
        decide(registry.stranger, "不是本社区的")
    assert elsewhere.value.code == "self_report_unknown"
    with pytest.raises(Refused) as bare:
        decide(registry.clerk, "")
    assert bare.value.code == "reason_missing"
    rejected = decide(registry.clerk, "上周还见到她在家，请来居委会说明")
    assert (rejected.status, rejected.reason) == ("rejected", "上周还见到她在家，请来居委会说明")
    assert _woman(registry.database, registry.woman).residence_status == "resident"
    [entry] = _audit(registry.database, "self_report.reject")
    assert entry.after is not None and entry.after["reason"] == rejected.reason


def test_only_a_proxy_reports_a_death(registry: Registry) -> None:
    with pytest.raises(Refused) as own:
        _submit(registry, "residence_status", "deceased", approval=True)
    assert own.value.code == "proxy_only"
    report = _submit(registry, "residence_status", "deceased", approval=True, by_proxy=True,
                     shown="已故")  # fmt: skip
    assert (report.shown, report.by_proxy) == ("已故", True)


def test_a_move_within_the_committee_ends_the_old_home(registry: Registry) -> None:
    with unit_of_work(registry.database) as session:
        five = Place(committee_id=registry.committee_id, kind="building", name="5栋")
        session.add(five)
        session.flush()
        building = five.id or 0
    report = _submit(registry, "dwelling", {"place_id": building, "unit": "1", "room": "１０２"},
                     approval=False)  # fmt: skip
    assert (report.status, report.shown) == ("applied", "5栋 1单元 102")
    with Session(registry.database) as session:
        query = select(Residence, Dwelling).join(Dwelling, col(Dwelling.id) == col(
            Residence.dwelling_id)).where(Residence.resident_id == registry.woman)  # fmt: skip
        homes = [(d.place_id, d.room, r.role, r.moved_out) for r, d in session.exec(
            query.order_by(col(Residence.id)))]  # fmt: skip
    assert homes == [(registry.building, "301", "self", LATER.date()),
                     (building, "102", "self", None)]  # fmt: skip
    assert _history(registry, "dwelling") == [
        ("3栋 2单元 301", "5栋 1单元 102", "resident", "wechat")]  # fmt: skip
    with pytest.raises(Refused) as unknown:  # a building of no committee of hers
        _submit(registry, "dwelling", {"place_id": 9999, "room": "1"}, approval=False)
    assert unknown.value.code == "place_unknown"


def test_confirming_dates_the_details(registry: Registry) -> None:
    with unit_of_work(registry.database) as session:
        self_reports.confirm(session, resident_id=registry.man, now=LATER)
    assert _woman(registry.database, registry.man).last_confirmed_at == LATER


def test_a_newer_change_replaces_the_one_still_waiting(registry: Registry) -> None:
    older = _submit(registry, "mobile", "13600001111", approval=True)
    status = _submit(registry, "residence_status", "moved_out", approval=True, by_proxy=True)
    newer = _submit(registry, "mobile", NEW_MOBILE, approval=True)
    with Session(registry.database) as session:
        replaced = session.get(SelfReport, older.id)
        assert replaced is not None
        assert (replaced.status, replaced.decided_at) == ("replaced", LATER)
    with as_staff(registry.database, registry.clerk) as (session, scope, _):
        assert [r.id for r in self_reports.pending(session, scope)] == [status.id, newer.id]
    # The older number can never be approved over the newer one.
    with pytest.raises(Refused) as stale:
        _approve(registry, older.id)
    assert stale.value.code == "not_pending"
    _approve(registry, newer.id)
    assert _mobile(registry) == NEW_MOBILE
    # A change applied at once replaces one still waiting too.
    waiting = _submit(registry, "mobile", "13600003333", approval=True)
    _submit(registry, "mobile", "13600004444", approval=False)
    with pytest.raises(Refused):
        _approve(registry, waiting.id)
    assert _mobile(registry) == "13600004444"


def test_an_approved_move_is_kept_in_the_history_and_the_audit(registry: Registry) -> None:
    building = _building(registry, "5栋")
    report = _submit(registry, "dwelling", {"place_id": building, "unit": "", "room": "8"},
                     approval=True)  # fmt: skip
    assert _history(registry, "dwelling") == []
    _approve(registry, report.id)
    assert _history(registry, "dwelling") == [("3栋 2单元 301", "5栋 8", "resident", "wechat")]
    [entry] = _audit(registry.database, "self_report.approve")
    assert entry.before == {"status": "pending", "value": "3栋 2单元 301"}
    assert entry.after is not None and entry.after["value"] == "5栋 8"


def test_a_death_approved_ends_every_binding_of_the_resident(registry: Registry) -> None:
    db = registry.database
    with unit_of_work(db) as session:
        own = bindings.bind_self(session, SEALER, openid="o-woman", name="张秀英",
                                 proof=WOMAN_MOBILE, now=NOW, since=NOW, limit=5)  # fmt: skip
        son, _ = (
            bindings.request_proxy(session, SEALER, openid=openid, name="张秀英",
                                   proof=WOMAN_MOBILE, relation=relation, now=NOW, since=NOW,
                                   limit=5)
            for openid, relation in (("o-son", "child"), ("o-nephew", "other"))  # stays pending
        )  # fmt: skip
    with as_staff(db, registry.clerk) as (session, scope, actor):
        bindings.decide_proxy(session, binding_id=son.binding_id or 0, approve=True, reason="",
                              actor=actor, now=NOW, scope=scope)  # fmt: skip
    assert own.status == "bound"
    report = _submit(registry, "residence_status", "deceased", approval=True, by_proxy=True)
    with Session(db) as session:
        assert len(bindings.acting_for(session, registry.woman)) == 3  # not yet: staff check
    _approve(registry, report.id)
    with Session(db) as session:
        assert bindings.acting_for(session, registry.woman) == []
        for openid in ("o-woman", "o-son", "o-nephew"):
            assert bindings.people_of(session, openid) == []
            assert bindings.bindings_of(session, openid) == []
        ended = session.exec(select(ResidentBinding).where(
            ResidentBinding.resident_id == registry.woman))  # fmt: skip
        assert {(b.status, b.ended_at) for b in ended} == {("ended", LATER)}
