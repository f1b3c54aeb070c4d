"""Staff accounts: create, sign in (with lock-out), change password, disable; all audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlmodel import Session, col, select

from store.errors import Refused
from store.staff import audit, passwords
from store.staff import sessions as staff_sessions
from store.staff.models import ROLES, SUBDISTRICT_ADMIN, Committee, StaffUser, SubDistrict
from store.staff.scope import Scope

MAX_FAILED_LOGINS = 5
LOCK_OUT_FOR = timedelta(minutes=15)


def visible(scope: Scope, *, role: str | None = None) -> Any:
    """A query for the staff a scope may see (with this role, if given): its committees' staff,
    and for a sub-district admin also the sub-district's own admins."""
    query = select(StaffUser)
    if role:
        query = query.where(StaffUser.role == role)
    if scope.admin:
        return query.where(
            StaffUser.committee_id.in_(scope.committee_ids)
            | (
                StaffUser.committee_id.is_(None)
                & (StaffUser.sub_district_id == scope.sub_district_id)
            )
        )
    return query.where(StaffUser.committee_id.in_(scope.committee_ids))


def listed(session: Session, scope: Scope) -> Sequence[StaffUser]:
    """The staff a scope may see, oldest account first."""
    return session.exec(visible(scope).order_by(StaffUser.id)).all()


def get_visible(session: Session, scope: Scope, staff_id: int) -> StaffUser | None:
    """One staff member, or None when they are outside the scope."""
    return session.exec(visible(scope).where(StaffUser.id == staff_id)).first()


def create_in_scope(
    session: Session,
    scope: Scope,
    *,
    actor: audit.Actor,
    username: str,
    display_name: str,
    password: str,
    role: str,
    committee_id: int | None,
    now: datetime,
) -> StaffUser:
    """A new account in one of the scope's committees (or the scope's sub-district)."""
    home = session.get(Committee, committee_id) if committee_id is not None else None
    if committee_id is not None and (home is None or not scope.allows(home.id)):
        raise Refused("committee", "not found")
    district = session.get(SubDistrict, scope.sub_district_id)
    if district is None or not scope.admin:
        raise Refused("role", "only a sub-district admin adds staff")
    return create(
        session, actor=actor, username=username, display_name=display_name, password=password,
        role=role, district=district, committee_of=home, now=now,
    )  # fmt: skip


def sub_district(session: Session, name: str) -> SubDistrict:
    """The sub-district with this name, created if new."""
    found = session.exec(select(SubDistrict).where(SubDistrict.name == name)).first()
    if found is None:
        found = SubDistrict(name=name)
        session.add(found)
        session.flush()
    return found


def committee(session: Session, district: SubDistrict, name: str) -> Committee:
    """The committee with this name in the sub-district, created if new."""
    query = select(Committee).where(
        Committee.sub_district_id == district.id, Committee.name == name
    )
    found = session.exec(query).first()
    if found is None:
        found = Committee(sub_district_id=district.id, name=name)
        session.add(found)
        session.flush()
    return found


def create(
    session: Session,
    *,
    actor: audit.Actor,
    username: str,
    display_name: str,
    password: str,
    role: str,
    district: SubDistrict,
    committee_of: Committee | None,
    now: datetime,
) -> StaffUser:
    """A new staff account; refused (Refused) naming the field."""
    username = username.strip()
    if not username or not username.isascii() or " " in username:
        raise Refused("username", "letters, digits and ._- only, no spaces")
    if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
        raise Refused("username", "already taken", conflict=True)
    if role not in ROLES:
        raise Refused("role", f"one of {', '.join(ROLES)}")
    if (role == SUBDISTRICT_ADMIN) != (committee_of is None):
        raise Refused("committee", "required for committee roles, empty for a sub-district admin")
    weak = passwords.weakness(password, username)
    if weak:
        raise Refused("password", weak)
    staff = StaffUser(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=passwords.hash_password(password),
        role=role,
        sub_district_id=district.id,  # type: ignore[arg-type]
        committee_id=committee_of.id if committee_of else None,
        created_at=now,
        password_changed_at=now,
    )
    session.add(staff)
    session.flush()
    audit.record(
        session, actor=actor, action="staff.create", object_type="staff_user",
        object_id=staff.id, committee_id=staff.committee_id, now=now,
        sub_district_id=staff.sub_district_id, after=audit.snapshot(staff),
    )  # fmt: skip
    return staff


