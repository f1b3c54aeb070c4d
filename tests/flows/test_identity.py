"""Personal numbers and dates of the registry: the clean value, or the reason it is not taken."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from config.content import load_content
from flows.identity import (
    Clean,
    Flagged,
    age_on,
    born_on,
    check_date,
    check_id_card,
    check_landline,
    check_mobile,
    cohorts_of,
    gender_of,
    mismatches,
)


def valid_id(first17: str) -> str:
    """An 18-character ID number: the first 17 digits and their GB 11643 check character."""
    # ISO 7064 MOD 11-2 written out from the standard, independently of flows/inputs.py.
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def _wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


MAN_1955 = valid_id("44010619550315123")  # 17th digit 3: male
WOMAN_1962 = valid_id("11010519621108004")  # 17th digit 4: female
WITH_X = next(n for n in (valid_id(f"32010219800101{d:02d}1") for d in range(100)) if n[-1] == "X")
LEGACY = "440106550315123"  # 15 digits, born 1955-03-15, male


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (MAN_1955, Clean(MAN_1955)),
        (WITH_X, Clean(WITH_X)),
        (WITH_X.lower(), Clean(WITH_X)),
        (f" {MAN_1955[:6]} {MAN_1955[6:14]} {MAN_1955[14:]} ", Clean(MAN_1955)),
        (MAN_1955.translate(str.maketrans("0123456789", "０１２３４５６７８９")), Clean(MAN_1955)),
        (LEGACY, Clean(MAN_1955, converted=True)),
        (_wrong_check(MAN_1955), Flagged("id_card_check_digit")),
        (MAN_1955[:17], Flagged("id_card_length")),
        (MAN_1955 + "1", Flagged("id_card_length")),
        ("44010619550315A23" + MAN_1955[-1], Flagged("id_card_format")),
        (valid_id("44010619550230123"), Flagged("id_card_birth_date")),  # 30 February
        ("440106551315123", Flagged("id_card_birth_date")),  # legacy, month 13
        ("", Flagged("missing")),
    ],
)
def test_id_card_numbers(typed: str, expected: object) -> None:
    assert check_id_card(typed) == expected


def test_a_converted_legacy_number_is_the_one_the_person_holds_today() -> None:
    converted = check_id_card(LEGACY)
    assert isinstance(converted, Clean)
    assert converted.value == valid_id("440106" + "19" + "550315123")
    assert (born_on(converted.value), gender_of(converted.value)) == (date(1955, 3, 15), "male")


@pytest.mark.parametrize(
    ("number", "birth_date", "gender", "reasons"),
    [
        (MAN_1955, date(1955, 3, 15), "male", ()),
        (MAN_1955, None, None, ()),
        (WOMAN_1962, date(1962, 11, 8), "female", ()),
        (MAN_1955, date(1955, 5, 13), "male", ("birth_date_mismatch",)),
        (MAN_1955, date(1955, 3, 15), "female", ("gender_mismatch",)),
        (WOMAN_1962, date(1962, 8, 11), "male", ("birth_date_mismatch", "gender_mismatch")),
    ],
)
def test_date_of_birth_and_gender_are_checked_against_the_id_number(
    number: str, birth_date: date | None, gender: str | None, reasons: tuple[str, ...]
) -> None:
    assert mismatches(number, birth_date, gender) == reasons


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("13812345678", Clean("13812345678")),
        ("138 1234 5678", Clean("13812345678")),
        ("+86 138-1234-5678", Clean("13812345678")),
        ("１３８１２３４５６７８", Clean("13812345678")),
        ("19912345678", Clean("19912345678")),
        ("12812345678", Flagged("mobile_format")),
        ("1381234567", Flagged("mobile_format")),
        ("138123456789", Flagged("mobile_format")),
        ("020-83456789", Flagged("mobile_format")),
        ("无", Flagged("mobile_format")),
        ("  ", Flagged("missing")),
    ],
)
def test_mobile_numbers(typed: str, expected: object) -> None:
    assert check_mobile(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("020-83456789", Clean("020-83456789")),
        ("02083456789", Clean("020-83456789")),
        ("010 6345 6789", Clean("010-63456789")),
        ("(0755)83456789", Clean("0755-83456789")),
        ("0755-8345678", Clean("0755-8345678")),
        ("０２０－８３４５６７８９", Clean("020-83456789")),
        ("83456789", Flagged("landline_area_code")),
        ("020-1234", Flagged("landline_format")),
        ("020-03456789", Flagged("landline_format")),
        ("13812345678", Flagged("landline_format")),
        ("", Flagged("missing")),
    ],
)
def test_landlines(typed: str, expected: object) -> None:
    assert check_landline(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1960-05-01", Clean(date(1960, 5, 1))),
        ("1960/5/1", Clean(date(1960, 5, 1))),
        ("1960.05.01", Clean(date(1960, 5, 1))),
        ("1960年5月1日", Clean(date(1960, 5, 1))),
        ("19600501", Clean(date(1960, 5, 1))),
        ("１９６０－０５－０１", Clean(date(1960, 5, 1))),
        ("1960-02-30", Flagged("date_format")),
        ("5/1/1960", Flagged("date_format")),
        ("六十年代", Flagged("date_format")),
        ("", Flagged("missing")),
    ],
)
def test_dates(typed: str, expected: object) -> None:
    assert check_date(typed) == expected


def test_age_counts_full_years() -> None:
    assert age_on(date(1966, 5, 1), date(2026, 4, 30)) == 59
    assert age_on(date(1966, 5, 1), date(2026, 5, 1)) == 60
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25


@pytest.mark.parametrize(
    ("birth_date", "gender", "on", "cohorts"),
    [
        (date(1966, 5, 1), "male", date(2026, 4, 30), ()),
        (date(1966, 5, 1), "male", date(2026, 5, 1), ("elderly_men",)),
        (date(1966, 5, 1), "female", date(2026, 5, 1), ("elderly_women",)),
        (date(1971, 5, 1), "female", date(2026, 5, 1), ("elderly_women",)),
        (date(1971, 5, 1), "male", date(2026, 5, 1), ()),
        (date(1946, 1, 1), "male", date(2026, 5, 1), ("elderly_men", "aged_70", "aged_80")),
        (date(1950, 1, 1), None, date(2026, 5, 1), ("aged_70",)),
        (None, "male", date(2026, 5, 1), ()),
    ],
)
def test_cohorts_come_from_the_date_of_birth_and_the_configured_ages(
    content_dir: Path,
    birth_date: date | None,
    gender: str | None,
    on: date,
    cohorts: tuple[str, ...],
) -> None:
    configured = load_content(content_dir).registry.cohorts
    assert cohorts_of(birth_date, gender, on, configured) == cohorts
