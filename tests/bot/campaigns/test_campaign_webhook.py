"""A confirmation campaign end to end, on SQLite and PostgreSQL: 500 residents of 东风 — most
bound in WeChat by themselves, some reached only through a daughter acting for both parents,
some bound by nobody, a few whose WeChat refuses the message — are asked through the outbox and
the sandbox WeChat API; they answer through the webhook (1, 对的, 2 and a new mobile, or
nothing); the console's progress and call list count them, and the clerk's approval writes the
change into the registry as the resident's own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.binding.notices import mask_name
from flows.masking import mask_mobile
from store.binding import bindings, self_reports
from store.binding.models import ResidentBinding
from store.campaigns import service as campaigns
from store.campaigns.details import mask_id_card_for_resident
from store.db import unit_of_work
from store.errors import Refused
from store.outbox.models import OutboxMessage
from store.registry.history import Source
from store.registry.models import Resident, ResidentChange
from store.registry.residents import add_resident, add_residents
from store.residents import users
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from tests.bot.campaigns.campaign_helpers import TZ, start_campaign
from tests.bot.delivery.delivery_rig import Rig, rig
from tests.chat import SEALER, WORDS, Answers, Chat, DoesNotAnswer, Sends, run
from tests.flows.conversations.binding_helpers import Exactly, approve_proxy, chat_as
from tests.flows.test_identity import valid_id
from tests.resident_helpers import EAST, NOW, Registry, build_registry

COUNT = 500  # residents the campaign asks: build_registry's three and 497 more
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂英", "建国", "志强", "淑珍", "玉兰", "国华", "德明", "丽华", "春生",
         "永福", "凤英", "文斌", "海燕", "金凤", "长顺", "美玲", "振华", "翠花", "宝山",
         "月娥", "家明", "素芬", "树林", "立新"]  # fmt: skip
SHEET = Source.imported("2025年人口普查.xlsx", 2)
REPLIES, UPDATE, BIND = WORDS.campaigns.replies, WORDS.binding.update, WORDS.binding.bind
LETTER = WORDS.campaigns.letter


@dataclass
class Person:
    """One of the 497: their details in full (for the test to check what was masked)."""

    resident_id: int
    name: str
    id_card: str
    mobile: str
    asked: str | None = None  # the openid their message goes to; None: bound by nobody


@dataclass
class World:
    """The registry and who is reached through whom."""

    registry: Registry
    people: list[Person]
    refused: set[str] = field(default_factory=set)  # openids WeChat says do not follow us
    watchers: set[str] = field(default_factory=set)  # bound otherwise: must get nothing

    @property
    def database(self) -> Engine:
        return self.registry.database

    def reached(self) -> list[Person]:
        return [p for p in self.people if p.asked and p.asked not in self.refused]


def _details(n: int) -> tuple[str, str, str]:
    born = date(1938, 1, 1) + timedelta(days=53 * n)
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[n // len(SURNAMES) % len(GIVEN)]
    return name, valid_id(f"440106{born:%Y%m%d}{n:03d}"), f"1390000{n:04d}"


def _binding(world: World, openid: str, person: Person, kind: str, **extra: Any) -> Any:
    """A binding row as the store's services leave it once decided (or still pending)."""
    values = {
        "status": "active", "relation": "child" if kind == "proxy" else None,
        "requested_at": NOW - timedelta(days=2), "decided_at": NOW - timedelta(days=2), **extra,
    }  # fmt: skip
    return ResidentBinding(openid=openid, resident_id=person.resident_id,
                           committee_id=world.registry.committee_id, kind=kind,
                           **values)  # fmt: skip


