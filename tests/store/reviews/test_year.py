"""A year of annual reviews with a fixed clock: 500 residents of mixed ages, genders, tags and
bindings; the planner runs daily at 00:30 (and again at 22:00 on Sundays), inside the quiet
hours; the real delivery worker ticks at 00:30, 08:00 and 22:00 into the in-process sandbox;
residents complete, opt out, move away or have a certificate recorded at 15:00.

What should happen is worked out by tests/store/reviews/year_model.py from the generated
residents alone; nothing here is a hard-coded count."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.content import Content, NotificationKind, TemplateRoute
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.registry.models import Resident, ResidentTag
from store.reviews import opt_outs, records, tracker
from store.reviews.models import OPEN, ReviewRecord
from store.staff import audit
from store.staff import scope as scopes
from tests.bot.delivery.delivery_rig import Rig, rig
from tests.store.reviews.conftest import FAMILY, LONGEVITY, PERMIT, Town, bind, plan_at
from tests.store.reviews.year_model import (
    EVENTS,
    LAST,
    RUNS,
    Person,
    at,
    counts,
    days,
    people,
    runs,
    simulate,
)

TEMPLATE = "tpl-review-0001"
KINDS = {"review_reminder": NotificationKind(
    template=TemplateRoute(template_id=TEMPLATE, fields={"thing1": "text"}))}  # fmt: skip
DELIVERY = time(8)
TICKS = (RUNS[0], DELIVERY, RUNS[1])


def settle_in(town: Town, folk: list[Person]) -> None:
    """The generated residents in the registry, with their bindings."""
    with unit_of_work(town.database) as session:
        for person in folk:
            tags = {"only_child": None} if person.only_child else {}
            if person.permit is not None:
                tags["residence_permit"] = person.permit
            person.resident_id = town.add(
                session, person.name, gender=person.gender, born=person.born,
                status=person.status, tags=tags, building=person.building,
            )  # fmt: skip
            if person.own:
                bind(session, person.own, person.resident_id)
            if person.proxy:
                bind(session, person.proxy, person.resident_id, kind="proxy")


def happen(town: Town, folk: list[Person], when: datetime) -> None:
    """15:00: what residents and staff do that day."""
    day, clerk = when.date(), audit.Actor.of(town.clerk)
    with unit_of_work(town.database) as session:
        for person in folk:
            if person.tag_added == day:
                session.add(ResidentTag(resident_id=person.resident_id, tag="only_child"))
            if person.moves_out == day:
                resident = session.get(Resident, person.resident_id)
                assert resident is not None
                resident.residence_status = "moved_out"
                session.add(resident)
            if person.opts_out and person.opts_out[0] == day and person.recipient:
                opt_outs.stop(session, openid=person.recipient, programme=person.opts_out[1],
                              now=when)  # fmt: skip
            for programme, done in person.completes.items():
                if done != day:
                    continue
                query = select(ReviewRecord).where(
                    ReviewRecord.resident_id == person.resident_id,
                    ReviewRecord.programme == programme,
                    col(ReviewRecord.state).in_(OPEN),
                )
                for record in session.exec(query):
                    records.move(session, record, records.COMPLETE, now=when, actor=clerk)


async def deliver(the_rig: Rig, when: datetime) -> int:
    """The worker's ticks at a time, until nothing more is due; how many it claimed."""
    the_rig.now = when
    claimed = 0
    while found := await the_rig.worker.tick():
        claimed += found
    return claimed


async def live_the_year(town: Town, content: Content, folk: list[Person]) -> dict[int, datetime]:
    """Run the year; when each outbox message reached the sandbox (by outbox id)."""
    arrived: dict[int, datetime] = {}
    async with rig(town.database, kinds=KINDS, send_rate_per_second=100000.0,
                   delivery_batch=200) as the_rig:  # fmt: skip
        await the_rig.control("templates", {"template_id": TEMPLATE})
        for person in folk:
            if person.recipient and person.following:
                await the_rig.resident(person.recipient, wrote_hours_ago=None)
        seen = 0
        for day in [*days(), LAST + timedelta(days=1)]:
            for clock in TICKS:
                when = at(day, clock)
                if day > LAST and clock != DELIVERY:
                    continue
                if clock in runs(day):
                    plan_at(town.database, content.reviews, when)
                if await deliver(the_rig, when):
                    received = await the_rig.received()
                    for message in received[seen:]:
                        arrived[int(message["payload"]["client_msg_id"].removeprefix("linli-"))] \
                            = when  # fmt: skip
                    seen = len(received)
                if clock == RUNS[0] and day <= LAST:
                    happen(town, folk, at(day, EVENTS))
    return arrived


