"""Personal data sealed at rest with LINLI_DATA_KEY: AES-256-GCM, and keyed hashes for look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
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


class Sealer:
    """Seals and opens personal data with keys derived from the operator's LINLI_DATA_KEY."""

    def __init__(self, data_key: str) -> None:
        if not data_key:
            raise ValueError("LINLI_DATA_KEY is empty")
        self._aead = AESGCM(_derive(data_key, b"seal v1"))
        self._lookup_key = _derive(data_key, b"lookup v1")

    def seal(self, text: str) -> str:
        """The text encrypted and authenticated, as printable ASCII."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), None)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        """The text a `seal` call was given; SealError when this key did not seal it."""
        if not sealed.startswith(PREFIX):
            raise SealError("not a sealed value")
        try:
            blob = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
            plain = self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], None)
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed with another key, or damaged") from exc
        return plain.decode("utf-8")

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
