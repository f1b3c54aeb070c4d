"""Events that report on delivery rather than talk: template job reports and consent popups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from store.outbox import messages as outbox
from store.residents import consents

CONSENT_EVENTS = ("subscribe_msg_popup_event", "subscribe_msg_change_event")


def record(session: Session, event: str, fields: dict[str, Any], now: datetime) -> None:
    """Write what a delivery event tells us (other events are left to the conversation)."""
    if event == "templatesendjobfinish":
        msg_id = str(fields.get("MsgID") or fields.get("MsgId") or "")
        if msg_id.isdigit():
            outbox.record_job_finish(session, int(msg_id), str(fields.get("Status") or ""))
    elif event in CONSENT_EVENTS:
        for item in _items(fields):
            template_id = str(item.get("TemplateId") or "")
            status = str(item.get("SubscribeStatusString") or "").lower()
            if template_id and status in ("accept", "reject"):
                consents.record(
                    session,
                    openid=str(fields["FromUserName"]),
                    template_id=template_id,
                    accepted=status == "accept",
                    now=now,
                )


def _items(fields: dict[str, Any]) -> list[dict[str, Any]]:
    # One <List> parses to a dict, several to a list.
    for key in ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent"):
        block = fields.get(key)
        if isinstance(block, dict):
            items = block.get("List")
            if isinstance(items, dict):
                return [items]
            if isinstance(items, list):
                return [i for i in items if isinstance(i, dict)]
    return []