def outbox_rows(database: Engine) -> dict[int, OutboxMessage]:
    with Session(database) as session:
        return {m.id or 0: m for m in session.exec(select(OutboxMessage))}


def stored(database: Engine) -> dict[tuple[str, int, int], ReviewRecord]:
    with Session(database) as session:
        return {
            (r.programme, r.cycle, r.resident_id): r for r in session.exec(select(ReviewRecord))
        }


def test_a_year_of_reviews_reminds_the_right_people_on_the_right_days_once(
    town: Town, content: Content
) -> None:
    folk = people(500)
    settle_in(town, folk)
    arrived = asyncio.run(live_the_year(town, content, folk))
    expected = simulate(folk)
    by_key = {(e.programme, e.cycle, e.person.resident_id): e for e in expected}

    # Who became due when: every record, created by the run that should have found it.
    found = stored(town.database)
    assert {k: r.created_at for k, r in found.items()} == {k: e.created for k, e in by_key.items()}
    assert {k: r.state for k, r in found.items()} == {k: e.state for k, e in by_key.items()}
    assert {e.programme for e in expected} == {FAMILY, LONGEVITY, PERMIT}

    # Which reminders were queued, when, to whom, and which reached the sandbox on which day.
    messages = outbox_rows(town.database)
    record_of = {f"review:{r.id}": key for key, r in found.items()}
    queued = {(record_of[m.idempotency_key.rsplit(":", 1)[0]], m.idempotency_key.rsplit(":")[-1],
               m.created_at, m.recipient) for m in messages.values()}  # fmt: skip
    assert queued == {(key, stage, when, e.person.recipient) for key, e in by_key.items()
                      for stage, when in e.sent}  # fmt: skip
    should_arrive = {
        (key, stage): datetime.combine(
            when.date() + timedelta(days=when.time() >= RUNS[1]), DELIVERY, when.tzinfo)
        for key, e in by_key.items() if e.person.following for stage, when in e.sent
    }  # fmt: skip
    reached = {(record_of[messages[i].idempotency_key.rsplit(":", 1)[0]],
                messages[i].idempotency_key.rsplit(":")[-1]): when
               for i, when in arrived.items()}  # fmt: skip
    assert reached == should_arrive
    assert len(reached) > 300, "the year is busy enough to mean something"
    late = [when for e in expected for _, when in e.sent if when.time() == RUNS[1]]
    assert late, "some reminders are queued at 22:00 and held until 08:00"

    # None in quiet hours, none twice, none after a completion or an opt-out.
    assert {when.astimezone(at(LAST, DELIVERY).tzinfo).time() for when in arrived.values()} == {
        DELIVERY}  # fmt: skip
    assert Counter(messages[i].idempotency_key for i in arrived).most_common(1)[0][1] == 1
    for (key, _), when in reached.items():
        person = by_key[key].person
        if by_key[key].state == "completed":
            assert when < at(person.completes[key[0]], EVENTS)
        if person.opts_out and person.opts_out[1] in (None, key[0]):
            assert when < at(person.opts_out[0], EVENTS)

    # Proxies got their parent's reminders.
    proxied = [m for m in messages.values() if m.recipient.startswith("o_kin_")]
    assert proxied and all(
        by_key[record_of[m.idempotency_key.rsplit(":", 1)[0]]].person.own is None for m in proxied
    )

    # The tracker's counts at the year's end.
    with unit_of_work(town.database) as session:
        clerk = session.get(type(town.clerk), town.clerk.id)
        assert clerk is not None
        scope = scopes.of(session, clerk)
        for programme, cycle in sorted({(e.programme, e.cycle) for e in expected}):
            shown = tracker.counts(session, scope, programme=programme, cycle=cycle)
            assert {k: v for k, v in shown.items() if v} == counts(expected, programme, cycle), (
                programme,
                cycle,
            )
