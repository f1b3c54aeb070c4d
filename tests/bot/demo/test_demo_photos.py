"""In demo mode a photo sent from the simulator is held by the sandbox, as WeChat holds what a
resident sends, so the report's photo can be downloaded like a real one."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from store.reports.models import ReportPhoto
from tests.chat import settings_for
from tests.report_helpers import seed


def test_a_simulator_photo_is_a_real_picture_the_sandbox_can_hand_out(database: Engine) -> None:
    seed(database)
    app = create_app(settings_for(database, "safe", env="demo"), database=database)
    with TestClient(app) as client:

        def send(kind: str, text: str = "") -> str:
            body = {"openid": "demo-zhang", "kind": kind, "text": text}
            answer = client.post("/simulator/api/send", json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()["reply"] or ""

        for text in ("我要报事", "7", "楼道灯坏了", "3栋"):
            send("text", text)
        assert "已收到第1张照片" in send("image")
        send("text", "好了")
        assert "已提交" in send("text", "1")
    with Session(database) as session:
        [photo] = session.exec(select(ReportPhoto)).all()
    held = app.state.demo_sandbox.state.sandbox.media[photo.media_id]
    assert held.content_type == "image/png"
    assert held.data.startswith(b"\x89PNG\r\n\x1a\n")
