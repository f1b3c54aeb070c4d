"""A push Linli accepted is never lost: failures are stored with an apology, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.sandbox.pusher import Pusher
from store.db import make_engine
from store.inbound.models import InboundMessage
from tests.chat import APP_ID, TOKEN, Answers, Sends, open_chat, run, settings_for


def test_a_flow_that_fails_still_stores_the_message_and_apologises(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = open_chat(database)
    engine = chat.client.app.state.services.handler.engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in a flow")

    monkeypatch.setattr(engine, "advance", broken)
    run(chat, [Sends("1"), Answers("系统刚才开了小差", "消息已经记下")])
    with Session(database) as session:
        [message] = session.exec(select(InboundMessage)).all()
    assert message.fields["Content"] == "1"
    assert message.error and "flow failed" in message.error
    monkeypatch.undo()
    run(chat, [Sends("1"), Answers("您想了解哪一项")])  # and the next message works again


def test_an_unreachable_database_answers_503_so_wechat_retries(database: Engine) -> None:
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(settings_for(database), database=unreachable)
    client = TestClient(app, raise_server_exceptions=False)
    pusher = Pusher(token=TOKEN, app_id=APP_ID)
    pushed = pusher.build(pusher.text("o_down", "1"))
    response = client.post("/wechat", params=pushed.params, content=pushed.body)
    assert response.status_code == 503
    assert client.get("/readyz").status_code == 503


@pytest.mark.postgres_only
def test_pooled_connections_killed_by_a_database_restart_are_replaced(postgres: Engine) -> None:
    chat = open_chat(postgres)
    run(chat, [Sends("1"), Answers("您想了解哪一项")])
    killer = make_engine(postgres.url.render_as_string(hide_password=False), poolclass=NullPool)
    with killer.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    run(chat, [Sends("3"), Answers("【联系电话】")])  # the guide's third topic