def _bind_through_webhook(world: World, chat: Chat) -> None:
    """Some bind as residents do: one herself, one family asks for both parents (approved)."""
    herself = world.people[2]
    chat.openid = herself.asked = "o_self_0002"
    run(chat, [Sends("绑定"), Sends(BIND.choices["self"].name), Sends(herself.name),
               Sends(herself.id_card[-6:]),
               Exactly(BIND.bound.format(name=mask_name(herself.name)))])  # fmt: skip
    chat.openid = "o_family_004"
    for parent in world.people[46:48]:
        run(chat, [Sends("绑定"), Sends(BIND.choices["proxy"].name), Sends("女儿"),
                   Sends(parent.name), Sends(parent.mobile), Exactly(BIND.requested)])  # fmt: skip
        approve_proxy(world.registry, chat.openid)
        parent.asked = chat.openid


def build_world(database: Engine) -> World:
    """东风's 500 residents: of each ten, six bound by themselves, two parents reached through
    one daughter, two bound by nobody; the first of each ten has a son approved too (who must
    not be asked), some of the unbound have a request still pending or a binding ended, the
    WeChat of every fiftieth from the second and of one daughter refuses messages."""
    registry = build_registry(database)
    with unit_of_work(database) as session:
        batch = [({"name": n, "id_card": i, "mobile": m}, SHEET)
                 for n, i, m in map(_details, range(COUNT - 3))]  # fmt: skip
        ids = add_residents(session, SEALER, committee_id=registry.committee_id, batch=batch,
                            now=NOW - timedelta(days=400))  # fmt: skip
        # Died: bound by her own WeChat, and never to be asked.
        late = add_resident(session, SEALER, committee_id=registry.committee_id,
                            values={"name": "李已故", "residence_status": "deceased"},
                            source=SHEET, now=NOW)  # fmt: skip
    assert all(isinstance(i, int) for i in ids), "every one of them is taken"
    people = [Person(int(i), str(v["name"]), str(v["id_card"]), str(v["mobile"]))
              for i, (v, _) in zip(ids, batch, strict=True)]  # fmt: skip
    world = World(registry, people)
    chat = chat_as(database)
    chat.clock.now = NOW - timedelta(days=1)
    _bind_through_webhook(world, chat)
    rows = [_binding(world, "o_late_0001", Person(late.id or 0, "", "", ""), "self")]
    world.watchers.add("o_late_0001")
    for n, person in enumerate(people):
        kind = n % 10
        if person.asked:  # bound through the webhook already
            continue
        if kind <= 5:
            person.asked = f"o_self_{n:04d}"
            rows.append(_binding(world, person.asked, person, "self"))
            if n % 50 == 1:
                world.refused.add(person.asked)
        elif kind <= 7:
            person.asked = f"o_family_{n // 10:03d}"
            rows.append(_binding(world, person.asked, person, "proxy"))
        if kind == 0:
            rows.append(_binding(world, f"o_son_{n:04d}", person, "proxy"))
            world.watchers.add(f"o_son_{n:04d}")
        if n % 20 == 8:
            rows.append(_binding(world, f"o_asked_{n:04d}", person, "proxy", status="pending",
                                 decided_at=None))  # fmt: skip
            world.watchers.add(f"o_asked_{n:04d}")
        if n % 20 == 9:
            rows.append(_binding(world, f"o_ended_{n:04d}", person, "self", status="ended",
                                 ended_at=NOW - timedelta(days=1)))  # fmt: skip
            world.watchers.add(f"o_ended_{n:04d}")
    world.refused.add("o_family_003")
    with unit_of_work(database) as session:
        session.add_all(rows)
        # Each of them wrote to the account an hour ago: the 48-hour window is open.
        for openid in {p.asked for p in people if p.asked} | world.watchers:
            users.seen(session, openid, NOW - timedelta(hours=1), event="subscribe",
                       own_message=True)  # fmt: skip
    return world


async def _followers(r: Rig, world: World) -> None:
    """WeChat knows them all as followers with an open window, but for the refused."""
    for openid in {p.asked for p in world.people if p.asked} | world.watchers:
        if openid not in world.refused:
            await r.control("followers", {"openid": openid, "subscribed": True})
            await r.control("interactions", {"openid": openid})


