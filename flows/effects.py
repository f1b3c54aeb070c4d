"""Effects: what a conversation wants written. The engine returns them; bot/ applies them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Effect:
    """Base of every effect; each subclass is applied by one store service."""


@dataclass(frozen=True)
class RequestHuman(Effect):
    """The resident asked for a person (人工)."""

    openid: str
    text: str
    flow: str | None = None
    step: str | None = None
