"""The binding flows' side of the webhook: what StorePort reads for them (the people an openid
acts for, their details masked, its bindings) and the appliers of their effects, through the
store/binding services."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from config.content import Content
from flows.binding import BIND_RESULT, BOUND, PENDING, UNBIND_RESULT, bind_reply, unbind_reply
from flows.binding_update import GONE, REFUSED, UPDATE_RESULT, update_reply
from flows.effects import BindResident, RegisterResident, RequestProxy, SubmitSelfReport, Unbind
from flows.masking import mask_id_card, mask_mobile, mask_name
from store.binding import bindings, registrations, self_reports
from store.binding.models import ResidentBinding
from store.errors import Refused
from store.registry import search
from store.registry.models import Resident
from store.registry.residents import get_resident
from store.sealing import Sealer

if TYPE_CHECKING:
    from bot.webhook.effects import Context, Facts


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of the resident's local day, in UTC: the daily limit counts from it."""
    return datetime.combine(now.astimezone(tz).date(), time(), tzinfo=tz).astimezone(UTC)


def _residents(session: Session, rows: list[ResidentBinding]) -> dict[int, Resident]:
    """The residents of active bindings, by id (a binding's committee is its resident's)."""
    found: dict[int, Resident] = {}
    for row in rows:
        if row.resident_id is not None and row.committee_id is not None:
            found[row.resident_id] = get_resident(session, row.committee_id, row.resident_id)
    return found


def _opened(sealer: Sealer, sealed: str | None) -> str:
    return sealer.open(sealed) if sealed else ""


class BindingReads:
    """What the binding flows read, for one openid's message (bindings loaded once)."""

    def __init__(
        self, session: Session, content: Content, sealer: Sealer, tz: ZoneInfo, now: datetime
    ) -> None:
        self.session = session
        self.content = content
        self.sealer = sealer
        self.tz = tz
        self.now = now
        self._rows: dict[str, list[ResidentBinding]] = {}

    def rows(self, openid: str) -> list[ResidentBinding]:
        """The openid's pending and active bindings, oldest first."""
        if openid not in self._rows:
            self._rows[openid] = bindings.bindings_of(self.session, openid)
        return self._rows[openid]

    def _day(self, when: datetime) -> str:
        return when.astimezone(self.tz).date().isoformat()

    def people_of(self, openid: str) -> list[dict[str, Any]]:
        """The residents the openid acts for, each named masked."""
        rows = {row.id: row for row in self.rows(openid)}
        people = bindings.people_of(self.session, openid)
        residents = _residents(self.session, [rows[p.binding_id] for p in people])
        return [
            {
                "binding_id": p.binding_id,
                "resident_id": p.resident_id,
                "kind": p.kind,
                "relation": p.relation,
                "name_masked": mask_name(residents[p.resident_id].name),
            }
            for p in people
            if p.resident_id in residents
        ]

    def details_of(self, openid: str) -> list[dict[str, Any]]:
        """Each resident the openid acts for, every personal detail masked."""
        people = self.people_of(openid)
        rows = {row.id: row for row in self.rows(openid)}
        residents = _residents(self.session, [rows[p["binding_id"]] for p in people])
        today = self.now.astimezone(self.tz).date()
        homes = search.homes_of(self.session, list(residents), today=today)
        words = self.content.binding.update
        found = []
        for person in people:
            resident = residents[person["resident_id"]]
            home = next(iter(homes.get(person["resident_id"], [])), None)
            unit = words.unit_shown.format(unit=home.unit) if home and home.unit else ""
            address = (
                words.dwelling_shown.format(building=home.building, unit=unit, room=home.room)
                if home else ""
            )  # fmt: skip
            id_card = _opened(self.sealer, resident.id_card_sealed)
            mobile = _opened(self.sealer, resident.mobile_sealed)
            confirmed = resident.last_confirmed_at
            found.append(
                {
                    "name": person["name_masked"],
                    "kind": person["kind"],
                    "relation": person["relation"],
                    "gender": resident.gender,
                    "birth_year": resident.birth_date.year if resident.birth_date else None,
                    "id_card": mask_id_card(id_card) if id_card else "",
                    "mobile": mask_mobile(mobile) if mobile else "",
                    "address": address,
                    "residence_status": resident.residence_status,
                    "confirmed_on": self._day(confirmed) if confirmed else None,
                }
            )
        return found

    def bindings_of(self, openid: str) -> list[dict[str, Any]]:
        """The openid's bindings; a pending one names nobody (not even whether it matched)."""
        rows = self.rows(openid)
        residents = _residents(self.session, [r for r in rows if r.status != PENDING])
        return [
            {
                "binding_id": row.id,
                "kind": row.kind,
                "relation": row.relation,
                "status": row.status,
                "name_masked": ""
                if row.status == PENDING or row.resident_id not in residents
                else mask_name(residents[row.resident_id].name),
                "requested_on": self._day(row.requested_at),
            }
            for row in rows
        ]


