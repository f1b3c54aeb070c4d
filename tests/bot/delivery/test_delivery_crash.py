"""A worker killed mid-send: template messages reach each resident once (client_msg_id), and
customer-service messages, which have no such id, at least once with the one in flight repeated.

The in-process cases run on both databases; the crash cases run real processes (the standalone
sandbox and `linli worker`) on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.residents import users
from tests.bot.delivery.crash_rig import (
    SHIPPED_CONTENT,
    content_with_template,
    kill,
    sandbox_process,
    stop,
    worker_process,
)
from tests.bot.delivery.delivery_rig import Rig, rig, with_template
from tests.processes import until

DATA = {"thing1": {"value": "已受理"}}

# -- the sandbox honours client_msg_id (through Linli's API client) ---------------------------


def play(database: Engine, scenario: Callable[[Rig], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        async with rig(database, **options) as the_rig:
            await scenario(the_rig)

    asyncio.run(main())


async def template_calls(r: Rig) -> int:
    return (await r.sandbox.get("/_sandbox/calls")).json()["template"]


def test_a_repeated_client_msg_id_gets_the_first_msgid_and_sends_nothing(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_dup", wrote_hours_ago=None)
        await r.control("templates", {"template_id": "tpl-status"})
        first = await r.worker.api.send_template("o_dup", "tpl-status", DATA, client_msg_id="c-1")
        again = await r.worker.api.send_template("o_dup", "tpl-status", DATA, client_msg_id="c-1")
        assert again == first
        [got] = await r.received(touser="o_dup")
        assert got["payload"]["client_msg_id"] == "c-1"
        assert await template_calls(r) == 2

    play(database, scenario)


def test_another_id_another_resident_or_no_id_are_separate_messages(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        for openid in ("o_a", "o_b"):
            await r.resident(openid, wrote_hours_ago=None)
        await r.control("templates", {"template_id": "tpl-status"})
        send = r.worker.api.send_template
        msgids = [
            await send("o_a", "tpl-status", DATA, client_msg_id="c-1"),
            await send("o_a", "tpl-status", DATA, client_msg_id="c-2"),
            await send("o_b", "tpl-status", DATA, client_msg_id="c-1"),
            await send("o_a", "tpl-status", DATA),
            await send("o_a", "tpl-status", DATA),
        ]
        assert len(set(msgids)) == 5
        sent = await r.received(channel="template")
        ids = [m["payload"].get("client_msg_id") for m in sent]
        assert ids == ["c-1", "c-2", "c-1", None, None]

    play(database, scenario)


def test_the_id_is_remembered_for_ten_minutes_of_the_sandbox_clock(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_late", wrote_hours_ago=None)
        await r.control("templates", {"template_id": "tpl-status"})
        send = r.worker.api.send_template
        first = await send("o_late", "tpl-status", DATA, client_msg_id="c-1")
        await r.control("clock", {"advance_seconds": 590})
        assert await send("o_late", "tpl-status", DATA, client_msg_id="c-1") == first
        await r.control("clock", {"advance_seconds": 11})
        later = await send("o_late", "tpl-status", DATA, client_msg_id="c-1")
        assert later != first
        assert len(await r.received(touser="o_late")) == 2

    play(database, scenario)


def test_a_template_whose_answer_was_lost_is_resent_under_its_id_and_arrives_once(
    database: Engine,
) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_lost", wrote_hours_ago=49)
        await r.control("templates", {"template_id": "tpl-status"})
        fault = {"timeout": True, "delivered": True}
        await r.control("faults", {"next": [fault], "timeout_seconds": 2.0})
        message_id = r.enqueue("o_lost", "已受理")
        await r.worker.tick()
        assert r.message(message_id).status == "pending"  # the answer never came
        r.now = r.message(message_id).next_attempt_at
        await r.worker.tick()
        stored = r.message(message_id)
        assert (stored.status, stored.attempts) == ("sent", 2)
        assert stored.wechat_msg_id is not None
        [got] = await r.received(touser="o_lost")
        assert got["payload"]["client_msg_id"] == f"linli-{message_id}"
        assert await template_calls(r) == 2

    play(database, scenario, kinds={"status_update": with_template()})


def test_a_customer_service_message_whose_answer_was_lost_arrives_twice(database: Engine) -> None:
    """WeChat's customer-service API has no client_msg_id: delivery is at least once."""

    async def scenario(r: Rig) -> None:
        await r.resident("o_cs")
        fault = {"timeout": True, "delivered": True}
        await r.control("faults", {"next": [fault], "timeout_seconds": 2.0})
        message_id = r.enqueue("o_cs", "您的报事已受理")
        await r.worker.tick()
        r.now = r.message(message_id).next_attempt_at
        await r.worker.tick()
        assert r.message(message_id).status == "sent"
        texts = [m["payload"]["text"]["content"] for m in await r.received(touser="o_cs")]
        assert texts == ["您的报事已受理", "您的报事已受理"]

    play(database, scenario)


