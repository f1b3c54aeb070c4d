"""Visits at the desk and around them: the day's list, attended (and completed) or not come,
the day-before reminder with what to bring, and no-shows once the day is over."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.service_checklist import ServiceCatalogue
from config.service_content import Document
from store.binding.models import ResidentBinding
from store.db import unit_of_work
from store.errors import Refused
from store.outbox.models import OutboxMessage
from store.reviews import appointments, records
from store.reviews.models import (
    BOOKED,
    COMPLETED,
    IN_PERSON,
    PLANNER,
    REMINDED,
    AppointmentSlot,
    ReviewOptOut,
    ReviewRecord,
)
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry, StaffUser
from store.staff.scope import Scope
from tests.chat import WORDS, Clock
from tests.store.reviews.test_appointments import (
    CFG,
    MONDAY,
    THU,
    TZ,
    WED,
    Desk,
    at,
    book,
    new_desk,
    state_of,
    visits_of,
)

LONGEVITY = "longevity_confirmation"
REVIEWS = replace(WORDS.reviews, words=WORDS.reviews.words.model_copy(update={"appointments": CFG}))
LABELS = WORDS.reviews.words.labels


def services_with_documents() -> ServiceCatalogue:
    """The service catalogue with the committee's documents for 独生子女年审 filled in."""
    shipped = WORDS.services
    review = shipped.by_key["family_planning_review"]
    filled = review.model_copy(update={
        "documents": (
            Document(key="id_card", name="身份证", form="original", source="s16"),
            Document(key="hukou", name="户口本", source="s16"),
        ),
        "committee_fill": ("where", "when", "online"),
    })  # fmt: skip
    return ServiceCatalogue.of(
        shipped.words, tuple(filled if s.key == review.key else s for s in shipped.services)
    )


@pytest.fixture
def desk(database: Engine) -> Desk:
    """东风 and 西湖, each with a clerk; no records yet."""
    return new_desk(database)


@contextmanager
def as_staff(desk: Desk, who: StaffUser) -> Iterator[tuple[Session, Scope, audit.Actor]]:
    """One transaction as a member of staff."""
    with unit_of_work(desk.database) as session:
        yield session, scopes.of(session, who), audit.Actor.of(who)


def bind(desk: Desk, openid: str, record_id: int, *, kind: str = "self") -> None:
    """An active binding of a WeChat user to the record's resident."""
    with unit_of_work(desk.database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        session.add(ResidentBinding(openid=openid, resident_id=record.resident_id, kind=kind,
                                    relation="child" if kind == "proxy" else None,
                                    status="active", requested_at=MONDAY,
                                    decided_at=MONDAY))  # fmt: skip


def reminders(desk: Desk) -> list[OutboxMessage]:
    """The visit reminders in the outbox, oldest first."""
    with Session(desk.database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "visit_reminder")
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def audited(desk: Desk) -> list[str]:
    """The audit log's actions, oldest first."""
    with Session(desk.database) as session:
        return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))))


def taken(desk: Desk, starts: object) -> int:
    """Places taken at a time."""
    with Session(desk.database) as session:
        query = select(AppointmentSlot.taken).where(AppointmentSlot.starts_at == starts)
        return session.exec(query).one()


def test_the_day_list_shows_the_committees_visits_by_time(desk: Desk) -> None:
    late, early, gone = (desk.record(n) for n in ("王建国", "张秀英", "李桂芳"))
    book(desk, late, at(WED, 9, 30))
    book(desk, early, at(WED, 9))
    book(desk, gone, at(WED, 14))
    book(desk, desk.record("陈志强"), at(THU, 9))  # another day
    with unit_of_work(desk.database) as session:
        record = session.get(ReviewRecord, gone)
        assert record is not None
        appointments.cancel(session, record, now=MONDAY)
    west = desk.record("周海燕", committee_id=desk.stranger.committee_id)
    book(desk, west, at(WED, 9))
    with as_staff(desk, desk.clerk) as (session, scope, _):
        rows = appointments.day_list(session, scope, WED, tz=TZ)
        seen = [(r.slot.starts_at.astimezone(TZ), r.name, r.record.programme,
                 r.record.state, r.appointment.state) for r in rows]  # fmt: skip
    assert seen == [
        (at(WED, 9), "张*英", "family_planning_review", BOOKED, "booked"),
        (at(WED, 9, 30), "王*国", "family_planning_review", BOOKED, "booked"),
    ]
    with as_staff(desk, desk.stranger) as (session, scope, _):
        assert [r.name for r in appointments.day_list(session, scope, WED, tz=TZ)] == ["周*燕"]