def _name_of(session: Session, openid: str, binding_id: int | None) -> str:
    """The person a binding names, masked."""
    rows = [row for row in bindings.bindings_of(session, openid) if row.id == binding_id]
    people = _residents(session, rows)
    return mask_name(people[rows[0].resident_id].name) if rows and people else ""


def bind_resident(session: Session, effect: BindResident, context: Context) -> Facts:
    """Bind the resident to themselves; every failure is told in the same words."""
    binding = context.content.binding
    result = bindings.bind_self(
        session, context.sealer, openid=effect.openid, name=effect.name, proof=effect.proof,
        now=context.now, since=day_start(context.now, context.tz),
        limit=binding.attempts_per_day, name_limit=binding.name_attempts_per_day,
    )  # fmt: skip
    name = _name_of(session, effect.openid, result.binding_id) if result.status == BOUND else ""
    return {BIND_RESULT: bind_reply(binding.bind, result.status, name)}


def request_proxy(session: Session, effect: RequestProxy, context: Context) -> Facts:
    """Ask to act for a family member: the same answer whether anyone matched or not."""
    binding = context.content.binding
    result = bindings.request_proxy(
        session, context.sealer, openid=effect.openid, name=effect.name, proof=effect.proof,
        relation=effect.relation, now=context.now, since=day_start(context.now, context.tz),
        limit=binding.attempts_per_day, name_limit=binding.name_attempts_per_day,
    )  # fmt: skip
    return {BIND_RESULT: bind_reply(binding.bind, result.status)}


def unbind(session: Session, effect: Unbind, context: Context) -> Facts:
    """End one of the openid's own bindings."""
    ended = bindings.unbind(
        session, openid=effect.openid, binding_id=effect.binding_id, now=context.now
    )
    return {UNBIND_RESULT: unbind_reply(context.content.binding.bind, ended)}


def register_resident(session: Session, effect: RegisterResident, context: Context) -> None:
    """Keep a registration as a new resident for staff to review."""
    registrations.register(
        session, context.sealer, openid=effect.openid, name=effect.name, mobile=effect.mobile,
        address=effect.address, place_id=effect.place_id, unit=effect.unit, room=effect.room,
        now=context.now,
    )  # fmt: skip


def submit_self_report(session: Session, effect: SubmitSelfReport, context: Context) -> Facts:
    """Keep (or apply) a change, once more checking that the openid acts for the resident."""
    allowed = any(
        p.resident_id == effect.resident_id and (p.kind == "proxy") == effect.by_proxy
        for p in bindings.people_of(session, effect.openid)
    )
    if not allowed:  # unbound (or the proxy ended) since the flow started
        return {UPDATE_RESULT: update_reply(context.content, GONE)}
    try:
        report = self_reports.submit(
            session, context.sealer, openid=effect.openid, resident_id=effect.resident_id,
            by_proxy=effect.by_proxy, field=effect.field, value=effect.value,
            needs_approval=effect.needs_approval, now=context.now, shown=effect.shown,
        )  # fmt: skip
    except Refused:
        return {UPDATE_RESULT: update_reply(context.content, REFUSED)}
    return {UPDATE_RESULT: update_reply(context.content, report.status)}
