"""Applications made in chat, as staff work them: numbered per day, what the resident filled in
sealed (lists see it masked, a reveal is audited), moved submitted → accepted → ready →
collected or rejected with a reason — each move audited, on the timeline and pushed to the
resident once — and refused when it does not fit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.services import actions
from bot.services.catalogue import service_name
from store.errors import Refused
from store.outbox.models import OutboxMessage
from store.services import applications
from store.services.models import ServiceApplication
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER, WORDS
from tests.resident_helpers import NOW, Registry
from tests.store.services.conftest import FIELDS, MOBILE, as_staff, submit


def _row(database: Engine, reference: str) -> ServiceApplication:
    with Session(database) as session:
        query = select(ServiceApplication).where(ServiceApplication.reference == reference)
        return session.exec(query).one()


def _audit(database: Engine, reference: str) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.object_id == reference)
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def _pushes(database: Engine) -> list[OutboxMessage]:
    with Session(database) as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list(session.exec(query))


def _move(registry: Registry, who: StaffUser, reference: str, status: str, note: str = "") -> None:
    with as_staff(registry.database, who) as (session, scope, actor):
        found = applications.get_visible(session, scope, reference, lock=True)
        assert found is not None
        actions.move(session, WORDS, found, status, note=note, actor=actor, now=NOW)


def test_numbers_run_per_day_and_the_stored_row_holds_no_plaintext(registry: Registry) -> None:
    first = submit(registry.database, registry.committee_id)
    second = submit(registry.database, registry.committee_id)
    assert (first, second) == ("SQ-20261130-0001", "SQ-20261130-0002")
    stored = _row(registry.database, first)
    assert stored.status == "submitted" and stored.committee_id == registry.committee_id
    assert stored.fields_shown == [["name", "李*芳"], ["address", "3栋2单***"],
                                   ["purpose", "孩子上学"], ["mobile", "138****3333"]]  # fmt: skip
    assert [tuple(pair) for pair in SEALER.open_json(stored.fields_sealed)] == list(FIELDS)
    with registry.database.connect() as connection:
        raw = connection.execute(text("SELECT * FROM service_application")).all()
    assert MOBILE not in repr(raw) and "李桂芳" not in repr(raw)


def test_staff_move_it_along_each_step_audited_timed_and_told_once(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    _move(registry, registry.clerk, reference, "accepted")
    _move(registry, registry.clerk, reference, "ready", note="证明已盖章")
    _move(registry, registry.clerk, reference, "collected")
    stored = _row(registry.database, reference)
    assert stored.status == "collected" and stored.assignee_id == registry.clerk.id
    entries = _audit(registry.database, reference)
    assert [e.action for e in entries] == [
        "application.accepted", "application.ready", "application.collected"]  # fmt: skip
    assert [(e.before or {}).get("status") for e in entries] == ["submitted", "accepted", "ready"]
    assert [(e.after or {}).get("status") for e in entries] == ["accepted", "ready", "collected"]
    assert all(e.actor == "clerk" and e.committee_id == registry.committee_id for e in entries)
    assert all(MOBILE not in repr(e.before) + repr(e.after) for e in entries)
    with Session(registry.database) as session:
        events = applications.timeline(session, stored.id or 0)
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (None, "submitted", WORDS.reports.staff.resident), ("submitted", "accepted", "clerk"),
        ("accepted", "ready", "clerk"), ("ready", "collected", "clerk")]  # fmt: skip
    pushes = _pushes(registry.database)
    assert [p.idempotency_key for p in pushes] == [
        f"application:{reference}:accepted", f"application:{reference}:ready"]  # fmt: skip
    assert all(p.recipient == "o_li_guifang_01" and p.kind == "status_update" for p in pushes)
    assert pushes[1].payload["text"].startswith(f"您的申请 {reference}")
    assert "可以来取了" in pushes[1].payload["text"] and "证明已盖章" in pushes[1].payload["text"]
    assert pushes[1].committee_id == registry.committee_id


def test_a_rejection_needs_a_reason_and_the_resident_hears_it(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    with pytest.raises(Refused) as refused:
        _move(registry, registry.clerk, reference, "rejected", note="  ")
    assert refused.value.field == "note" and not refused.value.conflict
    assert _row(registry.database, reference).status == "submitted"
    _move(registry, registry.clerk, reference, "rejected", note="不在本社区居住。")
    assert _row(registry.database, reference).note == "不在本社区居住。"
    [push] = _pushes(registry.database)
    assert push.idempotency_key == f"application:{reference}:rejected"
    service = service_name(WORDS, "residence_certificate")
    assert push.payload["text"] == WORDS.applications.pushes.rejected.format(
        reference=reference, service=service, reason="不在本社区居住"
    )


@pytest.mark.parametrize(
    ("steps", "refused_to"),
    [((), "collected"), ((), "ready"), (("accepted", "ready", "collected"), "rejected"),
     (("rejected",), "accepted"), (("accepted",), "accepted")],
)  # fmt: skip
def test_a_move_that_does_not_fit_is_refused_and_changes_nothing(
    registry: Registry, steps: tuple[str, ...], refused_to: str
) -> None:
    reference = submit(registry.database, registry.committee_id)
    for step in steps:
        _move(registry, registry.clerk, reference, step, note="原因")
    before = len(_audit(registry.database, reference)), len(_pushes(registry.database))
    with pytest.raises(Refused) as refused:
        _move(registry, registry.clerk, reference, refused_to, note="原因")
    assert refused.value.conflict and refused.value.field == "status"
    assert (len(_audit(registry.database, reference)), len(_pushes(registry.database))) == before


def test_the_queue_puts_unanswered_first_and_keeps_to_the_scope(
    registry: Registry, admin: StaffUser
) -> None:
    older = submit(registry.database, registry.committee_id)
    newer = submit(registry.database, registry.committee_id)
    _move(registry, registry.clerk, older, "accepted")
    nobodys = submit(registry.database, None, openid="o_unbound_02")
    with as_staff(registry.database, registry.clerk) as (session, scope, _actor):
        rows, total = applications.queue(session, scope)
        assert [r.reference for r in rows] == [newer, older] and total == 2
        assert applications.get_visible(session, scope, nobodys) is None
    with as_staff(registry.database, registry.stranger) as (session, scope, _actor):
        assert applications.queue(session, scope) == ([], 0)
        assert applications.get_visible(session, scope, older) is None
    with as_staff(registry.database, admin) as (session, scope, _actor):
        rows, total = applications.queue(session, scope, statuses=("submitted",))
        assert {r.reference for r in rows} == {newer, nobodys} and total == 2


def test_a_reveal_is_audited_and_a_grid_worker_may_not(registry: Registry) -> None:
    reference = submit(registry.database, registry.committee_id)
    with as_staff(registry.database, registry.worker) as (session, scope, actor):
        found = applications.get_visible(session, scope, reference)
        assert found is not None and not applications.can_reveal(scope, found)
        with pytest.raises(Refused):
            applications.reveal(session, found, scope=scope, sealer=SEALER, actor=actor, now=NOW)
    with as_staff(registry.database, registry.clerk) as (session, scope, actor):
        found = applications.get_visible(session, scope, reference)
        assert found is not None
        shown = applications.reveal(session, found, scope=scope, sealer=SEALER, actor=actor,
                                    now=NOW + timedelta(minutes=5))  # fmt: skip
    assert shown == list(FIELDS)
    [entry] = _audit(registry.database, reference)
    assert entry.action == "application.reveal" and entry.actor == "clerk"
