"""The WeChat API client against the sandbox: every endpoint, every error, timeouts, tokens."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from bot.sandbox import create_sandbox
from bot.wechat import errors
from bot.wechat.api import WeChatAPI
from bot.wechat.errors import WeChatAPIError, WeChatTimeout, error_for
from bot.wechat.robot import WeComRobot
from bot.wechat.tokens import SharedTokens
from store.db import unit_of_work
from store.outbox import access_token as stored_tokens

APP_ID = "wxlinlitest000001"
SECRET = "linli-test-secret"
BASE = "http://sandbox"


class Clock:
    """The client's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward."""
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    """A sandbox in-process, an HTTP client to it, and a WeChatAPI on the shared token row."""

    http: httpx.AsyncClient
    database: Engine
    clock: Clock = field(default_factory=Clock)
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self.api = self.new_api()

    def new_api(self, secret: str = SECRET) -> WeChatAPI:
        """Another client with its own token memory, as another process would have."""
        tokens = SharedTokens(self.database, APP_ID, clock=self.clock)
        return WeChatAPI(
            self.http,
            base_url=BASE,
            app_id=APP_ID,
            app_secret=secret,
            tokens=tokens,
            timeout=self.timeout,
        )

    def robot(self, key: str) -> WeComRobot:
        """A robot client for a webhook key."""
        return WeComRobot(self.http, f"{BASE}/cgi-bin/webhook/send?key={key}", timeout=self.timeout)

    async def ctl(self, path: str, body: Any = None) -> Any:
        """POST to the sandbox's control API."""
        response = await self.http.post(f"/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def look(self, path: str, **params: Any) -> Any:
        """GET from the sandbox's control API."""
        response = await self.http.get(f"/_sandbox/{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def stored(self) -> stored_tokens.StoredToken | None:
        """The token row."""
        with unit_of_work(self.database) as session:
            return stored_tokens.read(session, APP_ID)


Scenario = Callable[[Rig], Awaitable[Any]]


def run(database: Engine, scenario: Scenario, *, timeout: float = 5.0, app: FastAPI | None = None):
    """Run a scenario against a fresh sandbox; returns what it returns."""
    sandbox = app or create_sandbox(app_id=APP_ID, app_secret=SECRET)

    async def go() -> Any:
        transport = httpx.ASGITransport(app=sandbox)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            return await scenario(Rig(http, database, timeout=timeout))

    return asyncio.run(go())


# -- every endpoint ----------------------------------------------------------------------------


def test_send_text_arrives_with_chinese_unescaped(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("interactions", {"openid": "o-wang"})
        await rig.api.send_text("o-wang", "你好，王阿姨：明天请带户口本。")
        [message] = await rig.look("messages", touser="o-wang")
        assert message["payload"]["text"]["content"] == "你好，王阿姨：明天请带户口本。"
        raw = message["raw"].encode()
        assert "你好".encode() in raw and b"\\u" not in raw

    run(database, scenario)


def test_send_news(database: Engine) -> None:
    article = {"title": "年审须知", "description": "带齐材料", "url": "https://x", "picurl": ""}

    async def scenario(rig: Rig) -> None:
        await rig.ctl("interactions", {"openid": "o1"})
        await rig.api.send_news("o1", [article])
        [message] = await rig.look("messages", touser="o1")
        assert message["msgtype"] == "news"
        assert message["payload"]["news"]["articles"] == [article]

    run(database, scenario)


def test_send_template_returns_the_msgid(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("followers", {"openid": "o1", "subscribed": True})
        await rig.ctl("templates", {"template_id": "TPL-review"})
        data = {"thing1": {"value": "计划生育年审"}, "time2": {"value": "2026-12-01"}}
        first = await rig.api.send_template("o1", "TPL-review", data, url="https://linli.example")
        second = await rig.api.send_template("o1", "TPL-review", data)
        assert isinstance(first, int) and second > first
        sent = await rig.look("messages", channel="template")
        assert sent[0]["payload"] == {
            "touser": "o1",
            "template_id": "TPL-review",
            "data": data,
            "url": "https://linli.example",
        }
        assert "url" not in sent[1]["payload"]
        assert "计划生育".encode() in sent[0]["raw"].encode()

    run(database, scenario)


def test_send_subscription(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("followers", {"openid": "o1", "subscribed": True})
        await rig.ctl("consents", {"openid": "o1", "template_id": "SUB1", "accepted": True})
        data = {"thing1": {"value": "您的报修已受理"}}
        await rig.api.send_subscription("o1", "SUB1", data, page="pages/report?id=3")
        [message] = await rig.look("messages", channel="subscribe")
        assert message["payload"]["page"] == "pages/report?id=3"
        assert message["payload"]["data"] == data

    run(database, scenario)


def test_download_media(database: Engine) -> None:
    photo = b"\xff\xd8\xff\xe0 a photo of a broken lamp"

    async def scenario(rig: Rig) -> None:
        encoded = base64.b64encode(photo).decode()
        await rig.ctl(
            "media", {"media_id": "M1", "content_type": "image/jpeg", "data_base64": encoded}
        )
        assert await rig.api.download_media("M1") == (photo, "image/jpeg")
        with pytest.raises(errors.InvalidMedia) as caught:
            await rig.api.download_media("M-unknown")
        assert caught.value.errcode == 40007

    run(database, scenario)


def test_user_info(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("followers", {"openid": "o1", "subscribed": True})
        info = await rig.api.user_info("o1")
        assert info["subscribe"] == 1 and info["openid"] == "o1"
        assert await rig.api.user_info("o-stranger") == {"subscribe": 0, "openid": "o-stranger"}

    run(database, scenario)


def test_create_menu(database: Engine) -> None:
    menu = {
        "button": [
            {"type": "click", "name": "办事指南", "key": "GUIDE"},
            {
                "name": "更多",
                "sub_button": [{"type": "view", "name": "居委会", "url": "https://x"}],
            },
        ]
    }

    async def scenario(rig: Rig) -> None:
        await rig.api.create_menu(menu)
        assert await rig.look("menu") == {"menu": menu}
        with pytest.raises(errors.InvalidMenu) as caught:
            await rig.api.create_menu({"button": [{"type": "click", "name": "字" * 6, "key": "K"}]})
        assert caught.value.errcode == 40018

    run(database, scenario)


# -- errors ------------------------------------------------------------------------------------


async def _stranger(rig: Rig) -> None:
    await rig.api.send_text("o-stranger", "x")


async def _no_window(rig: Rig) -> None:
    await rig.ctl("followers", {"openid": "o1", "subscribed": True})
    await rig.api.send_text("o1", "x")


async def _quota(rig: Rig) -> None:
    await rig.ctl("interactions", {"openid": "o1"})
    for i in range(5):
        await rig.api.send_text("o1", f"第{i + 1}条")
    await rig.api.send_text("o1", "第6条")


async def _too_long(rig: Rig) -> None:
    await rig.ctl("interactions", {"openid": "o1"})
    await rig.api.send_text("o1", "字" * 683)


async def _template(rig: Rig) -> None:
    await rig.ctl("followers", {"openid": "o1", "subscribed": True})
    await rig.api.send_template("o1", "TPL-unregistered", {})


async def _consent(rig: Rig) -> None:
    await rig.ctl("followers", {"openid": "o1", "subscribed": True})
    await rig.api.send_subscription("o1", "SUB1", {})


async def _bad_openid(rig: Rig) -> None:
    await rig.api.send_text("", "x")


async def _media(rig: Rig) -> None:
    await rig.api.download_media("M-unknown")


async def _robot_key(rig: Rig) -> None:
    await rig.robot("k-unknown").send_text("x")


def _injected(errcode: int, times: int = 1) -> Scenario:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("interactions", {"openid": "o1"})
        await rig.api.user_info("o1")  # a token first: faults only hit the sending endpoints
        await rig.ctl("faults", {"next": [{"errcode": errcode}] * times})
        await rig.api.send_text("o1", "x")

    return scenario


ERROR_CASES = [
    (_stranger, errors.NotFollowing, 43004),
    (_no_window, errors.WindowClosed, 45015),
    (_quota, errors.QuotaUsed, 45047),
    (_too_long, errors.ContentTooLong, 45002),
    (_template, errors.InvalidTemplate, 40037),
    (_consent, errors.ConsentMissing, 43101),
    (_bad_openid, errors.InvalidOpenId, 40003),
    (_media, errors.InvalidMedia, 40007),
    (_robot_key, errors.RobotKeyInvalid, 93000),
    (_injected(-1), errors.SystemBusy, -1),
    (_injected(45009), errors.RateLimited, 45009),
    (_injected(48001), errors.NotAuthorised, 48001),
    (_injected(40001, times=2), errors.TokenInvalid, 40001),
    (_injected(40099), WeChatAPIError, 40099),
]


@pytest.mark.parametrize(("scenario", "error", "errcode"), ERROR_CASES)
def test_wechat_errors_raise_their_exception(
    database: Engine, scenario: Scenario, error: type[WeChatAPIError], errcode: int
) -> None:
    async def check(rig: Rig) -> None:
        with pytest.raises(error) as caught:
            await scenario(rig)
        assert type(caught.value) is error
        assert caught.value.errcode == errcode and caught.value.errmsg

    run(database, check)


def test_error_for_maps_every_code() -> None:
    expected = {
        -1: errors.SystemBusy,
        40001: errors.TokenInvalid,
        40014: errors.TokenInvalid,
        42001: errors.TokenInvalid,
        40003: errors.InvalidOpenId,
        40007: errors.InvalidMedia,
        40013: errors.InvalidCredentials,
        40125: errors.InvalidCredentials,
        40018: errors.InvalidMenu,
        40025: errors.InvalidMenu,
        40037: errors.InvalidTemplate,
        43004: errors.NotFollowing,
        43101: errors.ConsentMissing,
        45002: errors.ContentTooLong,
        45009: errors.RateLimited,
        45015: errors.WindowClosed,
        45047: errors.QuotaUsed,
        48001: errors.NotAuthorised,
        93000: errors.RobotKeyInvalid,
        12345: WeChatAPIError,
    }
    for errcode, cls in expected.items():
        error = error_for(errcode, "msg")
        assert type(error) is cls and error.errcode == errcode and error.errmsg == "msg"
    assert {cls for cls in expected.values() if cls.retryable} == {
        errors.SystemBusy,
        errors.RateLimited,
    }
    assert WeChatTimeout("x").errcode is None and WeChatTimeout.retryable


def test_a_slow_answer_is_a_timeout(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("interactions", {"openid": "o1"})
        await rig.ctl("robots", {"key": "k1"})
        await rig.api.user_info("o1")
        slow = {"next": [{"timeout": True}, {"timeout": True}], "timeout_seconds": 30}
        await rig.ctl("faults", slow)
        with pytest.raises(WeChatTimeout) as caught:
            await rig.api.send_text("o1", "x")
        assert caught.value.errcode is None
        with pytest.raises(WeChatTimeout):
            await rig.robot("k1").send_text("x")
        assert await rig.look("messages") == []
        await rig.api.send_text("o1", "after")
        assert len(await rig.look("messages")) == 1

    run(database, scenario, timeout=0.2)


def _broken(handler: Callable[[httpx.Request], httpx.Response]) -> Scenario:
    async def scenario(rig: Rig) -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            tokens = SharedTokens(rig.database, APP_ID)
            api = WeChatAPI(http, base_url=BASE, app_id=APP_ID, app_secret=SECRET, tokens=tokens)
            await api.send_text("o1", "x")

    return scenario


def test_a_connection_failure_is_a_timeout(database: Engine) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(WeChatTimeout):
        run(database, _broken(refuse))


def test_an_http_error_page_is_a_retryable_bad_answer(database: Engine) -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "tok-secret-1", "expires_in": 7200})
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    with pytest.raises(errors.BadAnswer) as caught:
        run(database, _broken(proxy))
    assert caught.value.retryable and "tok-secret-1" not in str(caught.value)


# -- the shared access token -------------------------------------------------------------------


def test_the_token_is_fetched_once_and_shared_through_the_database(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("interactions", {"openid": "o1"})
        await rig.api.send_text("o1", "一")
        stored = rig.stored()
        assert stored is not None and stored.refreshes == 1 and stored.token
        assert stored.expires_at == rig.clock.now + timedelta(seconds=7200)
        await rig.new_api().send_text("o1", "二")
        assert (await rig.look("calls"))["stable_token"] == 1

    run(database, scenario)


def test_concurrent_calls_in_one_process_fetch_once(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        for i in range(5):
            await rig.ctl("interactions", {"openid": f"o{i}"})
        await asyncio.gather(*(rig.api.send_text(f"o{i}", "x") for i in range(5)))
        await asyncio.gather(*(rig.new_api().user_info(f"o{i}") for i in range(5)))
        assert (await rig.look("calls"))["stable_token"] == 1

    run(database, scenario)


def test_an_expired_token_is_refreshed_once_and_the_call_retried(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("interactions", {"openid": "o1"})
        other = rig.new_api()
        await rig.api.send_text("o1", "一")
        await other.send_text("o1", "二")
        old = rig.stored()
        await rig.ctl("faults", {"expire_tokens": True})
        await rig.api.send_text("o1", "三")
        await other.send_text("o1", "四")
        calls = await rig.look("calls")
        assert calls["stable_token"] == 2
        assert calls["custom"] == 6  # 2 + 2 refused for the expired token + 2 retries
        new = rig.stored()
        assert new is not None and old is not None
        assert new.refreshes == 2 and new.token != old.token
        sent = await rig.look("messages", touser="o1")
        assert [m["payload"]["text"]["content"] for m in sent] == ["一", "二", "三", "四"]

    run(database, scenario)


def test_a_token_due_within_five_minutes_is_renewed_before_use(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("followers", {"openid": "o1", "subscribed": True})
        await rig.api.user_info("o1")
        old = rig.stored()
        assert old is not None
        rig.clock.advance(7200 - 299)
        await rig.ctl("clock", {"advance_seconds": 7200 - 299})
        await rig.api.user_info("o1")
        new = rig.stored()
        assert new is not None and new.token != old.token and new.refreshes == 2
        # Renewed in normal mode, not forced: the old token still works until it expires.
        params = {"access_token": old.token, "openid": "o1"}
        answer = (await rig.http.get("/cgi-bin/user/info", params=params)).json()
        assert answer["subscribe"] == 1

    run(database, scenario)


def test_a_failed_refresh_lets_go_of_the_lock(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("followers", {"openid": "o1", "subscribed": True})
        with pytest.raises(errors.InvalidCredentials):
            await rig.new_api(secret="wrong").user_info("o1")
        assert (await rig.api.user_info("o1"))["subscribe"] == 1
        stored = rig.stored()
        assert stored is not None and stored.refreshes == 1

    run(database, scenario)


# -- WeCom group robot -------------------------------------------------------------------------


def test_robot_text_and_markdown(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("robots", {"key": "k1"})
        robot = rig.robot("k1")
        await robot.send_text("新报修：3栋路灯坏了", mentioned=["zhangsan", "@all"])
        await robot.send_markdown("**新工单** <font color='warning'>紧急</font>")
        text, markdown = await rig.look("messages", key="k1")
        assert text["payload"]["text"] == {
            "content": "新报修：3栋路灯坏了",
            "mentioned_list": ["zhangsan", "@all"],
        }
        assert "新报修".encode() in text["raw"].encode()
        assert markdown["msgtype"] == "markdown"
        with pytest.raises(errors.ContentTooLong):
            await robot.send_text("x" * 2049)

    run(database, scenario)


def test_robot_rate_limit(database: Engine) -> None:
    async def scenario(rig: Rig) -> None:
        await rig.ctl("robots", {"key": "k1"})
        robot = rig.robot("k1")
        for i in range(20):
            await robot.send_text(f"#{i}")
        with pytest.raises(errors.RateLimited):
            await robot.send_text("#21")
        await rig.ctl("clock", {"advance_seconds": 60})
        await robot.send_text("#21 again")

    run(database, scenario)
