"""WeChat push signatures: sha1 over the sorted token, timestamp, nonce (and Encrypt)."""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    """The sha1 signature WeChat computes over the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def valid(signature: str | None, *parts: str) -> bool:
    """True when `signature` matches the parts (compared in constant time)."""
    if not signature:
        return False
    return hmac.compare_digest(signature.encode("utf-8"), sign(*parts).encode("utf-8"))