def test_attended_and_completed_at_the_desk(desk: Desk) -> None:
    record = desk.record("张秀英")
    visit = book(desk, record, at(WED, 9))
    assert visit is not None and visit.id is not None
    with as_staff(desk, desk.stranger) as (session, scope, actor):  # 西湖's clerk
        with pytest.raises(Refused) as refused:
            appointments.attend(session, scope, visit.id, complete=True, actor=actor, now=MONDAY)
        assert refused.value.code == "appointment_unknown"
    done_at = at(WED, 9, 10)
    with as_staff(desk, desk.clerk) as (session, scope, actor):
        marked = appointments.attend(session, scope, visit.id, complete=True, actor=actor,
                                     now=done_at)  # fmt: skip
        assert marked.state == "attended" and marked.marked_by == desk.clerk.id
    with Session(desk.database) as session:
        done = session.get(ReviewRecord, record)
        assert done is not None
        assert (done.state, done.completed_via, done.completed_at) == (
            COMPLETED, IN_PERSON, done_at)  # fmt: skip
    assert audited(desk)[-2:] == ["review.complete", "visit.attend"]
    with as_staff(desk, desk.clerk) as (session, scope, actor):  # a second click
        with pytest.raises(Refused) as refused:
            appointments.attend(session, scope, visit.id, complete=True, actor=actor, now=done_at)
        assert refused.value.code == "visit_state"


def test_attended_but_not_done_is_still_to_be_done(desk: Desk) -> None:
    record = desk.record("张秀英")
    visit = book(desk, record, at(WED, 9))
    assert visit is not None and visit.id is not None
    with as_staff(desk, desk.clerk) as (session, scope, actor):
        appointments.attend(session, scope, visit.id, complete=False, actor=actor, now=MONDAY)
    assert state_of(desk, record) == REMINDED
    assert visits_of(desk, record) == [("attended", at(WED, 9))]
    assert book(desk, record, at(THU, 9)) is not None  # comes again with what was missing


def test_a_no_show_marked_by_staff_keeps_the_place(desk: Desk) -> None:
    record = desk.record("张秀英")
    visit = book(desk, record, at(WED, 9))
    assert visit is not None and visit.id is not None
    with as_staff(desk, desk.clerk) as (session, scope, actor):
        appointments.no_show(session, scope, visit.id, actor=actor, now=at(WED, 10))
    assert state_of(desk, record) == REMINDED
    assert visits_of(desk, record) == [("no_show", at(WED, 9))]
    assert taken(desk, at(WED, 9)) == 1
    assert audited(desk)[-2:] == ["review.unbook", "visit.no_show"]
    # Came after all, late: staff correct it.
    with as_staff(desk, desk.clerk) as (session, scope, actor):
        appointments.attend(session, scope, visit.id, complete=True, actor=actor,
                            now=at(WED, 11))  # fmt: skip
    assert state_of(desk, record) == COMPLETED


def test_no_shows_are_marked_once_the_day_is_over(desk: Desk) -> None:
    missed, tomorrow = desk.record("张秀英"), desk.record("王建国")
    book(desk, missed, at(WED, 9))
    book(desk, tomorrow, at(THU, 9))
    with unit_of_work(desk.database) as session:  # Wednesday evening: not yet
        assert appointments.mark_no_shows(session, now=at(WED, 22), tz=TZ) == 0
    with unit_of_work(desk.database) as session:  # just after midnight
        assert appointments.mark_no_shows(session, now=at(THU, 0, 30), tz=TZ) == 1
    with unit_of_work(desk.database) as session:
        assert appointments.mark_no_shows(session, now=at(THU, 1), tz=TZ) == 0
    assert visits_of(desk, missed) == [("no_show", at(WED, 9))]
    assert visits_of(desk, tomorrow) == [("booked", at(THU, 9))]
    assert state_of(desk, missed) == REMINDED and state_of(desk, tomorrow) == BOOKED
    with Session(desk.database) as session:
        last = records.history(session, missed)[-1]
    assert (last.from_state, last.to_state, last.actor_kind) == (BOOKED, REMINDED, PLANNER)
    assert taken(desk, at(WED, 9)) == 1


