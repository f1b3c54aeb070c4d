"""Residents' personal numbers and dates checked: the clean value, or the reason it is not one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeAlias, TypeVar

from config.registry_content import Cohort
from flows.inputs import (
    ID_CARD_LENGTH,
    Parsed,
    id_card_check_char,
    id_card_flaw,
    normalise,
    parse_mobile,
)

T = TypeVar("T")

# Reason codes (registry.yaml words each of them under `reasons`).
DATE_FORMAT = "date_format"
BIRTH_DATE_MISMATCH = "birth_date_mismatch"
GENDER_MISMATCH = "gender_mismatch"
MOBILE_FORMAT = "mobile_format"
LANDLINE_FORMAT = "landline_format"
LANDLINE_AREA_CODE = "landline_area_code"
MISSING = "missing"


@dataclass(frozen=True)
class Clean(Generic[T]):
    """A value that passed its check, as it is to be stored."""

    value: T
    # A 15-digit legacy ID number was converted to its 18-digit form.
    converted: bool = False


@dataclass(frozen=True)
class Flagged:
    """A value that failed its check: why (a reason code), and nothing fixed or dropped."""

    reason: str


Checked: TypeAlias = Clean[T] | Flagged


def _digits_text(text: str) -> str:
    """Full-width forms folded and every space removed, nothing else changed."""
    return normalise(text).replace(" ", "")


def check_id_card(text: str) -> Checked[str]:
    """An 18-character ID number checked per GB 11643; a 15-digit legacy number converted."""
    cleaned = _digits_text(text).upper()
    if not cleaned:
        return Flagged(MISSING)
    converted = False
    if len(cleaned) == 15 and cleaned.isascii() and cleaned.isdigit():
        # 1999's numbers dropped the century and had no check character: 19 goes back in.
        first17 = cleaned[:6] + "19" + cleaned[6:]
        cleaned, converted = first17 + id_card_check_char(first17), True
    flaw = id_card_flaw(cleaned)
    if flaw is not None:
        return Flagged("id_card_length" if flaw == ID_CARD_LENGTH else f"id_card_{flaw}")
    return Clean(cleaned, converted=converted)


def born_on(id_card: str) -> date:
    """The date of birth a valid 18-character ID number carries."""
    return date(int(id_card[6:10]), int(id_card[10:12]), int(id_card[12:14]))


def gender_of(id_card: str) -> str:
    """The gender code a valid 18-character ID number carries (17th digit odd: male)."""
    return "male" if int(id_card[16]) % 2 else "female"


def mismatches(id_card: str, birth_date: date | None, gender: str | None) -> tuple[str, ...]:
    """Reasons the given date of birth and gender disagree with the ID number (none: agree)."""
    found = []
    if birth_date is not None and birth_date != born_on(id_card):
        found.append(BIRTH_DATE_MISMATCH)
    if gender is not None and gender != gender_of(id_card):
        found.append(GENDER_MISMATCH)
    return tuple(found)


_DATE = re.compile(r"([0-9]{4})(?:[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?|([0-9]{2})([0-9]{2}))")


def check_date(text: str) -> Checked[date]:
    """A calendar date written 1960-05-01, 1960/5/1, 1960.5.1, 1960年5月1日 or 19600501."""
    cleaned = _digits_text(text)
    if not cleaned:
        return Flagged(MISSING)
    m = _DATE.fullmatch(cleaned)
    if not m:
        return Flagged(DATE_FORMAT)
    month, day = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
    try:
        return Clean(date(int(m.group(1)), int(month), int(day)))
    except ValueError:
        return Flagged(DATE_FORMAT)


def check_mobile(text: str) -> Checked[str]:
    """A mainland mobile number (11 digits, 1[3-9]…), a +86 prefix and separators dropped."""
    if not _digits_text(text):
        return Flagged(MISSING)
    parsed = parse_mobile(text)
    if isinstance(parsed, Parsed):
        return Clean(str(parsed.value))
    return Flagged(MOBILE_FORMAT)


# Beijing (010) and 020-029 have 3-digit area codes, every other area 4 digits.
_AREA = r"(?:010|02[0-9]|0[3-9][0-9]{2})"
_LOCAL = r"[2-9][0-9]{6,7}"
_LANDLINE = re.compile(rf"\(?({_AREA})\)?-?([0-9][0-9-]*)")


def check_landline(text: str) -> Checked[str]:
    """A landline written with its area code, as 区号-号码 (020-12345678)."""
    cleaned = re.sub(r"[\s\u2013\u2014]+", "-", normalise(text)).strip("-")
    if not cleaned:
        return Flagged(MISSING)
    m = _LANDLINE.fullmatch(cleaned)
    if m and re.fullmatch(_LOCAL, local := m.group(2).replace("-", "")):
        return Clean(f"{m.group(1)}-{local}")
    if re.fullmatch(_LOCAL, cleaned.replace("-", "")):
        return Flagged(LANDLINE_AREA_CODE)
    return Flagged(LANDLINE_FORMAT)


def age_on(birth_date: date, on: date) -> int:
    """Age in full years (周岁) on a day."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def cohorts_of(
    birth_date: date | None, gender: str | None, on: date, cohorts: Mapping[str, Cohort]
) -> tuple[str, ...]:
    """The keys of the configured cohorts a resident belongs to on a day (derived, never typed)."""
    if birth_date is None:
        return ()
    age = age_on(birth_date, on)
    return tuple(
        key
        for key, cohort in cohorts.items()
        if age >= cohort.min_age
        and (cohort.max_age is None or age <= cohort.max_age)
        and (cohort.gender is None or cohort.gender == gender)
    )
