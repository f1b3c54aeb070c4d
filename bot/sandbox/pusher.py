"""WeChat's side of a push: build real XML, sign it and encrypt it like WeChat does.

The simulator, the conversation-script tests and the benchmark all push through this, so they
take exactly the path a real WeChat push takes.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.wechat import signing
from bot.wechat.crypto import MessageCrypto
from bot.wechat.payload import parse_xml
from bot.wechat.replies import escape_cdata

_ids = itertools.count(time.time_ns() // 1000)


def to_xml(fields: dict[str, Any], root: str = "xml") -> str:
    """Render push fields as WeChat's XML: numbers bare, strings in CDATA, dicts nested and
    lists as repeated elements."""
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                parts.append(to_xml(item, root=name))
            elif isinstance(item, int | float):
                parts.append(f"<{name}>{item}</{name}>")
            else:
                parts.append(f"<{name}><![CDATA[{escape_cdata(str(item))}]]></{name}>")
    return f"<{root}>" + "".join(parts) + f"</{root}>"


@dataclass
class Pushed:
    """A ready request: query string and body."""

    params: dict[str, str]
    body: bytes


@dataclass
class Pusher:
    """Pushes for one Official Account, in plaintext, compatible or safe mode."""

    token: str
    app_id: str
    aes_key: str = ""
    account: str = "gh_linli0000001"
    compatible: bool = False
    crypto: MessageCrypto | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.aes_key:
            self.crypto = MessageCrypto(self.aes_key, self.app_id)

    # -- messages ------------------------------------------------------------------------------

    def message(self, openid: str, msg_type: str, at: int | None = None, **extra: Any) -> dict:
        """The fields of a message of any type, with a fresh MsgId."""
        fields: dict[str, Any] = {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": at or int(time.time()),
            "MsgType": msg_type,
        }
        fields.update(extra)
        if msg_type != "event":
            fields.setdefault("MsgId", next(_ids))
        return fields

    def text(self, openid: str, content: str, **kw: Any) -> dict:
        """A text message."""
        return self.message(openid, "text", Content=content, **kw)

    def image(self, openid: str, media_id: str = "", **kw: Any) -> dict:
        """An image message (WeChat gives a picture URL and a media id)."""
        media_id = media_id or "media_" + secrets.token_hex(8)
        return self.message(
            openid, "image", PicUrl=f"http://mmbiz.qpic.cn/{media_id}", MediaId=media_id, **kw
        )

    def voice(self, openid: str, recognition: str, **kw: Any) -> dict:
        """A voice message with WeChat's speech recognition text."""
        media_id = "voice_" + secrets.token_hex(8)
        return self.message(
            openid, "voice", MediaId=media_id, Format="amr", Recognition=recognition, **kw
        )

    def location(self, openid: str, lat: float, lng: float, label: str = "", **kw: Any) -> dict:
        """A location message."""
        return self.message(
            openid,
            "location",
            Location_X=f"{lat:.6f}",
            Location_Y=f"{lng:.6f}",
            Scale=15,
            Label=label,
            **kw,
        )

    def event(self, openid: str, event: str, key: str = "", **kw: Any) -> dict:
        """An event push (subscribe, unsubscribe, CLICK …)."""
        extra = {"Event": event}
        if key or event in ("CLICK", "subscribe"):
            extra["EventKey"] = key
        return self.message(openid, "event", **extra, **kw)

    # -- wire ----------------------------------------------------------------------------------

    def build(
        self, fields: dict, *, timestamp: str | None = None, nonce: str | None = None
    ) -> Pushed:
        """Sign (and encrypt) a push the way WeChat sends it."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        params = {
            "signature": signing.sign(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": str(fields.get("FromUserName", "")),
        }
        plain = to_xml(fields)
        if self.crypto is None:
            return Pushed(params, plain.encode("utf-8"))
        encrypted = self.crypto.encrypt(plain)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = signing.sign(self.token, timestamp, nonce, encrypted)
        outer = dict(fields) if self.compatible else {"ToUserName": self.account}
        outer["Encrypt"] = encrypted
        return Pushed(params, to_xml(outer).encode("utf-8"))

    def read_reply(self, body: str) -> dict[str, Any] | None:
        """The reply's fields (decrypted and signature-checked), or None for success/empty."""
        if body.strip() in ("", "success"):
            return None
        fields = parse_xml(body)
        if "Encrypt" in fields:
            if self.crypto is None:
                raise ValueError("encrypted reply but no AES key")
            expected = signing.sign(
                self.token, str(fields["TimeStamp"]), str(fields["Nonce"]), fields["Encrypt"]
            )
            if expected != fields.get("MsgSignature"):
                raise ValueError("reply signature does not match")
            fields = parse_xml(self.crypto.decrypt(fields["Encrypt"]))
        return fields
