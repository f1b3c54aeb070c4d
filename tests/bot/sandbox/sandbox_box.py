"""A WeChat sandbox in-process with a synchronous face, for the sandbox's own tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from bot.sandbox import create_sandbox

APP_ID = "wxsandbox00000001"
SECRET = "sandbox-secret"
CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
SUBSCRIBE = "/cgi-bin/message/subscribe/bizsend"
ROBOT = "/cgi-bin/webhook/send"
HOUR = 3600


class Box:
    """A sandbox in-process, with a synchronous face (pytest-asyncio is not used)."""

    def __init__(self, app: FastAPI | None = None, prefix: str = "") -> None:
        self.app = app or create_sandbox(app_id=APP_ID, app_secret=SECRET)
        self.prefix = prefix

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request to the sandbox."""

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
                return await c.request(method, self.prefix + url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **params: Any) -> Any:
        """GET and return the JSON of a 200 answer."""
        response = self.request("GET", url, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, url: str, body: Any = None, **params: Any) -> Any:
        """POST JSON and return the JSON of a 200 answer."""
        response = self.request("POST", url, json=body, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def token(self, force: bool = False) -> str:
        """A stable access token."""
        body = {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}
        return self.post("/cgi-bin/stable_token", {**body, "force_refresh": force})["access_token"]

    def text(self, token: str, openid: str, content: str = "您好") -> Any:
        """Send a customer-service text; returns WeChat's answer."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        return self.post(CUSTOM, body, access_token=token)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock."""
        self.post("/_sandbox/clock", {"advance_seconds": seconds})

    def errcode(self, answer: dict[str, Any]) -> int:
        """The answer's errcode (0 when WeChat leaves it out on success)."""
        return answer.get("errcode", 0)


def valid(box: Box, token: str) -> int:
    """user/info's errcode for a token: 0 while the token is good."""
    return box.errcode(box.get("/cgi-bin/user/info", access_token=token, openid="o-any"))
