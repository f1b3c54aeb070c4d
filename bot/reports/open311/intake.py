"""POST requests: a district system files a report it heard of, as a member of staff.

Accepted but never stored: email, first_name, last_name, phone, device_id and account_id. They
are personal data, and reports have no encryption at rest for them yet (residents' phone numbers
elsewhere are encrypted with DATA_KEY beside a keyed hash); storing them in clear text would be
worse than not having them. media_url is ignored as well: report photos are staff-only by design,
and Linli fetches nothing from a link a client hands it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.reports import service as reporting
from bot.reports.open311 import catalogue
from bot.reports.open311.wire import Open311Error
from bot.web.auth import Principal
from config.content import Content
from flows import place_names
from store.paging import MAX_ID
from store.places import lookup as places_lookup
from store.places import service as places
from store.places.models import Place
from store.reports import service as reports
from store.reports.models import Report
from store.sealing import Sealer
from store.staff import audit

DESCRIPTION_MAX = 4000  # as the GeoReport spec allows
ADDRESS_MAX = 200  # what the report keeps of a typed place
_ATTRIBUTE = re.compile(r"^attribute\[(.+)\]$")
_ID = re.compile(r"^[0-9]{1,10}$")


def _text(form: Mapping[str, str], field: str, longest: int = ADDRESS_MAX) -> str:
    value = form.get(field, "").strip()
    if "\x00" in value:
        raise Open311Error(400, field, "must not contain a NUL character")
    if len(value) > longest:
        raise Open311Error(400, field, f"at most {longest} characters")
    return value


def _number(form: Mapping[str, str], field: str, bound: float) -> float | None:
    raw = _text(form, field)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, field, "a number in decimal degrees") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise Open311Error(400, field, f"between -{bound:g} and {bound:g}")
    return value


def _point(form: Mapping[str, str]) -> tuple[float | None, float | None]:
    lat, lng = _number(form, "lat", 90), _number(form, "long", 180)
    if (lat is None) != (lng is None):
        raise Open311Error(400, "long" if lng is None else "lat", "give lat and long together")
    return lat, lng


def _attributes(form: Mapping[str, str]) -> dict[str, str]:
    given = {}
    for name in form:
        found = _ATTRIBUTE.match(name)
        if found:
            given[found.group(1)] = _text(form, name, catalogue.ATTRIBUTE_MAX)
    return given


def _place(
    session: Session,
    content: Content,
    caller: Principal,
    *,
    address_id: str,
    address: str,
    lat: float | None,
    lng: float | None,
) -> Place | None:
    """The place named by id, else matched from the address, else nearest to the point."""
    if address_id:
        number = int(address_id) if _ID.match(address_id) else 0
        place = places_lookup.get(session, number) if 0 < number <= MAX_ID else None
        if place is None or not caller.scope.allows(place.committee_id):
            raise Open311Error(400, "address_id", "no such place")
        return place
    known = places.listed(session, caller.scope)
    matched = place_names.match(address, known) if address else None
    if matched is None and lat is not None and lng is not None:
        within = content.reports.policy.nearest_place_meters
        matched = place_names.nearest(lat, lng, known, within)
    return matched


def file_request(
    session: Session,
    content: Content,
    caller: Principal,
    form: Mapping[str, str],
    *,
    now: datetime,
    tz: ZoneInfo,
    sealer: Sealer,
) -> Report:
    """Check the posted fields, then number, route, notify and audit a new report."""
    code = _text(form, "service_code")
    if not code:
        raise Open311Error(400, "service_code", "required")
    category = catalogue.category(content.reports, code, refusal=400)
    description = _text(form, "description", DESCRIPTION_MAX)
    answers = catalogue.answers(content.reports, category, _attributes(form))
    lat, lng = _point(form)
    address, address_id = _text(form, "address_string"), _text(form, "address_id")
    if lat is None and not address and not address_id:
        raise Open311Error(400, "lat", "give lat and long, address_string or address_id")
    place = _place(
        session, content, caller, address_id=address_id, address=address, lat=lat, lng=lng
    )
    # A bare point still tells staff where to go, rather than 未注明地点.
    label = address or ("" if place or lat is None else f"{lat:.6f},{lng:.6f}")
    new = reports.NewReport(
        category=category.key,
        description=description,
        source="open311",
        answers=answers,
        committee_id=place.committee_id if place else caller.staff.committee_id,
        sub_district_id=caller.staff.sub_district_id,
        place_id=place.id if place else None,
        place_text=label,
        lat=lat,
        lng=lng,
    )
    report = reporting.submit(session, content, new, now=now, tz=tz, sealer=sealer, place=place)
    audit.record(
        session, actor=audit.Actor.of(caller.staff), action="report.create",
        object_type="report", object_id=report.reference, committee_id=report.committee_id,
        sub_district_id=report.sub_district_id, now=now, after=audit.snapshot(report),
    )  # fmt: skip
    return report
