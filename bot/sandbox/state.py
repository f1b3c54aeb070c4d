"""The sandbox's memory and WeChat's rules over it: tokens, followers, windows, messages."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import SandboxError
from bot.sandbox.faults import Faults
from bot.sandbox.menu import validate_menu

# Numbers from WeChat's published limits for customer-service and template messages.
TOKEN_OVERLAP = 300  # a new /token leaves the previous one valid for 5 minutes
STABLE_RENEW_BEFORE = 300  # stable_token's normal mode renews 5 minutes before expiry
FORCE_INTERVAL = 30  # force_refresh at most every 30 s ...
FORCE_PER_DAY = 20  # ... and 20 times a day
WINDOW_SECONDS = 48 * 3600  # the resident's own message opens a 48-hour window ...
WINDOW_QUOTA = 5  # ... for 5 customer-service messages
CLIENT_MSG_ID_SECONDS = 600  # a template's client_msg_id dedupes repeats for 10 minutes
TEXT_BYTES = 2048
MAX_ARTICLES = 8
MEDIA_TTL = 3 * 86400  # temporary media lasts 3 days
ROBOT_PER_MINUTE = 20
ROBOT_TEXT_BYTES = 2048
ROBOT_MARKDOWN_BYTES = 4096
CALLS = ("token", "stable_token", "custom", "template", "subscribe", "media", "user_info", "menu")
CALLS += ("robot",)


@dataclass
class Issued:
    """One access token the sandbox handed out."""

    expires_at: float
    revoked_at: float | None = None


@dataclass
class Window:
    """A resident's customer-service window: when it opened and how much of it is used."""

    opened_at: float
    used: int = 0


@dataclass(frozen=True)
class Media:
    """An uploaded temporary media file."""

    content_type: str
    data: bytes
    stored_at: float


def _part(body: dict[str, Any], name: str) -> dict[str, Any]:
    part = body.get(name)
    if not isinstance(part, dict):
        raise SandboxError(47001)
    return part


def _bytes(value: Any) -> int:
    if not isinstance(value, str):
        raise SandboxError(47001)
    return len(value.encode())