# -- real processes: kill -9 the worker in the middle of a send --------------------------------

HOLD_SECONDS = 30.0  # the sandbox holds the answer to one send this long: the kill lands then


def statuses(database: Engine) -> Counter[str]:
    """Outbox rows per status."""
    with Session(database) as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return Counter(dict(session.exec(query).all()))


def residents(database: Engine, sandbox: httpx.Client, count: int, *, window: bool) -> list[str]:
    """Followers in Linli and the sandbox; with `window`, each wrote an hour ago (else never)."""
    openids = [f"o_crash_{i:05d}" for i in range(count)]
    now = datetime.now(UTC)
    with unit_of_work(database) as session:
        for openid in openids:
            users.seen(session, openid, now, event="subscribe", own_message=window)
    for openid in openids:
        path = "/_sandbox/interactions" if window else "/_sandbox/followers"
        sandbox.post(path, json={"openid": openid}).raise_for_status()
    return openids


def enqueue_one_each(database: Engine, openids: list[str]) -> dict[int, str]:
    """One status update per resident; outbox id → the title it carries."""
    titles: dict[int, str] = {}
    with unit_of_work(database) as session:
        for i, openid in enumerate(openids):
            title = f"报事进度 {i:05d}"
            message_id = outbox.enqueue(
                session, key=f"crash:{i}", audience=outbox.RESIDENT, recipient=openid,
                kind="status_update", payload={"text": title, "data": {"title": title}},
                now=datetime.now(UTC),
            )  # fmt: skip
            assert message_id is not None
            titles[message_id] = title
    return titles


def kill_while_a_send_is_held(
    database: Engine, sandbox: httpx.Client, channel: str, content: Path, folder: Path, at: int
) -> tuple[int, Counter[str]]:
    """Run a worker until the sandbox has `at` messages, hold the answer to its next send, and
    SIGKILL it while it waits; how many messages the sandbox had then, and the row statuses."""
    # One claim of 1,000 rows: the kill lands inside a batch, with claimed rows not yet sent.
    # The long timeout keeps the worker waiting for the held answer instead of giving up.
    worker = worker_process(
        database, str(sandbox.base_url), content, folder / "worker-1.log",
        delivery_batch="1000", wechat_api_timeout_seconds="60",
    )  # fmt: skip
    try:
        until(
            lambda: sandbox.get("/_sandbox/calls").json()[channel] >= at,
            f"{at} {channel} sends",
            [worker],
            interval=0.01,
        )
        hold = {"next": [{"timeout": True, "delivered": True}], "timeout_seconds": HOLD_SECONDS}
        sandbox.post("/_sandbox/faults", json=hold).raise_for_status()
        until(
            lambda: sandbox.post("/_sandbox/faults", json={}).json()["next"] == [],
            "a send to be held",
            [worker],
            interval=0.005,
        )
        kill(worker)
    finally:
        stop(worker)
    received = sandbox.get("/_sandbox/calls").json()[channel]
    return received, statuses(database)