def deliver(world: World, campaign_id: int) -> dict[str, list[str]]:
    """Run the delivery worker against the sandbox until the outbox is drained; what each
    openid received. Starting the campaign again on the way sends nothing more."""
    received: dict[str, list[str]] = {}

    async def scenario() -> None:
        async with rig(world.database, send_rate_per_second=100_000.0,
                       delivery_batch=1000) as r:  # fmt: skip
            await _followers(r, world)
            r.now = NOW + timedelta(minutes=1)
            while await r.worker.tick():
                pass
            with pytest.raises(Refused) as again:
                start_again(world, campaign_id)
            assert again.value.code == "started"
            assert await r.worker.tick() == 0
            for message in await r.received():
                received.setdefault(message["touser"], []).append(
                    message["payload"]["text"]["content"]
                )

    asyncio.run(scenario())
    return received


def start_again(world: World, campaign_id: int) -> None:
    with unit_of_work(world.database) as session:
        clerk = session.get(StaffUser, world.registry.clerk.id)
        assert clerk is not None
        campaigns.start(session, SEALER, campaign_id=campaign_id, scope=scopes.of(session, clerk),
                        actor=audit.Actor.of(clerk), now=NOW + timedelta(minutes=2), tz=TZ,
                        letter=lambda message, details: message)  # fmt: skip


def check_letters(world: World, received: dict[str, list[str]]) -> None:
    """Each reached resident's openid got exactly one message naming them, masked; a daughter
    one per parent; nobody else anything, and no full number anywhere."""
    expected: dict[str, list[Person]] = {}
    for person in world.reached():
        expected.setdefault(person.asked or "", []).append(person)
    assert set(received) == set(expected)
    for openid, persons in expected.items():
        letters = received[openid]
        assert len(letters) == len(persons), openid
        for person in persons:
            about = [text for text in letters if mask_mobile(person.mobile) in text]
            assert len(about) == 1, (openid, person.name)
            assert mask_id_card_for_resident(person.id_card) in about[0]
            assert mask_name(person.name) in about[0]
            greeting = (
                LETTER.greeting_proxy.format(committee=EAST, name=mask_name(person.name))
                if openid.startswith("o_family_")
                else LETTER.greeting_self.format(committee=EAST)
            )
            assert about[0].startswith(greeting)
            for text in letters:
                assert person.id_card not in text and person.mobile not in text
    assert len(expected["o_family_000"]) == 2


def answer(world: World, chat: Chat) -> dict[str, set[int]]:
    """Answers through the webhook: 1, everyday words, 2 and a new mobile, a daughter for both
    parents, and a 1 from someone whose message never arrived; the rest say nothing."""
    reached = [p for p in world.reached() if p.asked and p.asked.startswith("o_self_")]
    said = {"confirmed": set(), "changed": set()}
    for person, words in zip(reached[:12], ["1"] * 8 + ["对的", "没错", "正确", "是的"],
                             strict=True):  # fmt: skip
        chat.openid = person.asked or ""
        run(chat, [Sends(words), Exactly(REPLIES.confirmed.format(name=mask_name(person.name)))])
        said["confirmed"].add(person.resident_id)
    for person in reached[12:15]:
        chat.openid = person.asked or ""
        run(chat, [Sends("2"), Answers(REPLIES.changed.format(name=mask_name(person.name)),
                                       UPDATE.what_prompt),
                   Sends("1"), Sends(new_mobile(person)), Sends("1"),
                   Exactly(UPDATE.pending)])  # fmt: skip
        said["changed"].add(person.resident_id)
    father, mother = world.people[6], world.people[7]
    chat.openid = "o_family_000"
    run(chat, [Sends("1"), Exactly(REPLIES.confirmed.format(name=mask_name(mother.name))),
               Sends("需要修改"), Answers(REPLIES.changed.format(name=mask_name(father.name))),
               DoesNotAnswer(UPDATE.who_prompt),
               Sends("手机号"), Sends(new_mobile(father)), Sends("确认提交"),
               Exactly(UPDATE.pending)])  # fmt: skip
    said["confirmed"].add(mother.resident_id)
    said["changed"].add(father.resident_id)
    refused = world.people[1]  # their WeChat refused the message: a 1 is the menu's
    chat.openid = refused.asked or ""
    run(chat, [Sends("1"), Answers(WORDS.office.prompt), DoesNotAnswer(REPLIES.hint)])
    return said


