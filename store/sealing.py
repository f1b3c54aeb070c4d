"""Personal data sealed at rest with LINLI_DATA_KEY: AES-256-GCM, and keyed hashes for look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Sealed values start with the version, so a later key or scheme can be told apart.
PREFIX = "v1."
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that this key cannot open (wrong LINLI_DATA_KEY, or tampered with)."""


def _derive(data_key: str, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linli", info=purpose)
    return hkdf.derive(data_key.encode("utf-8"))


def key_id(data_key: str) -> str:
    """A short public name for a key, stored in each value it seals (never reveals the key)."""
    return _derive(data_key, b"key id v1").hex()[:8]


class Sealer:
    """Seals and opens personal data with keys derived from the operator's LINLI_DATA_KEY.

    A sealed value names the key that sealed it (`v1.<key id>.<data>`), so after a key change
    values sealed with a previous key still open (LINLI_PREVIOUS_DATA_KEYS) until `linli keys
    rotate` has sealed them again with the current one.
    """

    def __init__(self, data_key: str, previous_keys: Sequence[str] = ()) -> None:
        if not data_key:
            raise ValueError("LINLI_DATA_KEY is empty")
        self.key_id = key_id(data_key)
        self._aead = AESGCM(_derive(data_key, b"seal v1"))
        self._lookup_key = _derive(data_key, b"lookup v1")
        self._keys = {self.key_id: self._aead}
        for old in previous_keys:
            if old:
                self._keys.setdefault(key_id(old), AESGCM(_derive(old, b"seal v1")))

    def seal(self, text: str) -> str:
        """The text encrypted and authenticated with the current key, as printable ASCII."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), None)
        blob = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self.key_id}.{blob}"

    def open(self, sealed: str) -> str:
        """The text a `seal` call was given; SealError when no known key sealed it."""
        if not sealed.startswith(PREFIX):
            raise SealError("not a sealed value")
        kid, _, blob = sealed[len(PREFIX) :].rpartition(".")
        # Values sealed before key ids existed name no key: any known key may have sealed them.
        candidates = [self._keys[kid]] if kid in self._keys else [] if kid else self._keys.values()
        try:
            raw = base64.urlsafe_b64decode(blob)
        except ValueError as exc:
            raise SealError("damaged") from exc
        for aead in candidates:
            try:
                plain = aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
            except (InvalidTag, ValueError):
                continue
            return plain.decode("utf-8")
        raise SealError("sealed with a key Linli was not given, or damaged")

    def is_current(self, sealed: str) -> bool:
        """True when the value is sealed with the current key (nothing for rotation to do)."""
        return sealed.startswith(f"{PREFIX}{self.key_id}.")

    def seal_json(self, value: Any) -> str:
        """A JSON-able value, sealed."""
        return self.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def open_json(self, sealed: str) -> Any:
        """A value `seal_json` sealed."""
        return json.loads(self.open(sealed))

    def lookup_hash(self, value: str) -> str:
        """A keyed hash to find a sealed value by equality without opening every row."""
        return hmac.new(self._lookup_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def is_sealed(value: object) -> bool:
    """True for a string `Sealer.seal` produced."""
    return isinstance(value, str) and value.startswith(PREFIX)
