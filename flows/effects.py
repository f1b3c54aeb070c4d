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


@dataclass(frozen=True)
class BindResident(Effect):
    """The resident named themselves and proved it (the last 6 of the ID number, or the
    mobile); the reply's {bind_result} is filled in (bound, failed or limited)."""

    openid: str
    name: str
    proof: str


@dataclass(frozen=True)
class RequestProxy(Effect):
    """A family member asked to act for someone; the reply's {bind_result} is filled in, the
    same whether or not anyone matched."""

    openid: str
    name: str
    proof: str
    relation: str


@dataclass(frozen=True)
class Unbind(Effect):
    """The resident ended one of their own bindings; the reply's {unbind_result} is filled in."""

    openid: str
    binding_id: int


@dataclass(frozen=True)
class RegisterResident(Effect):
    """Someone who matched nobody registered as a new resident, for staff to review."""

    openid: str
    name: str
    mobile: str
    address: str
    place_id: int | None = None
    unit: str = ""
    room: str = ""


@dataclass(frozen=True)
class SubmitSelfReport(Effect):
    """A resident (or approved proxy) changed a detail; the reply's {update_result} is filled
    in. `value` is what the registry takes (a mobile, {place_id, unit, room}, a status code);
    `shown` is it as staff see it, masked."""

    openid: str
    resident_id: int
    by_proxy: bool
    field: str
    value: object
    shown: str
    needs_approval: bool


@dataclass(frozen=True)
class AnswerCampaign(Effect):
    """The resident (or their family proxy) answered a campaign's message (核对信息): their
    details are right ("confirmed") or need changing ("changed")."""

    openid: str
    answer: str


@dataclass(frozen=True)
class NotUnderstood(Effect):
    """A message reached the fallback (the menu and 人工): kept, numbers masked, for staff to
    group and turn into a synonym."""

    openid: str
    text: str


@dataclass(frozen=True)
class GiveChecklist(Effect):
    """A resident was given a service's personal checklist (办事清单): the service and the
    version of its file, the condition answers, and (after a walk-through) what is missing."""

    openid: str
    service: str
    version: str
    answers: tuple[tuple[str, str], ...] = ()  # (condition key, option key)
    items: tuple[str, ...] = ()  # the document keys the checklist listed
    missing: tuple[str, ...] | None = None  # None: no walk-through; () : nothing missing


@dataclass(frozen=True)
class SubmitApplication(Effect):
    """A resident applied in chat for a service the committee handles itself (开具居住证明);
    the reply's {reference} is filled in."""

    openid: str
    service: str
    version: str
    fields: tuple[tuple[str, str], ...]  # (field key, what the resident answered)


@dataclass(frozen=True)
class BookVisit(Effect):
    """Book (or, with `move`, re-book) a visit for a review record at a slot's local start
    ("2026-12-03T09:00"); the reply's {booking} says whether it was taken or just filled up."""

    openid: str
    record_id: int
    starts_at: str
    move: bool = False


@dataclass(frozen=True)
class CancelVisit(Effect):
    """Cancel the visit booked for a review record; the record is still to be done."""

    openid: str
    record_id: int


@dataclass(frozen=True)
class ReportReviewDone(Effect):
    """The resident says they did the review online (回复「已完成」): self-reported, for staff
    to confirm."""

    openid: str
    record_id: int


@dataclass(frozen=True)
class CheckedDocuments(Effect):
    """The one-visit check of a review's documents: which the resident said they lack."""

    openid: str
    record_id: int
    service: str
    version: str
    items: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class StopReminders(Effect):
    """No more review reminders to this WeChat user: of one programme, or (None) of all."""

    openid: str
    programme: str | None


@dataclass(frozen=True)
class ResumeReminders(Effect):
    """Review reminders again, every programme the user stopped."""

    openid: str
