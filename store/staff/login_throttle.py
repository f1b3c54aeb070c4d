"""Console sign-in with a per-address throttle, so one visitor cannot guess on or lock out every
account: an address with too many recent failures is refused before any account is looked at."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from store.staff import accounts as staff
from store.staff.models import LoginAttempt, StaffUser

# Ten failures from one address in a quarter of an hour is more than a whole office mistypes;
# with an account locking after five, one address can lock at most two accounts per window.
MAX_FAILURES_PER_ADDRESS = 10
WINDOW = timedelta(minutes=15)
# Attempts are kept a day, for an operator looking into a guessing run, then pruned.
KEEP_FOR = timedelta(days=1)
_FIELD_LENGTH = 64  # the width of login_attempt.address and .username


def sign_in(
    session: Session, username: str, password: str, *, address: str, now: datetime
) -> StaffUser | None:
    """The staff member for these credentials, or None: wrong, unknown, disabled, locked, or
    from an address that is throttled (which is refused without touching any account)."""
    address = _column(address) or "unknown"
    prune(session, now)
    if throttled(session, address, now):
        return None
    found = staff.authenticate(session, username, password, now)
    attempt = LoginAttempt(address=address, username=_column(username.strip()) or None,
                           succeeded=found is not None, at=now)  # fmt: skip
    session.add(attempt)
    session.flush()
    return found


def throttled(session: Session, address: str, now: datetime) -> bool:
    """True when the address failed too often within the window."""
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.address == _column(address),
            col(LoginAttempt.succeeded).is_(False),
            col(LoginAttempt.at) > now - WINDOW,
        )
    )
    return session.exec(query).one() >= MAX_FAILURES_PER_ADDRESS


def prune(session: Session, now: datetime) -> None:
    """Forget attempts older than KEEP_FOR."""
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < now - KEEP_FOR))


def _column(text: str) -> str:
    # NUL is refused by PostgreSQL, and the columns are 64 wide.
    return text.replace("\x00", "")[:_FIELD_LENGTH]
