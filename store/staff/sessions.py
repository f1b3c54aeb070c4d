"""Console sessions and API tokens: random secrets handed out once, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from store.staff import audit
from store.staff.models import ApiToken, StaffSession, StaffUser

IDLE_EXPIRY = timedelta(hours=2)
TOKEN_PREFIX = "lnl_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def open_session(session: Session, staff: StaffUser, now: datetime) -> str:
    """Start a console session; the returned secret goes in the cookie and nowhere else."""
    raw = secrets.token_urlsafe(32)
    row = StaffSession(token_hash=_digest(raw), staff_id=staff.id, created_at=now,
                       last_seen_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return raw


def staff_for_session(
    session: Session, raw: str, now: datetime, *, idle: timedelta = IDLE_EXPIRY
) -> StaffUser | None:
    """The signed-in staff member, or None for an unknown, revoked, idle or disabled session."""
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == _digest(raw))).first()
    if row is None or row.revoked_at is not None or now - row.last_seen_at > idle:
        return None
    staff = session.get(StaffUser, row.staff_id)
    if staff is None or staff.disabled:
        return None
    row.last_seen_at = now
    session.add(row)
    session.flush()
    return staff


def close_session(session: Session, raw: str, now: datetime) -> None:
    """Sign out: the session can never be used again."""
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == _digest(raw))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.flush()


def end_all(
    session: Session, staff: StaffUser, now: datetime, *, keep_session: str | None = None
) -> tuple[int, int]:
    """Revoke every live session (but `keep_session`, the caller's own) and every API token of
    a staff member, for good; returns how many sessions and tokens ended."""
    kept = _digest(keep_session) if keep_session else None
    live = col(StaffSession.revoked_at).is_(None)
    sessions = session.exec(select(StaffSession).where(StaffSession.staff_id == staff.id, live))
    ended = [row for row in sessions if row.token_hash != kept]
    tokens = list(
        session.exec(
            select(ApiToken).where(
                ApiToken.staff_id == staff.id, col(ApiToken.revoked_at).is_(None)
            )
        )
    )
    for row in [*ended, *tokens]:
        row.revoked_at = now
        session.add(row)
    session.flush()
    return len(ended), len(tokens)


def issue_token(session: Session, staff: StaffUser, name: str, now: datetime) -> str:
    """A new personal API token, shown once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(staff_id=staff.id, name=name.strip() or "script", token_hash=_digest(raw),
                     created_at=now)  # fmt: skip
    session.add(token)
    session.flush()
    audit.record(
        session, actor=audit.Actor.of(staff), action="api_token.issue", object_type="api_token",
        object_id=token.id, committee_id=staff.committee_id, now=now,
        after=audit.snapshot(token),
    )  # fmt: skip
    return raw


def staff_for_token(session: Session, raw: str, now: datetime) -> StaffUser | None:
    """The owner of a live API token, or None."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    staff = session.get(StaffUser, token.staff_id)
    if staff is None or staff.disabled:
        return None
    token.last_used_at = now
    session.add(token)
    session.flush()
    return staff


def tokens_of(session: Session, staff: StaffUser) -> list[ApiToken]:
    """A staff member's API tokens, newest first."""
    query = select(ApiToken).where(ApiToken.staff_id == staff.id).order_by(ApiToken.id.desc())
    return list(session.exec(query))


def token_of(session: Session, staff: StaffUser, token_id: int) -> ApiToken | None:
    """One of a staff member's own API tokens."""
    query = select(ApiToken).where(ApiToken.staff_id == staff.id, ApiToken.id == token_id)
    return session.exec(query).first()


def revoke_token(session: Session, token: ApiToken, *, actor: audit.Actor, now: datetime) -> None:
    """Revoke an API token for good."""
    before = audit.snapshot(token)
    token.revoked_at = now
    session.add(token)
    session.flush()
    audit.record(
        session, actor=actor, action="api_token.revoke", object_type="api_token",
        object_id=token.id, now=now, before=before, after=audit.snapshot(token),
    )  # fmt: skip