class Sandbox:
    """Everything one sandbox knows; every method takes effect at the sandbox clock's now."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        token_ttl: int = 7200,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.token_ttl = token_ttl
        self._wall = wall
        self.reset()

    def reset(self) -> None:
        """Forget everything: followers, tokens, messages, faults, and the clock's offset."""
        self.offset = 0.0
        self.tokens: dict[str, Issued] = {}
        self.current: dict[str, str] = {}
        self.forced: list[float] = []
        self.followers: dict[str, bool] = {}
        self.windows: dict[str, Window] = {}
        self.templates: set[str] = set()
        # (touser, client_msg_id) → (sent at, msgid), and the same keys oldest first to expire.
        self.template_ids: dict[tuple[str, str], tuple[float, int]] = {}
        self.template_id_order: deque[tuple[float, tuple[str, str]]] = deque()
        self.consents: dict[tuple[str, str], bool] = {}
        self.media: dict[str, Media] = {}
        self.robots: dict[str, deque[float]] = {}
        self.menu: dict[str, Any] | None = None
        self.messages: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter({name: 0 for name in CALLS})
        self.faults = Faults()
        self._msgids = itertools.count(2_000_000_001)

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> float:
        """The sandbox clock: wall time plus every advance."""
        return self._wall() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the new now."""
        self.offset += seconds
        return self.now()

    # -- tokens ------------------------------------------------------------------------------

    def check_credentials(self, appid: Any, secret: Any, grant_type: Any) -> None:
        """Refuse a token request with a wrong grant type, appid or secret."""
        if grant_type != "client_credential":
            raise SandboxError(40002)
        if appid != self.app_id:
            raise SandboxError(40013)
        if secret != self.app_secret:
            raise SandboxError(40125)

    def _issue(self, lane: str, previous_valid_for: float | None) -> dict[str, Any]:
        now = self.now()
        previous = self.current.get(lane)
        if previous is not None and previous_valid_for is not None:
            issued = self.tokens[previous]
            issued.revoked_at = min(issued.expires_at, now + previous_valid_for)
        token = secrets.token_urlsafe(96)
        self.tokens[token] = Issued(expires_at=now + self.token_ttl)
        self.current[lane] = token
        return {"access_token": token, "expires_in": self.token_ttl}

    def plain_token(self) -> dict[str, Any]:
        """/cgi-bin/token: always a new token; the previous one lives 5 more minutes."""
        return self._issue("token", TOKEN_OVERLAP)

    def stable_token(self, force_refresh: bool) -> dict[str, Any]:
        """/cgi-bin/stable_token: the same token until 5 minutes before expiry, unless forced."""
        now = self.now()
        if force_refresh:
            self.forced = [at for at in self.forced if at > now - 86400]
            if len(self.forced) >= FORCE_PER_DAY or (
                self.forced and now - self.forced[-1] < FORCE_INTERVAL
            ):
                # The code WeChat gives for too-frequent forced refreshes is unconfirmed.
                raise SandboxError(45009)
            self.forced.append(now)
            # Assumption (not in the docs we have): a forced refresh ends the old token at once.
            return self._issue("stable", 0)
        current = self.current.get("stable")
        if current is not None:
            left = self.tokens[current].expires_at - now
            if left > STABLE_RENEW_BEFORE:
                return {"access_token": current, "expires_in": int(left)}
        # A renewal in normal mode leaves the old token valid until its own expiry.
        return self._issue("stable", None)

    def check_token(self, token: str | None) -> None:
        """Refuse a missing (41001), unknown or replaced (40001) or expired (42001) token."""
        if not token:
            raise SandboxError(41001)
        issued = self.tokens.get(token)
        if issued is None:
            raise SandboxError(40001)
        now = self.now()
        if now >= issued.expires_at:
            raise SandboxError(42001)
        if issued.revoked_at is not None and now >= issued.revoked_at:
            raise SandboxError(40001)

    def expire_tokens(self) -> None:
        """Make every token handed out so far expire now."""
        now = self.now()
        for issued in self.tokens.values():
            issued.expires_at = min(issued.expires_at, now)

    # -- residents and registrations ---------------------------------------------------------

    def follow(self, openid: str, subscribed: bool) -> None:
        """A resident follows (or unfollows) the account."""
        self.followers[openid] = subscribed

    def interact(self, openid: str) -> None:
        """The resident sent a message: a fresh 48-hour window with its full quota."""
        self.followers[openid] = True
        self.windows[openid] = Window(opened_at=self.now())

    def add_robot(self, key: str) -> None:
        """Register a WeCom group robot's webhook key."""
        self.robots.setdefault(key, deque())

    def _follower(self, touser: Any) -> str:
        if not isinstance(touser, str) or not touser:
            raise SandboxError(40003)
        if not self.followers.get(touser):
            raise SandboxError(43004)
        return touser

    # -- sending -----------------------------------------------------------------------------

    def _record(
        self, channel: str, target: tuple[str, str], msgtype: str, body: Any, raw: str
    ) -> dict[str, Any]:
        record = {
            "id": len(self.messages) + 1,
            "at": self.now(),
            "channel": channel,
            target[0]: target[1],
            "msgtype": msgtype,
            "payload": body,
            "raw": raw,
        }
        self.messages.append(record)
        return record

    def send_custom(self, body: dict[str, Any], raw: str) -> dict[str, Any]:
        """/message/custom/send: text or news inside the resident's window and quota."""
        msgtype = body.get("msgtype")
        if msgtype == "text":
            content = _part(body, "text").get("content")
            if _bytes(content) > TEXT_BYTES:
                raise SandboxError(45002)
        elif msgtype == "news":
            articles = _part(body, "news").get("articles")
            if not isinstance(articles, list) or not articles:
                raise SandboxError(47001)
            if len(articles) > MAX_ARTICLES:
                raise SandboxError(45008)
        else:
            raise SandboxError(40008)
        touser = self._follower(body.get("touser"))
        window = self.windows.get(touser)
        if window is None or self.now() - window.opened_at > WINDOW_SECONDS:
            raise SandboxError(45015)
        if window.used >= WINDOW_QUOTA:
            raise SandboxError(45047)
        window.used += 1
        self._record("custom", ("touser", touser), msgtype, body, raw)
        return {"errcode": 0, "errmsg": "ok"}

    def send_template(self, body: dict[str, Any], raw: str) -> dict[str, Any]:
        """/message/template/send: a registered template to a follower; a repeated client_msg_id
        within 10 minutes gets the first msgid back and sends nothing."""
        if body.get("template_id") not in self.templates:
            raise SandboxError(40037)
        if not isinstance(body.get("data"), dict):
            raise SandboxError(47001)
        client_msg_id = body.get("client_msg_id")
        if client_msg_id is not None and not isinstance(client_msg_id, str):
            raise SandboxError(47001)
        touser = self._follower(body.get("touser"))
        # Assumption (the docs do not say): a repeat passes the same checks as a first send.
        key = (touser, client_msg_id) if client_msg_id else None
        if key is not None:
            self._expire_client_msg_ids()
            first = self.template_ids.get(key)
            if first is not None:
                return {"errcode": 0, "errmsg": "ok", "msgid": first[1]}
        msgid = next(self._msgids)
        self._record("template", ("touser", touser), "template", body, raw)
        if key is not None:
            now = self.now()
            self.template_ids[key] = (now, msgid)
            self.template_id_order.append((now, key))
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def _expire_client_msg_ids(self) -> None:
        """Forget client_msg_ids older than 10 minutes (kept oldest first)."""
        horizon = self.now() - CLIENT_MSG_ID_SECONDS
        order = self.template_id_order
        while order and order[0][0] <= horizon:
            self.template_ids.pop(order.popleft()[1], None)

    def send_subscription(self, body: dict[str, Any], raw: str) -> dict[str, Any]:
        """/message/subscribe/bizsend: only to a follower who accepted that template."""
        if not isinstance(body.get("data"), dict):
            raise SandboxError(47001)
        touser = self._follower(body.get("touser"))
        # Consent stays until withdrawn (long-term subscription, which government accounts get).
        if not self.consents.get((touser, body.get("template_id"))):
            raise SandboxError(43101)
        self._record("subscribe", ("touser", touser), "subscribe", body, raw)
        return {"errcode": 0, "errmsg": "ok"}

    def send_robot(self, key: str | None, body: dict[str, Any], raw: str) -> dict[str, Any]:
        """WeCom /webhook/send: registered keys, byte limits, 20 messages a minute per key."""
        sent = self.robots.get(key or "")
        if sent is None:
            raise SandboxError(93000)
        msgtype = body.get("msgtype")
        limits = {"text": ROBOT_TEXT_BYTES, "markdown": ROBOT_MARKDOWN_BYTES}
        limits["markdown_v2"] = ROBOT_MARKDOWN_BYTES
        if msgtype not in limits:
            raise SandboxError(40008)
        # WeCom's code for over-long content is unconfirmed (§5); 45002 mirrors the MP API.
        if _bytes(_part(body, msgtype).get("content")) > limits[msgtype]:
            raise SandboxError(45002)
        now = self.now()
        while sent and sent[0] <= now - 60:
            sent.popleft()
        if len(sent) >= ROBOT_PER_MINUTE:
            # §5: 20/min is documented; the code past it is unconfirmed (45009 is assumed).
            raise SandboxError(45009, "api freq out of limit")
        sent.append(now)
        self._record("robot", ("key", key or ""), msgtype, body, raw)
        return {"errcode": 0, "errmsg": "ok"}

    # -- reading -----------------------------------------------------------------------------

    def get_media(self, media_id: str | None) -> Media:
        """/media/get: a stored file younger than 3 days, else 40007."""
        media = self.media.get(media_id or "")
        if media is None or self.now() - media.stored_at > MEDIA_TTL:
            raise SandboxError(40007)
        return media

    def user_info(self, openid: str | None) -> dict[str, Any]:
        """/user/info: the follower's profile, or subscribe 0."""
        if not openid:
            raise SandboxError(40003)
        if not self.followers.get(openid):
            return {"subscribe": 0, "openid": openid}
        return {
            "subscribe": 1,
            "openid": openid,
            "language": "zh_CN",
            "subscribe_time": int(self.now()),
            "remark": "",
            "groupid": 0,
            "tagid_list": [],
            "subscribe_scene": "ADD_SCENE_OTHERS",
            "qr_scene": 0,
            "qr_scene_str": "",
        }

    def create_menu(self, body: dict[str, Any]) -> dict[str, Any]:
        """/menu/create: store the menu if WeChat would take it."""
        validate_menu(body)
        self.menu = body
        return {"errcode": 0, "errmsg": "ok"}

    def find_messages(
        self, touser: str | None = None, channel: str | None = None, key: str | None = None
    ) -> list[dict[str, Any]]:
        """Accepted messages in order, filtered by recipient, channel or robot key."""
        return [
            m
            for m in self.messages
            if (touser is None or m.get("touser") == touser)
            and (channel is None or m["channel"] == channel)
            and (key is None or m.get("key") == key)
        ]
