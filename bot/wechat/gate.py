"""The webhook's door: signatures, freshness, modes, decryption and parsing, before any work."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.wechat import fields as field_shapes
from bot.wechat import signing
from bot.wechat.crypto import CryptoError, MessageCrypto
from bot.wechat.payload import PayloadError, is_json, parse_payload
from config.settings import Settings

_TIMESTAMP = re.compile(r"[0-9]{1,16}")
_NONCE = re.compile(r"[!-~]{1,64}")  # printable ASCII, as WeChat's nonces (digits) are
_ECHOSTR = re.compile(r"[A-Za-z0-9+/=_-]{1,128}")  # digits from WeChat; never markup


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
        if not _ECHOSTR.fullmatch(echostr):
            raise Refused(400, "echostr is malformed")
        return echostr

    def check_query(self, query: Mapping[str, str], now: float) -> None:
        """Signature and freshness, from the query string alone (before the body is read)."""
        self._check_signature(query)
        if self.max_skew:
            sent = int(query["timestamp"])  # _check_signature made sure it is 1-16 digits
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
            text = body.decode("utf-8")  # WeChat sends UTF-8; raw text is stored as such
        except UnicodeDecodeError as exc:
            raise Refused(400, "body is not UTF-8") from exc
        if "\x00" in text:  # UTF-16, or junk: neither XML nor JSON holds a NUL byte
            raise Refused(400, "body is not UTF-8")
        try:
            outer = parse_payload(body)
        except PayloadError as exc:
            raise Refused(400, str(exc)) from exc
        as_json = is_json(body)
        if self.crypto is None:
            fields = self._checked(outer, "")
            return Push(
                fields=fields,
                raw=text,
                mode="plain",
                **self._common(query, body, as_json),
            )
        encrypted = outer.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise Refused(400, "missing field Encrypt")
        if not signing.valid(
            query.get("msg_signature"), self.token, query["timestamp"], query["nonce"], encrypted
        ):
            raise Refused(403, "msg_signature does not match")
        try:
            raw = self.crypto.decrypt(encrypted)
            inner = parse_payload(raw)
        except CryptoError as exc:
            raise Refused(400, str(exc)) from exc
        except PayloadError as exc:
            raise Refused(400, f"decrypted payload: {exc}") from exc
        fields = self._checked(inner, "decrypted payload: ")
        # Compatible mode repeats the fields in clear beside Encrypt; only the signed,
        # encrypted copy is used.
        mode = "compatible" if "MsgType" in outer else "safe"
        return Push(fields=fields, raw=raw, mode=mode, **self._common(query, body, as_json))

    @staticmethod
    def _checked(fields: dict[str, Any], where: str) -> dict[str, Any]:
        try:
            field_shapes.check(fields)
        except PayloadError as exc:
            raise Refused(400, f"{where}{exc}") from exc
        return fields

    @staticmethod
    def _common(query: Mapping[str, str], body: bytes, as_json: bool) -> dict[str, Any]:
        return {
            "as_json": as_json,
            "nonce": query["nonce"],
            "timestamp": query["timestamp"],
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }

    def _check_signature(self, query: Mapping[str, str]) -> None:
        timestamp, nonce = query.get("timestamp"), query.get("nonce")
        if not timestamp or not nonce:
            raise Refused(403, "timestamp and nonce are required")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused(403, "timestamp is malformed")
        if not _NONCE.fullmatch(nonce):
            raise Refused(403, "nonce is malformed")
        if not signing.valid(query.get("signature"), self.token, timestamp, nonce):
            raise Refused(403, "signature does not match")
