"""WeChat retries and simultaneous identical pushes run the flow once and get one reply."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.main import create_app
from bot.sandbox.pusher import Pusher
from store.inbound.models import InboundMessage
from store.residents.models import Conversation, HumanRequest
from tests.chat import APP_ID, MODES, TOKEN, WORDS, settings_for


def _count(database: Engine, model: type, **where: object) -> int:
    with Session(database) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.exec(query).one()


async def _post_all(app: object, requests: list[tuple[dict, bytes]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat") as client:
        return await asyncio.gather(
            *(client.post("/wechat", params=params, content=body) for params, body in requests)
        )


@pytest.mark.parametrize("mode", MODES)
def test_a_retried_message_gets_the_stored_reply_and_runs_nothing(
    database: Engine, mode: str
) -> None:
    app = create_app(settings_for(database, mode), database=database)
    pusher = Pusher(token=TOKEN, app_id=APP_ID, aes_key=app.state.services.settings.wechat_aes_key)
    fields = pusher.text("o_retry", "人工")
    first = pusher.build(fields)
    retry = pusher.build(fields)  # WeChat's retry: same MsgId, fresh signature
    [r1] = asyncio.run(_post_all(app, [(first.params, first.body)]))
    [r2] = asyncio.run(_post_all(app, [(retry.params, retry.body)]))
    assert pusher.read_reply(r1.text)["Content"] == pusher.read_reply(r2.text)["Content"]
    assert WORDS.bot.human_requested in pusher.read_reply(r2.text)["Content"]
    assert _count(database, InboundMessage) == 1
    assert _count(database, HumanRequest) == 1


def test_a_retried_event_is_recognised_by_sender_and_time(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    pusher = Pusher(token=TOKEN, app_id=APP_ID)
    fields = pusher.event("o_event", "subscribe")
    pushes = [pusher.build(fields), pusher.build(fields)]
    responses = asyncio.run(_post_all(app, [(p.params, p.body) for p in pushes]))
    assert [r.status_code for r in responses] == [200, 200]
    assert _count(database, InboundMessage) == 1


def test_identical_pushes_at_the_same_moment_are_stored_once_and_run_once(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    pusher = Pusher(token=TOKEN, app_id=APP_ID)
    pushed = pusher.build(pusher.text("o_race", "人工"))
    responses = asyncio.run(_post_all(app, [(pushed.params, pushed.body)] * 12))
    assert {r.status_code for r in responses} == {200}
    replies = {pusher.read_reply(r.text)["Content"] for r in responses}
    assert len(replies) == 1 and WORDS.bot.human_requested in replies.pop()
    assert _count(database, InboundMessage) == 1
    assert _count(database, HumanRequest, openid="o_race") == 1


def test_different_messages_from_one_new_resident_at_once_are_all_handled(database: Engine) -> None:
    app = create_app(settings_for(database), database=database)
    pusher = Pusher(token=TOKEN, app_id=APP_ID)
    pushes = [pusher.build(pusher.text("o_burst", text)) for text in ("1", "你好", "菜单", "2")]
    responses = asyncio.run(_post_all(app, [(p.params, p.body) for p in pushes]))
    assert {r.status_code for r in responses} == {200}
    assert _count(database, InboundMessage, openid="o_burst") == 4
    assert _count(database, InboundMessage, error=None) == 4
    assert _count(database, Conversation, openid="o_burst") == 1
