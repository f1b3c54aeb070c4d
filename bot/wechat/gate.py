"""The webhook's door: signatures, freshness, modes, decryption and parsing, before any work."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.wechat import signing
from bot.wechat.crypto import CryptoError, MessageCrypto
from bot.wechat.payload import PayloadError, is_json, parse_payload
from config.settings import Settings


class Refused(Exception):
    """A push the webhook will not accept; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Push:
    """A verified, decrypted, parsed push."""

    fields: dict[str, Any]
    raw: str  # the plaintext payload (decrypted in safe and compatible mode)
    mode: str  # plain, compatible or safe
    as_json: bool
    nonce: str
    timestamp: str
    body_sha256: str

    @property
    def encrypted(self) -> bool:
        """True when the reply must be encrypted too."""
        return self.mode != "plain"


class Gate:
    """Checks pushes for one Official Account's settings."""

    def __init__(self, settings: Settings) -> None:
        self.token = settings.wechat_token
        self.max_skew = settings.wechat_max_clock_skew
        self.crypto = (
            MessageCrypto(settings.wechat_aes_key, settings.wechat_app_id)
            if settings.wechat_aes_key
            else None
        )

    def verify_url(self, query: Mapping[str, str]) -> str:
        """The echostr to answer WeChat's URL verification with."""
        self._check_signature(query)
        echostr = query.get("echostr")
        if not echostr:
            raise Refused(400, "echostr is missing")
        return echostr

    def check_query(self, query: Mapping[str, str], now: float) -> None:
        """Signature and freshness, from the query string alone (before the body is read)."""
        self._check_signature(query)
        if self.max_skew:
            try:
                sent = int(query["timestamp"])
            except ValueError as exc:
                raise Refused(403, "timestamp is not a number") from exc
            if abs(now - sent) > self.max_skew:
                raise Refused(403, "timestamp is outside the allowed clock skew")
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        if self.crypto is not None and not encrypted:
            raise Refused(403, "this account is in safe mode: pushes must be encrypted")
        if encrypted and self.crypto is None:
            raise Refused(400, "encrypted push, but no EncodingAESKey is configured")

    def open(self, query: Mapping[str, str], body: bytes) -> Push:
        """Decrypt (if needed) and parse a body whose query already passed check_query."""
        try:
            outer = parse_payload(body)
        except PayloadError as exc:
            raise Refused(400, str(exc)) from exc
        as_json = is_json(body)
        common = {
            "as_json": as_json,
            "nonce": query["nonce"],
            "timestamp": query["timestamp"],
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
        if self.crypto is None:
            return Push(fields=outer, raw=body.decode("utf-8", "replace"), mode="plain", **common)
        encrypted = outer.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise Refused(400, "missing field Encrypt")
        if not signing.valid(
            query.get("msg_signature"), self.token, query["timestamp"], query["nonce"], encrypted
        ):
            raise Refused(403, "msg_signature does not match")
        try:
            raw = self.crypto.decrypt(encrypted)
            fields = parse_payload(raw)
        except CryptoError as exc:
            raise Refused(400, str(exc)) from exc
        except PayloadError as exc:
            raise Refused(400, f"decrypted payload: {exc}") from exc
        mode = "compatible" if "MsgType" in outer else "safe"
        return Push(fields=fields, raw=raw, mode=mode, **common)

    def _check_signature(self, query: Mapping[str, str]) -> None:
        timestamp, nonce = query.get("timestamp"), query.get("nonce")
        if not timestamp or not nonce:
            raise Refused(403, "timestamp and nonce are required")
        if not signing.valid(query.get("signature"), self.token, timestamp, nonce):
            raise Refused(403, "signature does not match")
