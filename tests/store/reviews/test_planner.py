"""The review planner, run by run: who gets a record and when, which reminder goes to whom, and
what a second run the same day, a birthday, a new tag, a move, an opt-out or a completion
change."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from config.review_content import ReviewCatalogue
from store.db import unit_of_work
from store.registry.models import Resident, ResidentTag
from store.reviews import opt_outs, records
from store.reviews.models import ReviewRecord, ReviewTransition
from store.staff import audit
from tests.chat import WORDS
from tests.store.reviews.conftest import (
    FAMILY,
    LONGEVITY,
    PERMIT,
    Town,
    bound,
    local,
    plan_at,
    reminders,
)
from tests.store.reviews.conftest import records as records_of

LETTERS, LABELS = WORDS.reviews.words.letters, WORDS.reviews.words.labels
OPENS_DAY, CLOSES_DAY = date(2026, 3, 1), date(2026, 6, 30)


def family_letter(reviews: ReviewCatalogue, letter: str) -> str:
    """A family-planning reminder as the resident reads it (closing 30 June 2026)."""
    return letter.format(name=reviews.by_key[FAMILY].name, how=LETTERS.how_both,
                         closes=LABELS.of_date(CLOSES_DAY))  # fmt: skip


def elder(town: Town, name: str = "王建国", **details: object) -> int:
    """A man of 66 with an only-child certificate, registered here."""
    values: dict[str, object] = {"gender": "male", "born": date(1960, 5, 1),
                                 "tags": {"only_child": None}}  # fmt: skip
    return town.person(name, **{**values, **details})


def transitions(database: Engine, record_id: int) -> list[tuple[str | None, str, str]]:
    with Session(database) as session:
        return [
            (t.from_state, t.to_state, t.actor_kind) for t in records.history(session, record_id)
        ]


def texts_to(database: Engine, openid: str) -> list[str]:
    return [m.payload["text"] for m in reminders(database) if m.recipient == openid]


def test_the_window_opening_creates_a_due_record_and_reminds_the_resident_once(
    town: Town, reviews: ReviewCatalogue
) -> None:
    man = elder(town)
    bound(town.database, "o_wang", man)
    assert plan_at(town.database, reviews, local(date(2026, 2, 28))).created == 0
    planned = plan_at(town.database, reviews, local(OPENS_DAY))
    assert (planned.created, planned.reminders, planned.reminded) == (1, 1, 1)
    (record,) = records_of(town.database, FAMILY)
    assert (record.cycle, record.opens_on, record.closes_on) == (2026, OPENS_DAY, CLOSES_DAY)
    assert (record.state, record.last_stage) == ("reminded", "opens")
    assert transitions(town.database, record.id or 0) == [
        (None, "due", "planner"), ("due", "reminded", "planner"),
    ]  # fmt: skip
    (message,) = reminders(town.database)
    assert message.idempotency_key == f"review:{record.id}:opens"
    assert message.payload == {"text": family_letter(reviews, LETTERS.opens),
                               "data": {"text": family_letter(reviews, LETTERS.opens)}}  # fmt: skip
    assert (message.committee_id, message.status, message.urgent) == (
        town.committee_id, "pending", False,
    )  # fmt: skip


def test_a_second_run_the_same_day_or_the_next_changes_nothing(
    town: Town, reviews: ReviewCatalogue
) -> None:
    bound(town.database, "o_wang", elder(town))
    plan_at(town.database, reviews, local(OPENS_DAY))
    for again in (local(OPENS_DAY, 8, 0), local(OPENS_DAY, 15), local(date(2026, 3, 2))):
        planned = plan_at(town.database, reviews, again)
        assert (planned.created, planned.reminders, planned.reminded) == (0, 0, 0)
    assert len(reminders(town.database)) == 1
    with Session(town.database) as session:
        assert session.exec(select(func.count()).select_from(ReviewTransition)).one() == 2


def test_who_is_eligible_is_decided_by_gender_age_on_the_closing_day_tag_and_status(
    town: Town, reviews: ReviewCatalogue
) -> None:
    with unit_of_work(town.database) as session:
        only = {"only_child": None}
        eligible = {
            town.add(session, "男满60", gender="male", born=date(1966, 6, 30), tags=only),
            town.add(session, "女满55", gender="female", born=date(1971, 6, 30), tags=only),
        }
        for name, details in (
            ("男差一天", {"gender": "male", "born": date(1966, 7, 1), "tags": only}),
            ("女差一天", {"gender": "female", "born": date(1971, 7, 1), "tags": only}),
            ("没有证", {"gender": "male", "born": date(1950, 1, 1)}),
            ("流动人口", {"gender": "male", "born": date(1950, 1, 1), "tags": only,
                          "status": "floating"}),
            ("已迁出", {"gender": "male", "born": date(1950, 1, 1), "tags": only,
                        "status": "moved_out"}),
            ("没有生日", {"gender": "male", "born": None, "tags": only}),
            ("没有性别", {"gender": None, "born": date(1950, 1, 1), "tags": only}),
        ):  # fmt: skip
            town.add(session, name, **details)  # type: ignore[arg-type]
    plan_at(town.database, reviews, local(date(2026, 4, 1)))
    assert {r.resident_id for r in records_of(town.database, FAMILY)} == eligible


def test_nobody_to_write_to_leaves_the_record_due_and_a_proxy_gets_the_parents_reminder(
    town: Town, reviews: ReviewCatalogue
) -> None:
    alone, parent, both = elder(town, "独居"), elder(town, "父亲"), elder(town, "自己绑定")
    bound(town.database, "o_daughter", parent, kind="proxy")
    bound(town.database, "o_nephew_pending", parent, kind="proxy", status="pending")
    bound(town.database, "o_son", both, kind="proxy")
    bound(town.database, "o_herself", both)
    bound(town.database, "o_ended", alone, status="ended")
    plan_at(town.database, reviews, local(OPENS_DAY))
    state = {r.resident_id: r.state for r in records_of(town.database, FAMILY)}
    assert state == {alone: "due", parent: "reminded", both: "reminded"}
    assert {m.recipient for m in reminders(town.database)} == {"o_daughter", "o_herself"}


def test_only_the_latest_stage_due_is_sent_and_each_stage_once(
    town: Town, reviews: ReviewCatalogue
) -> None:
    bound(town.database, "o_wang", elder(town))
    days = [OPENS_DAY, date(2026, 6, 15), date(2026, 6, 16), date(2026, 6, 26), date(2026, 6, 27),
            date(2026, 7, 1), date(2026, 7, 2), date(2026, 7, 3), date(2026, 8, 1)]  # fmt: skip
    for day in days:
        plan_at(town.database, reviews, local(day))
    sent = [m.idempotency_key.rsplit(":", 1)[1] for m in reminders(town.database)]
    assert sent == ["opens", "closing-14", "closing-3", "overdue"]
    closing, overdue = (m.payload["text"] for m in reminders(town.database)[2:])
    assert closing == family_letter(reviews, LETTERS.closing)
    assert overdue == family_letter(reviews, LETTERS.overdue)
    (record,) = records_of(town.database, FAMILY)
    assert (record.state, record.last_stage) == ("overdue", "overdue")
    assert [t[:2] for t in transitions(town.database, record.id or 0)] == [
        (None, "due"), ("due", "reminded"), ("reminded", "overdue"),
    ]  # fmt: skip


def test_a_planner_that_did_not_run_for_weeks_sends_only_the_stage_due_when_it_runs(
    town: Town, reviews: ReviewCatalogue
) -> None:
    for openid, name in (("o_late", "晚到"), ("o_later", "更晚")):
        bound(town.database, openid, elder(town, name))
    plan_at(town.database, reviews, local(date(2026, 6, 20)))  # after closing-14, before -3
    assert [m.idempotency_key.rsplit(":", 1)[1] for m in reminders(town.database)] == [
        "closing-14", "closing-14",
    ]  # fmt: skip
    plan_at(town.database, reviews, local(date(2026, 7, 5)))  # closing-3 missed: overdue
    assert [m.idempotency_key.rsplit(":", 1)[1] for m in reminders(town.database)][2:] == [
        "overdue", "overdue",
    ]  # fmt: skip


def test_a_new_tag_a_birthday_and_a_move_are_picked_up_by_the_next_run(
    town: Town, reviews: ReviewCatalogue
) -> None:
    untagged = town.person("后来有证", gender="female", born=date(1960, 1, 1))
    turning = town.person("快七十", born=date(1956, 7, 1))  # longevity: 90 days before 70
    leaving = elder(town, "要搬走")
    for openid, resident in (("o_tag", untagged), ("o_70", turning), ("o_leave", leaving)):
        bound(town.database, openid, resident)
    plan_at(town.database, reviews, local(date(2026, 4, 1)))
    assert {r.resident_id for r in records_of(town.database)} == {leaving}
    with unit_of_work(town.database) as session:
        session.add(ResidentTag(resident_id=untagged, tag="only_child"))
        person = session.get(Resident, leaving)
        assert person is not None
        person.residence_status = "moved_out"
        session.add(person)
    plan_at(town.database, reviews, local(date(2026, 4, 1), 20))
    state = {(r.programme, r.resident_id): r.state for r in records_of(town.database)}
    assert state == {(FAMILY, untagged): "reminded", (FAMILY, leaving): "moved_away"}
    plan_at(town.database, reviews, local(date(2026, 4, 2)))  # 90 days before 1 July
    assert records_of(town.database, LONGEVITY)[0].resident_id == turning
    assert records_of(town.database, LONGEVITY)[0].opens_on == date(2026, 4, 2)
    plan_at(town.database, reviews, local(date(2026, 6, 16)))
    assert texts_to(town.database, "o_leave") == [family_letter(reviews, LETTERS.opens)]


def test_an_opt_out_stops_the_reminders_until_it_is_lifted(
    town: Town, reviews: ReviewCatalogue
) -> None:
    one, every, other = elder(town, "退订年审"), elder(town, "全部退订"), elder(town, "没退订")
    bound(town.database, "o_one", one)
    bound(town.database, "o_every", every, kind="proxy")
    bound(town.database, "o_other", other)
    with unit_of_work(town.database) as session:
        opt_outs.stop(session, openid="o_one", programme=FAMILY, now=local(date(2026, 2, 1)))
        opt_outs.stop(session, openid="o_every", programme=None, now=local(date(2026, 2, 1)))
        opt_outs.stop(session, openid="o_other", programme=LONGEVITY, now=local(date(2026, 2, 1)))
    plan_at(town.database, reviews, local(OPENS_DAY))
    assert {m.recipient for m in reminders(town.database)} == {"o_other"}
    state = {r.resident_id: r.state for r in records_of(town.database, FAMILY)}
    assert state == {one: "due", every: "due", other: "reminded"}
    with unit_of_work(town.database) as session:
        assert opt_outs.stopped(session, "o_every") == ["*"]
        assert opt_outs.resume(session, openid="o_every", now=local(date(2026, 6, 1))) == 1
        assert opt_outs.resume(session, openid="o_every", now=local(date(2026, 6, 1))) == 0
        assert opt_outs.stopped(session, "o_every") == []
    plan_at(town.database, reviews, local(date(2026, 6, 16)))
    assert texts_to(town.database, "o_every") == [family_letter(reviews, LETTERS.closing)]
    assert texts_to(town.database, "o_one") == []


def test_a_completed_or_booked_record_gets_no_later_stage(
    town: Town, reviews: ReviewCatalogue
) -> None:
    done, booked = elder(town, "办好了"), elder(town, "约好了")
    bound(town.database, "o_done", done)
    bound(town.database, "o_booked", booked)
    plan_at(town.database, reviews, local(OPENS_DAY))
    with unit_of_work(town.database) as session:
        clerk = audit.Actor.of(town.clerk)
        for record in session.exec(select(ReviewRecord).order_by(col(ReviewRecord.id))):
            change = records.COMPLETE if record.resident_id == done else records.BOOK
            records.move(session, record, change, now=local(date(2026, 3, 5)), actor=clerk,
                         openid=None if change == records.COMPLETE else "o_booked")  # fmt: skip
    for day in (date(2026, 6, 16), date(2026, 6, 27), date(2026, 7, 3)):
        plan_at(town.database, reviews, local(day))
    assert [m.idempotency_key.endswith(":opens") for m in reminders(town.database)] == [True] * 2
    assert {r.state for r in records_of(town.database, FAMILY)} == {"completed", "booked"}


def test_a_blank_window_is_not_planned(town: Town) -> None:
    bound(town.database, "o_wang", elder(town))
    shipped = WORDS.reviews
    assert not shipped.by_key[FAMILY].ready
    for day in (OPENS_DAY, date(2026, 5, 1), date(2026, 6, 30)):
        assert plan_at(town.database, shipped, local(day)).created == 0
    assert records_of(town.database, FAMILY) == []


def test_29_february_birthdays_and_certificates_fall_on_the_28th_in_a_common_year(
    town: Town, reviews: ReviewCatalogue
) -> None:
    leap_born = town.person("闰日生", born=date(1956, 2, 29))
    day_before = town.person("前一天生", born=date(1956, 2, 28))
    day_after = town.person("后一天生", born=date(1956, 3, 1))
    permit = town.person("居住证", born=date(1990, 1, 1), status="floating",
                         tags={"residence_permit": date(2024, 2, 29)})  # fmt: skip
    plan_at(town.database, reviews, local(date(2025, 11, 29)))
    assert records_of(town.database) == []
    plan_at(town.database, reviews, local(date(2025, 11, 30)))  # 90 days before 28 Feb 2026
    opened = {r.resident_id: (r.cycle, r.opens_on) for r in records_of(town.database, LONGEVITY)}
    assert opened == {leap_born: (2026, date(2025, 11, 30)),
                      day_before: (2026, date(2025, 11, 30))}  # fmt: skip
    plan_at(town.database, reviews, local(date(2026, 1, 29)))  # 30 days before 28 Feb
    (endorsement,) = records_of(town.database, PERMIT)
    assert (endorsement.resident_id, endorsement.cycle) == (permit, 2026)
    assert (endorsement.opens_on, endorsement.closes_on) == (date(2026, 1, 29), date(2026, 2, 28))
    plan_at(town.database, reviews, local(date(2025, 12, 1)))
    assert day_after in {r.resident_id for r in records_of(town.database, LONGEVITY)}
