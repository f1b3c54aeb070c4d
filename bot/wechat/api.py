"""The WeChat Official Account API client Linli uses for outbound calls (httpx, async)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import httpx

from bot.wechat.errors import TokenInvalid, checked, transport_errors
from bot.wechat.tokens import FetchedToken, TokenSource

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
DEFAULT_TIMEOUT = 5.0
# Media answers in these types are WeChat's JSON (an error, or a video's download URL).
_JSON_TYPES = ("application/json", "text/plain")


def json_bytes(body: Any) -> bytes:
    """JSON as UTF-8 with Chinese unescaped (WeChat has refused \\uXXXX escapes in menus)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _media(response: httpx.Response) -> tuple[bytes, str]:
    content_type = response.headers.get("content-type", "")
    if response.status_code != 200 or content_type.startswith(_JSON_TYPES):
        checked(response)
    return response.content, content_type


class WeChatAPI:
    """Customer-service, template and subscription messages, media, user info and the menu.

    The caller owns `http` (an httpx.AsyncClient). Every request carries an explicit timeout and
    a deadline; a call WeChat refuses raises the WeChatAPIError subclass of its errcode.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        tokens: TokenSource,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.tokens = tokens
        self.timeout = timeout

    # -- messages ----------------------------------------------------------------------------

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (inside the resident's 48-hour window)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        await self._call("POST", "/cgi-bin/message/custom/send", body=body)

    async def send_news(self, openid: str, articles: Sequence[Mapping[str, str]]) -> None:
        """A customer-service news message: articles with title, description, url, picurl."""
        body = {"touser": openid, "msgtype": "news", "news": {"articles": list(articles)}}
        await self._call("POST", "/cgi-bin/message/custom/send", body=body)

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        url: str | None = None,
        client_msg_id: str | None = None,
    ) -> int:
        """A template message; returns WeChat's msgid (the delivery report refers to it)."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": dict(data)}
        if url:
            body["url"] = url
        # 防重入id: WeChat sends one message per openid + client_msg_id within 10 minutes, so a
        # send repeated under the same id is not duplicated.
        if client_msg_id is not None:
            body["client_msg_id"] = client_msg_id
        answer = await self._call("POST", "/cgi-bin/message/template/send", body=body)
        return int(answer["msgid"])

    async def send_subscription(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        page: str | None = None,
    ) -> None:
        """A subscription notification (the resident must have accepted the template)."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": dict(data)}
        if page:
            body["page"] = page
        await self._call("POST", "/cgi-bin/message/subscribe/bizsend", body=body)

    # -- reading and set-up ------------------------------------------------------------------

    async def download_media(self, media_id: str) -> tuple[bytes, str]:
        """A temporary media file's bytes and content type."""
        params = {"media_id": media_id}
        return await self._call("GET", "/cgi-bin/media/get", params=params, read=_media)

    async def user_info(self, openid: str) -> dict[str, Any]:
        """The follower's profile; {"subscribe": 0, ...} for someone who does not follow."""
        params = {"openid": openid, "lang": "zh_CN"}
        return await self._call("GET", "/cgi-bin/user/info", params=params)

    async def create_menu(self, menu: Mapping[str, Any]) -> None:
        """Replace the account's custom menu."""
        await self._call("POST", "/cgi-bin/menu/create", body=dict(menu))

    async def fetch_token(self, force_refresh: bool = False) -> FetchedToken:
        """Ask WeChat for the stable access token (the token source decides when)."""
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self.app_secret,
            "force_refresh": force_refresh,
        }
        answer = checked(await self._send("POST", "/cgi-bin/stable_token", body=body))
        return FetchedToken(str(answer["access_token"]), int(answer["expires_in"]))

    # -- plumbing ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        read: Callable[[httpx.Response], Any] = checked,
    ) -> Any:
        token = await self.tokens.current(self.fetch_token)
        try:
            return read(await self._send(method, path, params=params, body=body, token=token))
        except TokenInvalid:
            # Once: a second refusal of a fresh token is WeChat's problem, not a stale token.
            token = await self.tokens.refresh(token, self.fetch_token)
        return read(await self._send(method, path, params=params, body=body, token=token))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        token: str | None = None,
    ) -> httpx.Response:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        content = json_bytes(body) if body is not None else None
        headers = JSON_HEADERS if body is not None else None
        # httpx's timeout bounds each phase; the deadline bounds the whole call (and also
        # applies to in-process transports, which ignore httpx's timeouts).
        with transport_errors(f"{method} {path}"), anyio.fail_after(self.timeout):
            return await self.http.request(
                method,
                self.base_url + path,
                params=query,
                content=content,
                headers=headers,
                timeout=self.timeout,
            )
