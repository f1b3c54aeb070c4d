"""The WeCom group robot (企业微信群机器人): one POST to its webhook URL per message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import httpx

from bot.wechat.api import DEFAULT_TIMEOUT, JSON_HEADERS, json_bytes
from bot.wechat.errors import checked, transport_errors


class WeComRobot:
    """Posts text and markdown to a staff group; the URL's key is the credential, never logged."""

    def __init__(self, http: httpx.AsyncClient, url: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.http = http
        self.url = url
        self.timeout = timeout

    async def send_text(self, content: str, mentioned: Sequence[str] = ()) -> None:
        """A text message (≤2048 bytes), mentioning WeCom userids or "@all"."""
        text: dict[str, Any] = {"content": content}
        if mentioned:
            text["mentioned_list"] = list(mentioned)
        await self._post({"msgtype": "text", "text": text})

    async def send_markdown(self, content: str) -> None:
        """A markdown message (≤4096 bytes; mention people with <@userid> in the content)."""
        await self._post({"msgtype": "markdown", "markdown": {"content": content}})

    async def _post(self, body: dict[str, Any]) -> None:
        with transport_errors("WeCom robot"), anyio.fail_after(self.timeout):
            response = await self.http.post(
                self.url, content=json_bytes(body), headers=JSON_HEADERS, timeout=self.timeout
            )
        checked(response)
