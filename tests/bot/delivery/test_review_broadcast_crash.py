"""A 20,000-reminder broadcast of the annual review (独生子女年审), planned by the review planner,
delivered as templates by a real `linli worker` into the standalone sandbox — and the worker
SIGKILLed twice while a send is held: after the restarts every resident has her reminder
exactly once (the send in flight at each kill is repeated under its client_msg_id and answered
from it), and every outbox row ends sent.

Real processes on PostgreSQL, like tests/bot/delivery/test_delivery_crash.py.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.content import load_content
from store.binding.models import ResidentBinding
from store.db import unit_of_work
from store.outbox.models import OutboxMessage
from store.registry import bulk
from store.registry.models import Resident, ResidentTag
from store.residents.models import WeChatUser
from store.reviews.models import REMINDED, ReviewRecord
from store.reviews.planner import plan
from store.staff import accounts
from tests.bot.delivery.crash_rig import (
    content_with_template,
    kill,
    sandbox_process,
    stop,
    worker_process,
)
from tests.processes import until

TOTAL = 20_000
TEMPLATE = "tpl-review-crash"
TZ = ZoneInfo("Asia/Shanghai")
HOLD_SECONDS = 30.0  # the sandbox holds the answer to one send this long: the kill lands then
DEADLINE = 600.0  # seconds a stage may take on a slow machine before the test gives up


def openid(i: int) -> str:
    """The i-th resident's openid."""
    return f"o_review_crash_{i:06d}"


def content(folder: Path) -> Path:
    """The shipped content with review_reminder on a template and 独生子女年审's window, which
    the committee fills in, open all year."""
    copied = content_with_template(folder, "review_reminder", TEMPLATE, {"first": "text"})
    path = copied / "reviews" / "family_planning_review.yaml"
    programme = yaml.safe_load(path.read_text(encoding="utf-8"))
    programme["window"].update(opens="01-01", closes="12-31", age_on="12-31")
    path.write_text(yaml.safe_dump(programme, allow_unicode=True), encoding="utf-8")
    return copied


def due_residents(database: Engine) -> None:
    """TOTAL women born 1940–1953 (past 55, and none turning 70: no 长寿金 reminder) with the
    独生子女 tag, each bound herself and following, who have not written for a month (so no
    48-hour window: a template); written with COPY."""
    then = datetime.now(UTC) - timedelta(days=30)
    with unit_of_work(database) as session:
        district = accounts.sub_district(session, "示例街道")
        committee_id = accounts.committee(session, district, "东风社区居委会").id
        ids = bulk.reserve_ids(session, Resident, TOTAL)
        bulk.copy_rows(session, Resident, (
            {"id": rid, "committee_id": committee_id, "name": f"居民{i:05d}", "gender": "female",
             "birth_date": date(1940, 1, 1) + timedelta(days=i % 5000),
             "residence_status": "registered", "notes": "", "created_at": then,
             "updated_at": then}
            for i, rid in enumerate(ids)
        ))  # fmt: skip
        bulk.copy_rows(session, ResidentTag,
                       ({"resident_id": rid, "tag": "only_child"} for rid in ids))  # fmt: skip
        bulk.copy_rows(session, ResidentBinding, (
            {"openid": openid(i), "resident_id": rid, "committee_id": committee_id,
             "kind": "self", "status": "active", "requested_at": then, "decided_at": then}
            for i, rid in enumerate(ids)
        ))  # fmt: skip
        bulk.copy_rows(session, WeChatUser, (
            {"openid": openid(i), "subscribed": True, "first_seen": then, "last_seen": then,
             "last_message_at": then, "subscribed_at": then}
            for i in range(TOTAL)
        ))  # fmt: skip
    with database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("resident", "resident_tag", "resident_binding", "wechat_user"):
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