def test_the_day_before_reminder_goes_once_after_eve_hour_with_the_documents(
    desk: Desk,
) -> None:
    herself, by_daughter, by_clerk, stopped, thursday = (
        desk.record("张秀英"), desk.record("王建国", programme=LONGEVITY), desk.record("李桂芳"),
        desk.record("陈志强"), desk.record("赵丽华"),
    )  # fmt: skip
    bind(desk, "o_zhang_xiuying", herself)
    bind(desk, "o_wang_daughter", by_daughter, kind="proxy")
    bind(desk, "o_li_guifang", by_clerk)
    bind(desk, "o_chen_zhiqiang", stopped)
    bind(desk, "o_zhao_lihua", thursday)
    book(desk, herself, at(WED, 9), openid="o_zhang_xiuying")
    book(desk, by_daughter, at(WED, 9, 30), openid="o_wang_daughter")
    book(desk, by_clerk, at(WED, 14))  # booked by staff on the phone: her own WeChat hears
    book(desk, stopped, at(WED, 14), openid="o_chen_zhiqiang")
    book(desk, thursday, at(THU, 9), openid="o_zhao_lihua")
    with unit_of_work(desk.database) as session:
        session.add(ReviewOptOut(openid="o_chen_zhiqiang", programme="*", opted_out_at=MONDAY))
    services = services_with_documents()
    clock = Clock()
    clock.now = at(date(2026, 12, 1), 15, 59)  # Tuesday, before eve_hour (16)

    def remind() -> int:
        with unit_of_work(desk.database) as session:
            return appointments.remind_visits(session, REVIEWS, services, now=clock(), tz=TZ)

    assert remind() == 0 and reminders(desk) == []
    clock.advance(minutes=2)
    assert remind() == 3
    clock.advance(hours=3)
    assert remind() == 0  # once
    sent = {m.recipient: m for m in reminders(desk)}
    assert set(sent) == {"o_zhang_xiuying", "o_wang_daughter", "o_li_guifang"}
    letters = WORDS.reviews.words.letters
    names = {p.key: p.name for p in WORDS.reviews.programmes}
    longevity_note = services.by_key["longevity"].documents_note.text.strip()
    assert sent["o_zhang_xiuying"].payload["text"] == letters.eve.format(
        name=names["family_planning_review"], when=LABELS.of_visit(at(WED, 9)),
        documents="1. 身份证（原件）\n2. 户口本",
    )  # fmt: skip
    assert sent["o_wang_daughter"].payload["text"] == letters.eve.format(
        name=names[LONGEVITY], when=LABELS.of_visit(at(WED, 9, 30)), documents=longevity_note
    )
    assert "12月2日（周三）下午2:00" in sent["o_li_guifang"].payload["text"]
    message = sent["o_zhang_xiuying"]
    assert message.payload["data"] == {"text": message.payload["text"]}
    assert message.idempotency_key.startswith("visit:") and message.idempotency_key.endswith(":eve")
    assert message.committee_id == desk.east
    # Thursday's visit is reminded on Wednesday evening.
    clock.now = at(WED, 16, 30)
    assert remind() == 1 and reminders(desk)[-1].recipient == "o_zhao_lihua"


def test_the_reminder_says_when_the_documents_are_not_filled_in_yet(desk: Desk) -> None:
    record = desk.record("张秀英")
    bind(desk, "o_zhang_xiuying", record)
    book(desk, record, at(WED, 9), openid="o_zhang_xiuying")
    with unit_of_work(desk.database) as session:
        sent = appointments.remind_visits(session, REVIEWS, WORDS.services,
                                          now=at(WED, 0) - timedelta(hours=4), tz=TZ)  # fmt: skip
    assert sent == 1
    [message] = reminders(desk)
    assert WORDS.services.words.not_filled in message.payload["text"]


def test_staff_booking_moving_and_cancelling_on_the_phone_are_audited(desk: Desk) -> None:
    record = desk.record("张秀英")
    for starts in (at(WED, 9), at(THU, 9)):
        with as_staff(desk, desk.clerk) as (session, scope, actor):
            held = records.visible(session, scope, record)
            assert held is not None
            visit = appointments.book(session, held, starts, CFG, now=MONDAY, tz=TZ, actor=actor)
            assert visit is not None and visit.openid is None
    with as_staff(desk, desk.clerk) as (session, scope, actor):
        held = records.visible(session, scope, record)
        assert held is not None and appointments.cancel(session, held, now=MONDAY, actor=actor)
    assert audited(desk)[-3:] == ["review.book", "visit.move", "review.unbook"]
    assert visits_of(desk, record) == [("cancelled", at(WED, 9)), ("cancelled", at(THU, 9))]
