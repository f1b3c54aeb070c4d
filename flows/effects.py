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


@dataclass(frozen=True)
class FileReport(Effect):
    """The resident confirmed a new report (我要报事); the reply's {reference} is filled in."""

    openid: str
    category: str
    description: str
    answers: tuple[dict[str, str], ...] = ()
    place_id: int | None = None
    place_text: str = ""
    lat: float | None = None
    lng: float | None = None
    photos: tuple[tuple[str, str], ...] = ()  # (media_id, pic_url)


@dataclass(frozen=True)
class FollowReport(Effect):
    """The resident said an open report is the same problem (+1)."""

    openid: str
    reference: str


@dataclass(frozen=True)
class AnswerFollowUp(Effect):
    """The reporter answered 回访: solved or not, and a rating when solved."""

    openid: str
    reference: str
    solved: bool
    rating: int | None = None