def new_mobile(person: Person) -> str:
    return "137" + person.mobile[3:]


def test_a_campaign_reaches_each_bound_resident_once_and_counts_their_answers(
    database: Engine,
) -> None:
    world = build_world(database)
    campaign_id = start_campaign(database, world.registry.clerk.id, now=NOW)
    received = deliver(world, campaign_id)
    check_letters(world, received)
    with Session(database) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == campaigns.KIND)
        messages = list(session.exec(query))
    assert len(messages) == len([p for p in world.people if p.asked])
    refused = [m for m in messages if m.recipient in world.refused]
    assert {(m.status, m.last_error_code) for m in refused} == {("unreachable", 43004)}

    chat = chat_as(database)
    chat.clock.now = NOW + timedelta(hours=2)
    said = answer(world, chat)

    # build_registry's 张秀英, 王建国 and 张小明 are bound by nobody either.
    unbound = {p.resident_id for p in world.people if not p.asked} | {
        world.registry.woman, world.registry.man, world.registry.boy}  # fmt: skip
    cannot = {p.resident_id for p in world.people if p.asked in world.refused}
    with Session(database) as session:
        progress = campaigns.progress(session, [campaign_id])[campaign_id]
        calls, total = campaigns.call_list(session, campaign_id, page=1, per_page=500)
    reached = len(world.reached())
    assert progress == campaigns.Progress(
        total=COUNT, waiting=reached - 17, confirmed=13, changed=4, not_bound=len(unbound),
        unreachable=len(cannot), reminded=0,
    )  # fmt: skip
    assert len(said["confirmed"]) == 13 and len(said["changed"]) == 4
    assert total == len(unbound) + len(cannot) == len(calls)
    assert {c.resident.id for c in calls if c.status == "not_bound"} == unbound
    assert {c.resident.id for c in calls if c.status == "unreachable"} == cannot
    assert {c.error_code for c in calls if c.status == "unreachable"} == {43004}

    approved_at = NOW + timedelta(hours=3)
    with unit_of_work(database) as session:
        clerk = session.get(StaffUser, world.registry.clerk.id)
        assert clerk is not None
        scope = scopes.of(session, clerk)
        waiting = self_reports.pending(session, scope)
        assert {r.resident_id for r in waiting} == said["changed"]
        assert {r.field for r in waiting} == {"mobile"}
        for report in waiting:
            self_reports.approve(session, SEALER, report_id=report.id or 0,
                                 actor=audit.Actor.of(clerk), now=approved_at,
                                 scope=scope)  # fmt: skip
    by_id = {p.resident_id: p for p in world.people}
    with Session(database) as session:
        for resident_id in said["changed"]:
            resident = session.get(Resident, resident_id)
            assert resident is not None and resident.mobile_sealed is not None
            assert SEALER.open(resident.mobile_sealed) == new_mobile(by_id[resident_id])
            assert resident.last_confirmed_at == approved_at
            query = select(ResidentChange).where(
                ResidentChange.resident_id == resident_id, ResidentChange.field == "mobile"
            )
            change = session.exec(query.order_by(col(ResidentChange.id).desc())).first()
            assert change is not None and change.source_kind == "resident"
        for resident_id in said["confirmed"]:
            resident = session.get(Resident, resident_id)
            assert resident is not None and resident.last_confirmed_at is not None
            assert resident.last_confirmed_at > NOW
        assert bindings.people_of(session, "o_family_000")  # still acting for both
