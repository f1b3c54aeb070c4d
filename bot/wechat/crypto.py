"""Safe-mode AES through wechatpy, with a cryptographically random prefix."""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import struct

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

_ALPHABET = string.ascii_letters + string.digits


class CryptoError(ValueError):
    """The payload could not be decrypted, or it was meant for another AppID."""


class _SecurePrp(PrpCrypto):
    # wechatpy draws the 16-byte prefix from `random`; use `secrets` instead.
    def get_random_string(self) -> str:
        return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind a 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key + "=")
    except binascii.Error as exc:
        raise CryptoError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CryptoError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCrypto:
    """Encrypt and decrypt one Official Account's payloads."""

    def __init__(self, encoding_aes_key: str, app_id: str, prp: type[PrpCrypto] = _SecurePrp):
        self.key = aes_key(encoding_aes_key)
        self.app_id = app_id
        self.prp = prp

    def decrypt(self, encrypted: str) -> str:
        """The plaintext inside `Encrypt`; CryptoError if it is broken or for another AppID."""
        try:
            plain = self.prp(self.key).decrypt(encrypted, self.app_id)
        except InvalidAppIdException as exc:
            raise CryptoError("payload is for another AppID") from exc
        # wechatpy lets low-level errors through unwrapped.
        except (ValueError, TypeError, KeyError, IndexError, struct.error, binascii.Error) as exc:
            raise CryptoError("payload could not be decrypted") from exc
        return plain.decode("utf-8") if isinstance(plain, bytes) else plain

    def encrypt(self, plain: str) -> str:
        """The base64 `Encrypt` value for a plaintext payload."""
        value = self.prp(self.key).encrypt(plain, self.app_id)
        return value.decode("ascii") if isinstance(value, bytes) else value
