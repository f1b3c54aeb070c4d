"""Rows written before personal numbers were sealed, masked and sealed in place (idempotent)."""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from flows.masking import mask_numbers_in
from store.inbound.messages import masked_fields
from store.inbound.models import InboundMessage
from store.reports.models import Report
from store.residents.models import Conversation, HumanRequest
from store.sealing import PREFIX, Sealer, is_sealed

_BATCH = 500


def protect_existing(session: Session, sealer: Sealer) -> dict[str, int]:
    """Mask and seal what older versions stored in clear; how many rows of each kind changed."""
    return {
        "reports": _reports(session, sealer),
        "messages": _messages(session, sealer),
        "conversations": _conversations(session, sealer),
        "requests": _requests(session),
    }


def _reports(session: Session, sealer: Sealer) -> int:
    changed = 0
    query = select(Report).where(col(Report.description_sealed).is_(None))
    for report in session.exec(query.execution_options(yield_per=_BATCH)):
        masked = mask_numbers_in(report.description)
        answers = [
            {**a, "answer": mask_numbers_in(a["answer"])} if isinstance(a.get("answer"), str) else a
            for a in report.answers
        ]
        place_text = mask_numbers_in(report.place_text)
        if (masked, answers, place_text) == (report.description, report.answers, report.place_text):
            continue
        if masked != report.description:
            report.description_sealed = sealer.seal(report.description)
        report.description, report.answers, report.place_text = masked, answers, place_text
        session.add(report)
        changed += 1
    session.flush()
    return changed


def _messages(session: Session, sealer: Sealer) -> int:
    changed = 0
    unsealed = (InboundMessage.raw != "") & ~col(InboundMessage.raw).startswith(PREFIX)
    query = select(InboundMessage.id, InboundMessage.raw, InboundMessage.fields,
                   InboundMessage.reply).where(unsealed)  # fmt: skip
    for message_id, raw, fields, reply in session.exec(query).all():
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == message_id)
            .values(
                raw=sealer.seal(raw),
                fields=masked_fields(fields),
                reply=mask_numbers_in(reply) if reply else reply,
            )
        )
        changed += 1
    return changed


def _conversations(session: Session, sealer: Sealer) -> int:
    changed = 0
    for row in session.exec(select(Conversation)).all():
        if not row.data or is_sealed(row.data.get("sealed")):
            continue
        row.data = {"sealed": sealer.seal_json(row.data)}
        session.add(row)
        changed += 1
    session.flush()
    return changed


def _requests(session: Session) -> int:
    changed = 0
    digits = or_(*(col(HumanRequest.text).contains(str(d)) for d in range(10)))
    for request in session.exec(select(HumanRequest).where(digits)).all():
        masked = mask_numbers_in(request.text)
        if masked != request.text:
            request.text = masked
            session.add(request)
            changed += 1
    session.flush()
    return changed
