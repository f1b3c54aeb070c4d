"""Personal numbers kept safe in rows already written: mask and seal what older versions kept in
clear, and seal again with the current key after a key change (both idempotent, resumable)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from flows.masking import mask_numbers_in
from store.inbound.messages import masked_fields
from store.inbound.models import InboundMessage
from store.registry.import_models import RegistryConflict
from store.registry.models import Resident, ResidentTag
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


# Every column that holds a sealed value, as (table, column, its lookup-hash column or None).
# The lookup hash is keyed by the current key too, so rotation recomputes it from the opened
# value. Conversations keep theirs inside `data` (see _reseal_conversations).
SEALED_COLUMNS: tuple[tuple[Any, str, str | None], ...] = (
    (Report, "description_sealed", None),
    (InboundMessage, "raw", None),
    (Resident, "id_card_sealed", "id_card_hash"),
    (Resident, "mobile_sealed", "mobile_hash"),
    (Resident, "landline_sealed", None),
    (ResidentTag, "certificate_number_sealed", None),
    (RegistryConflict, "sheet_value_sealed", None),
)


def reseal(session: Session, sealer: Sealer, *, batch: int = 500) -> int:
    """Seal again, with the current key, up to `batch` values sealed with an older one; how many.

    Call it until it returns 0 (`linli keys rotate` does, one transaction per batch), so an
    interrupted rotation simply continues where it stopped.
    """
    done = 0
    for table, name, hashed in SEALED_COLUMNS:
        column = getattr(table, name)
        stale = col(column).startswith(PREFIX) & ~col(column).startswith(
            f"{PREFIX}{sealer.key_id}."
        )
        rows = session.exec(select(table.id, column).where(stale).limit(batch - done)).all()
        for row_id, sealed in rows:
            plain = sealer.open(sealed)
            values = {name: sealer.seal(plain)}
            if hashed is not None:
                values[hashed] = sealer.lookup_hash(plain)
            session.execute(update(table).where(table.id == row_id).values(values))
        done += len(rows)
        if done >= batch:
            return done
    return done + _reseal_conversations(session, sealer, batch - done)


def _reseal_conversations(session: Session, sealer: Sealer, batch: int) -> int:
    done = 0
    for row in session.exec(select(Conversation)).all():
        sealed = row.data.get("sealed") if row.data else None
        if not is_sealed(sealed) or sealer.is_current(sealed):
            continue
        row.data = {"sealed": sealer.seal(sealer.open(sealed))}
        session.add(row)
        done += 1
        if done >= batch:
            break
    session.flush()
    return done
