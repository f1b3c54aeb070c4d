"""Tests for /simulator: the page, and chatting as a resident through the real /wechat path."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.main import create_app
from config.settings import Settings
from store.db import make_engine
from store.inbound.models import InboundMessage
from store.migrate import upgrade
from tests.chat import WORDS, menu_item
from tests.production import PRODUCTION_SECRETS

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
STATIC = Path(__file__).parents[3] / "bot" / "simulator" / "static"
GREETING_MENU = menu_item(1, WORDS.office.title)
THIRD_TOPIC = WORDS.office.topics[2].title  # what "1" then "3" asks about


class Client:
    """A synchronous face on httpx.AsyncClient + ASGITransport (pytest-asyncio is not used)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app in-process."""

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET a path."""
        return self.request("GET", url, **kwargs)

    def send(self, openid: str, kind: str, **extra: Any) -> dict[str, Any]:
        """POST to the simulator's send endpoint and return its 200 JSON answer."""
        response = self.request(
            "POST", "/simulator/api/send", json={"openid": openid, "kind": kind, **extra}
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def database(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    upgrade(engine)
    yield engine
    engine.dispose()


def _settings(database: Engine, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "demo",
        "wechat_token": "testtoken1",
        "database_url": database.url.render_as_string(hide_password=False),
        "wechat_aes_key": "",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(params=["plain", "safe"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def client(database: Engine, mode: str) -> Client:
    settings = _settings(database, wechat_aes_key=AES_KEY if mode == "safe" else "")
    return Client(create_app(settings, database=database))


@pytest.fixture
def plain_client(database: Engine) -> Client:
    return Client(create_app(_settings(database), database=database))


def _modes(database: Engine, openid: str) -> set[str]:
    with database.connect() as connection:
        query = select(InboundMessage.mode).where(InboundMessage.openid == openid)
        return set(connection.execute(query).scalars())


# -- the page ----------------------------------------------------------------------------------


def test_page_loads_only_its_own_assets(plain_client: Client) -> None:
    response = plain_client.get("/simulator")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "邻里 · 模拟器" in html
    assets = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sorted(assets) == ["/simulator/static/simulator.css", "/simulator/static/simulator.js"]
    assert "<style" not in html and "style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, "no inline scripts"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for text in (html, *(p.read_text(encoding="utf-8") for p in STATIC.iterdir())):
        assert re.search(r"https?://", text) is None
        assert "//cdn" not in text and "@import" not in text and "@font-face" not in text


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("simulator.js", "text/javascript"), ("simulator.css", "text/css")],
)
def test_static_assets_are_served(plain_client: Client, name: str, media_type: str) -> None:
    response = plain_client.get(f"/simulator/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.text == (STATIC / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["routes.py", "simulator.html", "..%2Froutes.py", "missing.js"])
def test_only_whitelisted_static_files_are_served(plain_client: Client, name: str) -> None:
    assert plain_client.get(f"/simulator/static/{name}").status_code == 404


# -- chatting through /wechat ------------------------------------------------------------------


def test_subscribe_then_menu_choices_answer_through_wechat(
    client: Client, database: Engine, mode: str
) -> None:
    greeting = client.send("sim-0000abcd", "subscribe")
    assert greeting["status"] == 200
    assert GREETING_MENU in greeting["reply"]

    topics = client.send("sim-0000abcd", "text", text="1")
    assert menu_item(3, THIRD_TOPIC) in topics["reply"]
    answer = client.send("sim-0000abcd", "text", text="3")
    assert answer["status"] == 200
    assert THIRD_TOPIC in answer["reply"]
    assert "\n" in answer["reply"]

    assert _modes(database, "sim-0000abcd") == {mode}


def test_history_returns_the_chat_in_order(client: Client) -> None:
    openid = "sim-0000beef"
    client.send(openid, "subscribe")
    client.send(openid, "text", text="1")
    client.send(openid, "text", text="3")
    client.send(openid, "voice", text="你好")
    client.send(openid, "image")
    client.send(openid, "location", lat=23.1291, lng=113.2644, label="小区门口")

    response = client.get("/simulator/api/history", params={"openid": openid})
    assert response.status_code == 200
    items = response.json()
    assert [item["kind"] for item in items] == [
        "subscribe",
        "text",
        "text",
        "voice",
        "image",
        "location",
    ]
    assert [item["text"] for item in items] == [
        "[关注]",
        "1",
        "3",
        "你好",
        "[图片]",
        "[位置] 小区门口",
    ]
    assert GREETING_MENU in items[0]["reply"]
    assert THIRD_TOPIC in items[2]["reply"]
    assert all(item["at"] for item in items)
    assert client.get("/simulator/api/history", params={"openid": "sim-nobody"}).json() == []


def test_history_keeps_the_last_fifty_oldest_first(plain_client: Client) -> None:
    for n in range(53):
        plain_client.send("sim-00000050", "text", text=f"第{n}条")
    items = plain_client.get("/simulator/api/history", params={"openid": "sim-00000050"}).json()
    assert [item["text"] for item in items] == [f"第{n}条" for n in range(3, 53)]


def test_quick_unsubscribe_and_resubscribe_are_both_handled(plain_client: Client) -> None:
    openid = "demo-zhang"
    plain_client.send(openid, "subscribe")
    assert plain_client.send(openid, "unsubscribe") == {"status": 200, "reply": None, "error": None}
    residents = plain_client.get("/simulator/api/residents").json()
    assert residents == [{"openid": openid, "name": "张阿姨", "subscribed": False}]

    again = plain_client.send(openid, "subscribe")
    assert GREETING_MENU in again["reply"]
    residents = plain_client.get("/simulator/api/residents").json()
    assert residents == [{"openid": openid, "name": "张阿姨", "subscribed": True}]


def test_residents_show_demo_names_or_the_openid_tail(plain_client: Client) -> None:
    assert plain_client.get("/simulator/api/residents").json() == []
    plain_client.send("demo-li", "subscribe")
    plain_client.send("sim-12345678", "subscribe")
    residents = {r["openid"]: r for r in plain_client.get("/simulator/api/residents").json()}
    assert residents["demo-li"]["name"] == "李伯伯"
    assert residents["sim-12345678"]["name"] == "345678"
    assert all(r["subscribed"] for r in residents.values())


def test_a_refused_push_is_reported_with_its_status(database: Engine) -> None:
    app = create_app(_settings(database), database=database)
    services = app.state.services
    # The simulator signs with these settings; the webhook's gate keeps the real token.
    services.settings = services.settings.model_copy(update={"wechat_token": "wrongtoken"})
    answer = Client(app).send("sim-0000dead", "text", text="你好")
    assert answer["status"] == 403
    assert answer["reply"] is None
    assert "signature" in answer["error"]


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"openid": "bad openid!", "kind": "text", "text": "1"}, "openid"),
        ({"openid": "x" * 65, "kind": "text", "text": "1"}, "openid"),
        ({"openid": "sim-1", "kind": "shout", "text": "1"}, "kind"),
        ({"openid": "sim-1", "kind": "text", "text": "字" * 2001}, "text"),
        ({"openid": "sim-1", "kind": "text", "text": "  "}, "text"),
        ({"openid": "sim-1", "kind": "text", "text": "a\x00b"}, "text"),
        ({"openid": "sim-1", "kind": "location", "lat": 91, "lng": 113.2}, "lat"),
        ({"openid": "sim-1", "kind": "location", "lat": 23.1, "lng": -181}, "lng"),
        ({"openid": "sim-1", "kind": "location", "lat": "23.1", "lng": 113.2}, "lat"),
        ({"openid": "sim-1", "kind": "location", "lat": 23.1}, "lng"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    plain_client: Client, database: Engine, body: dict[str, Any], field: str
) -> None:
    response = plain_client.request("POST", "/simulator/api/send", json=body)
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["detail"]]
    assert field in fields
    with database.connect() as connection:
        assert connection.execute(select(InboundMessage.id)).first() is None


def test_history_refuses_a_bad_openid(plain_client: Client) -> None:
    response = plain_client.get("/simulator/api/history", params={"openid": "no spaces"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "openid"


# -- production ----------------------------------------------------------------------------------


def test_simulator_is_absent_in_production(database: Engine) -> None:
    settings = _settings(database, **PRODUCTION_SECRETS)
    client = Client(create_app(settings, database=database))
    for path in ("/simulator", "/simulator/static/simulator.js", "/simulator/api/residents"):
        assert client.get(path).status_code == 404
    response = client.request(
        "POST", "/simulator/api/send", json={"openid": "sim-1", "kind": "subscribe"}
    )
    assert response.status_code == 404
    assert client.get("/healthz").status_code == 200
