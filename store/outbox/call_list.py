"""The staff call list: residents Linli could not reach, as rows for a sheet or the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from store.outbox import messages as outbox
from store.staff.scope import Scope


@dataclass(frozen=True)
class CallListRow:
    """One message that did not reach its resident, and why."""

    openid: str
    kind: str
    message: str
    reason: str  # a reason key (see notifications.yaml) or WeChat's error text
    error_code: int | None
    queued_at: datetime
    last_message_at: datetime | None

    def cells(self, tz: ZoneInfo, *, reason: str) -> tuple[object, ...]:
        """The row's values for a sheet, the reason in words and times in local time."""

        def local(value: datetime | None) -> str:
            return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

        return (
            self.openid, self.kind, self.message, reason, self.error_code,
            local(self.queued_at), local(self.last_message_at),
        )  # fmt: skip


def rows(session: Session, scope: Scope | None = None) -> list[CallListRow]:
    """Unreachable resident messages, newest first: the scope's, or every one (server CLI)."""
    return [
        CallListRow(
            openid=message.recipient,
            kind=message.kind,
            message=str(message.payload.get("text", "")),
            reason=message.last_error or "",
            error_code=message.last_error_code,
            queued_at=message.created_at,
            last_message_at=user.last_message_at if user else None,
        )
        for message, user in outbox.unreachable(session, scope)
    ]