def drain(database: Engine, sandbox: httpx.Client, content: Path, folder: Path, total: int) -> None:
    """A fresh worker delivers everything left, then stops cleanly."""
    worker = worker_process(database, str(sandbox.base_url), content, folder / "worker-2.log")
    try:
        until(lambda: statuses(database)["sent"] == total, "every row to be sent", [worker])
    finally:
        assert stop(worker) == 0, (folder / "worker-2.log").read_text()


@pytest.mark.postgres_only
def test_a_worker_killed_mid_send_delivers_every_template_exactly_once(
    postgres: Engine, tmp_path: Path
) -> None:
    total = 2000
    content = content_with_template(tmp_path, "status_update", "tpl-crash", {"thing1": "title"})
    with sandbox_process(tmp_path) as sandbox:
        sandbox.post("/_sandbox/templates", json={"template_id": "tpl-crash"}).raise_for_status()
        openids = residents(postgres, sandbox, total, window=False)
        titles = enqueue_one_each(postgres, openids)

        at_kill, rows_at_kill = kill_while_a_send_is_held(
            postgres, sandbox, "template", content, tmp_path, at=500
        )
        assert 500 < at_kill < 1000
        # Every send but the held one was settled; the rest of the claim is still leased.
        assert rows_at_kill["sent"] == at_kill - 1
        assert rows_at_kill["sending"] >= 2

        drain(postgres, sandbox, content, tmp_path, total)
        received = sandbox.get("/_sandbox/messages", params={"channel": "template"}).json()
        calls = sandbox.get("/_sandbox/calls").json()["template"]

    with Session(postgres) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {(r.status, r.channel) for r in rows} == {("sent", "template")}
    assert len({r.wechat_msg_id for r in rows}) == total
    by_key = Counter((m["touser"], m["payload"]["client_msg_id"]) for m in received)
    duplicates = sum(n - 1 for n in by_key.values())
    assert duplicates == 0
    assert set(by_key) == {(r.recipient, f"linli-{r.id}") for r in rows}
    titles_received = {m["payload"]["client_msg_id"]: m["payload"]["data"] for m in received}
    assert titles_received == {f"linli-{i}": {"thing1": {"value": t}} for i, t in titles.items()}
    retried = calls - total
    assert retried == 1  # the send in flight at the kill, answered from client_msg_id
    print(
        f"\ntemplate crash: killed after {at_kill} received, {rows_at_kill['sending']} rows still "
        f"claimed (the held one and the rest of the batch); received {len(received)} of {total}, "
        f"duplicates {duplicates}, "
        f"template calls {calls}, retried after the kill {retried}"
    )


@pytest.mark.postgres_only
def test_a_worker_killed_mid_send_repeats_only_the_customer_service_message_in_flight(
    postgres: Engine, tmp_path: Path
) -> None:
    total = 200
    with sandbox_process(tmp_path) as sandbox:
        openids = residents(postgres, sandbox, total, window=True)
        titles = enqueue_one_each(postgres, openids)

        at_kill, rows_at_kill = kill_while_a_send_is_held(
            postgres, sandbox, "custom", SHIPPED_CONTENT, tmp_path, at=50
        )
        [*_, held] = sandbox.get("/_sandbox/messages", params={"channel": "custom"}).json()
        assert rows_at_kill["sent"] == at_kill - 1

        drain(postgres, sandbox, SHIPPED_CONTENT, tmp_path, total)
        received = sandbox.get("/_sandbox/messages", params={"channel": "custom"}).json()

    texts = Counter(m["payload"]["text"]["content"] for m in received)
    assert set(texts) == set(titles.values())
    repeated = {text: n for text, n in texts.items() if n > 1}
    assert repeated == {held["payload"]["text"]["content"]: 2}
    print(
        f"\ncustomer-service crash: killed after {at_kill} received; received {len(received)} "
        f"for {total} messages, repeated {sum(n - 1 for n in repeated.values())} (the one held)"
    )