async def _follow(base: str) -> None:
    """Every resident follows the account in the sandbox (16 requests at a time)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        pending = iter(range(TOTAL))

        async def one() -> None:
            for i in pending:
                for attempt in range(3):
                    # A kept-alive connection the sandbox closed meanwhile: try a new one.
                    try:
                        answer = await client.post("/_sandbox/followers",
                                                   json={"openid": openid(i)})  # fmt: skip
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                answer.raise_for_status()

        await asyncio.gather(*(one() for _ in range(16)))


def statuses(database: Engine) -> Counter[str]:
    """Outbox rows per status."""
    with Session(database) as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return Counter(dict(session.exec(query).all()))


def calls(sandbox: httpx.Client) -> int:
    """Template calls the sandbox has answered (repeats included)."""
    return int(sandbox.get("/_sandbox/calls").json()["template"])


def kill_while_a_send_is_held(
    database: Engine, sandbox: httpx.Client, copied: Path, log: Path, at: int
) -> tuple[int, Counter[str]]:
    """Run a worker until the sandbox has `at` templates, hold the answer to its next send and
    SIGKILL it while it waits; how many calls the sandbox had then, and the row statuses."""
    # Claims of 1,000 rows: the kill lands inside a batch, with claimed rows not yet sent.
    worker = worker_process(database, str(sandbox.base_url), copied, log,
                            delivery_batch="1000", wechat_api_timeout_seconds="60")  # fmt: skip
    try:
        until(lambda: calls(sandbox) >= at, f"{at} templates", [worker], deadline=DEADLINE,
              interval=0.01, log=log)  # fmt: skip
        hold = {"next": [{"timeout": True, "delivered": True}], "timeout_seconds": HOLD_SECONDS}
        sandbox.post("/_sandbox/faults", json=hold).raise_for_status()
        until(lambda: sandbox.post("/_sandbox/faults", json={}).json()["next"] == [],
              "a send to be held", [worker], interval=0.005, log=log)  # fmt: skip
        kill(worker)
    finally:
        stop(worker)
    return calls(sandbox), statuses(database)


@pytest.mark.postgres_only
def test_a_worker_killed_twice_during_a_review_broadcast_delivers_each_reminder_once(
    postgres: Engine, tmp_path: Path
) -> None:
    started = time.monotonic()
    copied = content(tmp_path)
    reviews = load_content(copied).reviews
    due_residents(postgres)
    with unit_of_work(postgres) as session:
        planned = plan(session, reviews, now=datetime.now(UTC), tz=TZ)
    assert (planned.created, planned.reminders, planned.reminded) == (TOTAL, TOTAL, TOTAL)
    planned_at = time.monotonic()
    with sandbox_process(tmp_path) as sandbox:
        sandbox.post("/_sandbox/templates", json={"template_id": TEMPLATE}).raise_for_status()
        asyncio.run(_follow(str(sandbox.base_url)))
        ready = time.monotonic()

        kills: list[tuple[int, Counter[str]]] = []
        # Both kills land inside a claim of 1,000 (the second worker's claims start at row
        # 4,500 or 5,000, depending on whether the dead worker's lease had run out).
        for n, at in enumerate((4_500, 10_200), start=1):
            kills.append(kill_while_a_send_is_held(postgres, sandbox, copied,
                                                   tmp_path / f"worker-{n}.log", at))  # fmt: skip
        for n, ((at_kill, rows), before) in enumerate(zip(kills, (0, kills[0][0]), strict=True)):
            assert before < at_kill < TOTAL
            # Every call settled its row but the held ones (one per kill so far): the first
            # kill's was repeated after it, and that repeat settled its row. The rest of the
            # claim is still leased to the dead worker.
            assert rows["sent"] == at_kill - (n + 1)
            assert rows["sending"] >= 2

        last = worker_process(postgres, str(sandbox.base_url), copied, tmp_path / "worker-3.log")
        try:
            until(lambda: statuses(postgres)["sent"] == TOTAL, "every reminder to be sent",
                  [last], deadline=DEADLINE, log=tmp_path / "worker-3.log")  # fmt: skip
        finally:
            assert stop(last) == 0, (tmp_path / "worker-3.log").read_text()
        received = sandbox.get("/_sandbox/messages", params={"channel": "template"},
                               timeout=120).json()  # fmt: skip
        template_calls = calls(sandbox)
        delivered = time.monotonic()

    with Session(postgres) as session:
        rows = session.exec(select(OutboxMessage)).all()
        states = Counter(session.exec(select(ReviewRecord.state)).all())
    assert {(r.kind, r.status, r.channel) for r in rows} == {
        ("review_reminder", "sent", "template")
    }
    assert len(rows) == TOTAL and len({r.wechat_msg_id for r in rows}) == TOTAL
    assert states == {REMINDED: TOTAL}
    # Each resident got her reminder once: one template per (openid, client_msg_id), one per
    # openid, and the one her outbox row names.
    by_key = Counter((m["touser"], m["payload"]["client_msg_id"]) for m in received)
    duplicates = sum(n - 1 for n in by_key.values())
    assert duplicates == 0
    assert Counter(m["touser"] for m in received) == Counter({openid(i): 1 for i in range(TOTAL)})
    assert set(by_key) == {(r.recipient, f"linli-{r.id}") for r in rows}
    texts: dict[str, Any] = {m["payload"]["client_msg_id"]: m["payload"]["data"] for m in received}
    assert texts == {f"linli-{r.id}": {"first": {"value": r.payload["text"]}} for r in rows}
    assert all("独生子女年审" in r.payload["text"] for r in rows)
    assert template_calls - TOTAL == 2  # each kill's send in flight, answered from its id
    print(
        f"\nreview broadcast crash: {TOTAL} reminders planned; killed after {kills[0][0]} and "
        f"{kills[1][0]} template calls ({kills[0][1]['sending']} and {kills[1][1]['sending']} "
        f"rows still claimed); received {len(received)}, duplicates {duplicates}, template "
        f"calls {template_calls}; residents and planning {planned_at - started:.0f} s, following "
        f"in the sandbox {ready - planned_at:.0f} s, delivering {delivered - ready:.0f} s"
    )