def authenticate(session: Session, username: str, password: str, now: datetime) -> StaffUser | None:
    """The staff member for these credentials, or None; repeated failures lock the account.

    Every call verifies exactly one password hash, whatever the account's state (unknown,
    disabled, locked), so the time an answer takes tells nothing about the username.
    """
    name = username.strip()
    # No account has a NUL (PostgreSQL refuses one in a query): treated as an unknown name.
    found = None if "\x00" in name else by_username(session, name)
    matches = passwords.verify(found.password_hash if found else _dummy_hash(), password)
    if found is None or found.disabled:
        return None
    if found.locked_until is not None and found.locked_until > now:
        return None
    if not matches:
        found.failed_logins += 1
        if found.failed_logins >= MAX_FAILED_LOGINS:
            found.locked_until, found.failed_logins = now + LOCK_OUT_FOR, 0
        session.add(found)
        session.flush()
        return None
    found.failed_logins, found.locked_until = 0, None
    if passwords.needs_rehash(found.password_hash):
        found.password_hash = passwords.hash_password(password)
    session.add(found)
    session.flush()
    return found


def by_username(session: Session, username: str) -> StaffUser | None:
    """One account by username."""
    return session.exec(select(StaffUser).where(StaffUser.username == username)).first()


def change_password(
    session: Session,
    staff: StaffUser,
    *,
    current: str,
    new: str,
    now: datetime,
    keep_session: str | None = None,
) -> tuple[int, int]:
    """Set a new password after checking the current one; every other session and every API
    token ends (`keep_session` is the caller's own). Returns how many sessions and tokens ended."""
    if not passwords.verify(staff.password_hash, current):
        raise Refused("current_password", "does not match")
    weak = passwords.weakness(new, staff.username)
    if weak:
        raise Refused("new_password", weak)
    staff.password_hash = passwords.hash_password(new)
    staff.password_changed_at = now
    session.add(staff)
    session.flush()
    sessions, tokens = staff_sessions.end_all(session, staff, now, keep_session=keep_session)
    audit.record(
        session, actor=audit.Actor.of(staff), action="staff.change_password",
        object_type="staff_user", object_id=staff.id, committee_id=staff.committee_id, now=now,
        after={"sessions_ended": sessions, "tokens_revoked": tokens},
    )  # fmt: skip
    return sessions, tokens


def set_disabled(
    session: Session, staff: StaffUser, *, disabled: bool, actor: audit.Actor, now: datetime
) -> None:
    """Disable or re-enable an account. Either way its sessions and API tokens end for good, so
    re-enabling starts with none: nothing issued before or while it was disabled comes back."""
    before = audit.snapshot(staff)
    staff.disabled = disabled
    session.add(staff)
    session.flush()
    sessions, tokens = staff_sessions.end_all(session, staff, now)
    audit.record(
        session, actor=actor, action="staff.disable" if disabled else "staff.enable",
        object_type="staff_user", object_id=staff.id, committee_id=staff.committee_id, now=now,
        before=before,
        after={**audit.snapshot(staff), "sessions_ended": sessions, "tokens_revoked": tokens},
    )  # fmt: skip


@cache
def _dummy_hash() -> str:
    return passwords.hash_password("an unusable password, hashed only to spend the same time")


def committees_named(session: Session, name: str) -> list[Committee]:
    """The committees of this name (two sub-districts may each have one)."""
    query = select(Committee).where(Committee.name == name.strip()).order_by(col(Committee.id))
    return list(session.exec(query).all())
