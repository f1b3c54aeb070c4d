"""Revealing a resident's personal number in full: allowed by role, and audited with the reason."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from flows.masking import mask_numbers_in
from store.errors import Refused
from store.registry.models import Resident
from store.sealing import Sealer
from store.staff import audit
from store.staff.scope import Scope

SEALED = {"id_card": "id_card_sealed", "mobile": "mobile_sealed", "landline": "landline_sealed"}
MAX_WHY = 200


def can_reveal(scope: Scope, resident: Resident) -> bool:
    """Sub-district admins and the resident's own committee staff; never grid workers."""
    return scope.allows(resident.committee_id) and (scope.admin or scope.committee_staff)


def reveal(
    session: Session,
    sealer: Sealer,
    resident: Resident,
    *,
    field: str,
    why: str,
    scope: Scope,
    actor: audit.Actor,
    now: datetime,
) -> str | None:
    """The field's full value (None when it is blank); the reveal is audited, the value never."""
    if field not in SEALED:
        raise Refused("field", f"one of {', '.join(SEALED)}")
    reason = why.strip()
    if not reason:
        raise Refused("why", "say why the full number is needed")
    if not can_reveal(scope, resident):
        raise Refused("reveal", "not allowed", code="reveal")
    sealed = getattr(resident, SEALED[field])
    if sealed is None:
        return None
    # Numbers typed into the reason are masked: the log is read by every admin of the scope.
    audit.record(
        session, actor=actor, action="resident.reveal", object_type="resident",
        object_id=resident.id, committee_id=resident.committee_id, now=now,
        after={"field": field, "why": mask_numbers_in(reason[:MAX_WHY])},
    )  # fmt: skip
    return sealer.open(sealed)
