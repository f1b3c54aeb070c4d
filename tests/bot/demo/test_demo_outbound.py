"""In demo mode a message queued for a resident is delivered through the in-process sandbox and
shows up in the simulator's chat."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from store.db import unit_of_work
from store.outbox import messages as outbox
from tests.chat import settings_for


def test_a_queued_message_reaches_the_simulator_chat(database: Engine) -> None:
    app = create_app(settings_for(database, "safe", env="demo", quiet_hours="00:00-00:00"),
                     database=database)  # fmt: skip
    with TestClient(app) as client:  # runs the demo worker and scheduler
        hello = {"openid": "demo-zhang", "kind": "text", "text": "你好"}
        said = client.post("/simulator/api/send", json=hello)
        assert said.status_code == 200 and said.json()["reply"]
        with unit_of_work(database) as session:
            outbox.enqueue(session, key="demo:1", audience="resident", recipient="demo-zhang",
                           kind="staff_reply", payload={"text": "张阿姨，您的材料已收到。"},
                           now=datetime.now(UTC))  # fmt: skip
        client.portal.call(app.state.demo_worker.tick)
        shown = client.get("/simulator/api/outbound", params={"openid": "demo-zhang"}).json()
        assert [(m["channel"], m["text"]) for m in shown] == [
            ("custom", "张阿姨，您的材料已收到。")
        ]
        after = {"openid": "demo-zhang", "after": shown[0]["id"]}
        later = client.get("/simulator/api/outbound", params=after).json()
        assert later == []
