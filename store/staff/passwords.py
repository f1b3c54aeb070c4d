"""Password hashing with argon2id (argon2-cffi's defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from store.staff.common_passwords import COMMON

_hasher = PasswordHasher()
MIN_LENGTH = 10
# Runs people type as a "password": digits, the alphabet and keyboard rows, either way round
# (doubled so that 1234567890 or uvwxyzabcd wrap around).
_SEQUENCES = (
    "0123456789" * 2,
    "abcdefghijklmnopqrstuvwxyz" * 2,
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


def _bytes(password: str) -> bytes:
    # surrogatepass: a stray surrogate from a hostile form is hashed, not a 500.
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    """An argon2id hash of the password, salted."""
    return _hasher.hash(_bytes(password))


def verify(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    try:
        return _hasher.verify(password_hash, _bytes(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def weakness(password: str, username: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if username.lower() in password.lower():
        return "must not contain the username"
    lowered = password.lower()
    if lowered in COMMON:
        return "too common, choose another"
    if _repeated(lowered):
        return "must not be one character or a short pattern repeated"
    if any(lowered in run or lowered in run[::-1] for run in _SEQUENCES):
        return "must not be a run of digits, letters or keys"
    return None


def _repeated(password: str) -> bool:
    return any(
        password == password[:period] * (len(password) // period)
        for period in range(1, len(password) // 2 + 1)
        if len(password) % period == 0
    )
