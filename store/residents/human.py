"""Requests for a person (人工), waiting for the handoff issue to route them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from flows.masking import mask_numbers_in
from store.residents.models import HumanRequest


def is_open(session: Session, openid: str) -> bool:
    """True when the resident already has an open request."""
    query = select(HumanRequest.id).where(
        HumanRequest.openid == openid, HumanRequest.status == "open"
    )
    return session.exec(query).first() is not None


def add(
    session: Session, *, openid: str, text: str, flow: str | None, step: str | None, now: datetime
) -> HumanRequest:
    """Record a request for a person; numbers in what the resident said are kept masked."""
    masked = mask_numbers_in(text)
    request = HumanRequest(openid=openid, text=masked, flow=flow, step=step, created_at=now)
    session.add(request)
    session.flush()
    return request
