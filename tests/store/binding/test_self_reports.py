"""store/binding/self_reports.py: a resident changes their mobile, home or residence status in
WeChat; a field that needs approval waits for staff, who apply it as the resident's own report
or reject it with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.binding import self_reports
from store.binding.models import SelfReport
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
    assert NEW_MOBILE not in str(entry.after)
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
    with pytest.raises(Refused) as unknown:  # a building of no committee of hers
        _submit(registry, "dwelling", {"place_id": 9999, "room": "1"}, approval=False)
    assert unknown.value.code == "place_unknown"


def test_confirming_dates_the_details(registry: Registry) -> None:
    with unit_of_work(registry.database) as session:
        self_reports.confirm(session, resident_id=registry.man, now=LATER)
    assert _woman(registry.database, registry.man).last_confirmed_at == LATER
