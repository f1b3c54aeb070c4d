"""What a resident (or their family proxy) hears in WeChat when staff decide on a proxy request,
a registration or a change of their details: one `binding_notice` through the outbox, worded in
binding.yaml `notices`. Shared by every entry point that decides (the console, a later API)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from config.content import Content
from flows.masking import mask_name
from store.binding.models import (
    ACCEPTED,
    ACTIVE,
    APPROVED,
    Registration,
    ResidentBinding,
    SelfReport,
)
from store.outbox import messages as outbox

KIND = "binding_notice"


def relation_word(content: Content, code: str | None) -> str:
    """A proxy's relation to the resident in the committee's words (子女, 配偶 …)."""
    relations = content.binding.relations
    return relations[code].name if code and code in relations else ""


def field_word(content: Content, field: str) -> str:
    """A self-reported field in the committee's words (手机号, 住址, 居住情况)."""
    return content.binding.fields.get(field, field)


def shown_value(content: Content, report: SelfReport) -> str:
    """A self-report's new value as staff and the asker see it: masked, a status in words."""
    if report.field == "residence_status":
        return content.registry.word("residence_status", report.shown)
    return report.shown


def _reason(text: str | None) -> str:
    # The wording ends the reason with its own full stop.
    return (text or "").strip().rstrip("。.！!；;，, ")


def _queue(session: Session, *, key: str, openid: str, text: str, committee_id: int | None,
           now: datetime) -> bool:  # fmt: skip
    added = outbox.enqueue(
        session, key=key, audience=outbox.RESIDENT, recipient=openid, kind=KIND,
        payload={"text": text, "data": {"text": text}}, now=now, committee_id=committee_id,
    )  # fmt: skip
    return added is not None


def proxy_decided(
    session: Session, content: Content, binding: ResidentBinding, *, name: str, now: datetime
) -> bool:
    """Tell the requester their proxy request was approved (the person named masked) or refused
    (with the reason); False when this decision was told already."""
    words = content.binding.notices
    if binding.status == ACTIVE:
        decision = "approved"
        text = words.proxy_approved.format(
            name=mask_name(name), relation=relation_word(content, binding.relation)
        )
    else:
        decision, text = "rejected", words.proxy_rejected.format(reason=_reason(binding.reason))
    return _queue(session, key=f"binding:{binding.id}:{decision}", openid=binding.openid,
                  text=text, committee_id=binding.committee_id, now=now)  # fmt: skip


def registration_decided(
    session: Session, content: Content, registration: Registration, *, now: datetime
) -> bool:
    """Tell the one who registered that they were accepted (named masked) or refused (with the
    reason); False when this decision was told already."""
    words = content.binding.notices
    if registration.status == ACCEPTED:
        decision = "accepted"
        text = words.registration_accepted.format(name=mask_name(registration.name))
    else:
        decision = "rejected"
        text = words.registration_rejected.format(reason=_reason(registration.reason))
    return _queue(session, key=f"registration:{registration.id}:{decision}",
                  openid=registration.openid, text=text,
                  committee_id=registration.committee_id, now=now)  # fmt: skip


def self_report_decided(
    session: Session,
    content: Content,
    report: SelfReport,
    *,
    committee_id: int | None,
    now: datetime,
) -> bool:
    """Tell whoever asked for a change that it was made (the new value masked) or refused (with
    the reason); False when this decision was told already."""
    words = content.binding.notices
    field = field_word(content, report.field)
    if report.status == APPROVED:
        decision = "approved"
        text = words.self_report_approved.format(field=field, value=shown_value(content, report))
    else:
        decision = "rejected"
        text = words.self_report_rejected.format(field=field, reason=_reason(report.reason))
    return _queue(session, key=f"self-report:{report.id}:{decision}", openid=report.openid,
                  text=text, committee_id=committee_id, now=now)  # fmt: skip
