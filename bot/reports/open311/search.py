"""GET requests: the filters GeoReport clients send, the query over what a key may see, and each
report as a service request."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.reports import display
from bot.reports.open311.catalogue import category
from bot.reports.open311.wire import Open311Error
from config.content import Content
from store.reports import facts as report_facts
from store.reports import inbox as report_inbox
from store.reports import service as reports
from store.reports.facts import ReportFacts
from store.reports.models import FINISHED, REFERRED, Report
from store.staff.scope import Scope

DEFAULT_WINDOW = timedelta(days=90)
MAX_ROWS = 1000
OPEN, CLOSED = "open", "closed"
# W3C-DTF allows a bare year or year-month; Python's ISO parser wants at least a whole date.
_YEAR, _MONTH = re.compile(r"^\d{4}$"), re.compile(r"^\d{4}-\d{2}$")
# An offset's "+" that reached us unencoded in a query string arrives as a space.
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


@dataclass(frozen=True)
class Filters:
    """What to look for; references, when given, override everything else (as the spec says)."""

    references: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


def _moment(field: str, value: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 / W3C date or date-time; one without a zone is read in the installation's."""
    text = _SPACED_OFFSET.sub(r"+\1", value.strip())
    text = text + "-01-01" if _YEAR.match(text) else text + "-01" if _MONTH.match(text) else text
    try:
        parsed = datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise Open311Error(400, field, "an ISO 8601 date or date-time") from None


def filters(
    content: Content,
    *,
    service_request_id: str | None,
    service_code: str | None,
    status: str | None,
    start_date: str | None,
    end_date: str | None,
    now: datetime,
    tz: ZoneInfo,
) -> Filters:
    """Read the query parameters; a bad one is refused with its name and why."""
    references = _listed(service_request_id)
    if any("\x00" in reference for reference in references):
        raise Open311Error(400, "service_request_id", "must not contain a NUL character")
    if len(references) > MAX_ROWS:
        raise Open311Error(400, "service_request_id", f"at most {MAX_ROWS} at once")
    codes = _listed(service_code)
    for code in codes:
        category(content.reports, code, refusal=400)
    statuses = _listed(status.lower() if status else None)
    if any(s not in (OPEN, CLOSED) for s in statuses):
        raise Open311Error(400, "status", "open or closed")
    end = _moment("end_date", end_date, tz) if end_date else now
    if start_date:
        start = _moment("start_date", start_date, tz)
    elif end - datetime.min.replace(tzinfo=UTC) < DEFAULT_WINDOW:
        raise Open311Error(400, "end_date", "too early")
    else:
        start = end - DEFAULT_WINDOW
    if start > end:
        raise Open311Error(400, "end_date", "before start_date")
    return Filters(references, codes, statuses, start, end)


def find(session: Session, scope: Scope, wanted: Filters) -> Sequence[Report]:
    """The newest matching reports the scope may see, at most MAX_ROWS."""
    if wanted.references:
        chosen = report_inbox.ReportFilter(references=wanted.references)
    else:
        statuses = None
        if len(wanted.statuses) == 1:
            statuses = reports.OPEN if wanted.statuses[0] == OPEN else FINISHED
        chosen = report_inbox.ReportFilter(
            statuses=statuses, categories=wanted.service_codes, made_after=wanted.start,
            made_before=wanted.end,
        )  # fmt: skip
    return report_inbox.newest(session, scope, chosen, MAX_ROWS)


def one(session: Session, scope: Scope, reference: str) -> Report:
    """A report the scope may see; anything else is the same 404, so nothing leaks."""
    found = None if "\x00" in reference else reports.get_visible(session, scope, reference)
    if found is None:
        raise Open311Error(404, "service_request_id", f"no request {reference!r}")
    return found


def described(
    session: Session, content: Content, scope: Scope, found: Sequence[Report], tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Reports as GeoReport service requests (a handful of queries, however many rows)."""
    rows: list[dict[str, Any]] = []
    # Reports above any committee (sub-district level) are the sub-district's to handle.
    above = report_facts.sub_district_name(session, scope.sub_district_id)
    for chunk in report_facts.chunks(found):
        notes = report_facts.latest_notes(session, [r.id for r in chunk if r.id is not None])
        rows += [
            _request(content, item, notes.public, above, tz)
            for item in report_facts.facts(session, chunk)
        ]
    return rows


def _request(
    content: Content,
    item: ReportFacts,
    notes: dict[int, str],
    sub_district: str | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    report, place = item.report, item.place
    return {
        "service_request_id": report.reference,
        "status": OPEN if report.status in reports.OPEN else CLOSED,
        "status_notes": notes.get(report.id or 0),
        "service_name": display.category_name(content, report.category),
        "service_code": report.category,
        "description": report.description,
        "agency_responsible": item.committee or sub_district,
        "service_notice": _notice(content, report),
        "requested_datetime": _w3c(report.created_at, tz),
        "updated_datetime": _w3c(report.updated_at, tz),
        "expected_datetime": None,  # no promised dates: the committee sets none
        "address": display.address(report, place),
        "address_id": str(place.id) if place else None,
        "zipcode": None,
        "lat": report.lat if report.lat is not None else (place.lat if place else None),
        "long": report.lng if report.lng is not None else (place.lng if place else None),
        "media_url": "",  # photos are for staff only
    }


def _notice(content: Content, report: Report) -> str:
    status = display.status_name(content, report.status)
    if report.status == REFERRED and report.referred_to:
        return content.reports.open311.referred.format(status=status, to=report.referred_to)
    return status


def _w3c(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None
