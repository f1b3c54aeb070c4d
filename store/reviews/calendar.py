"""Which yearly windows of a programme are open on a local day: pure date arithmetic, no SQL.

The planner joins the residents to these rows. A fixed window is one row per cycle. A birthday
or tag_date window is one row per day of the year it can fall on (its anchor, month*100+day),
so every resident whose birthday (or certificate's anniversary) puts them inside a window open
today is found, also after a day the planner missed or when one becomes eligible mid-window.

29 February: an anniversary falls on 28 February in a common year; the anchor 229 then has a
row of its own with the 28th's dates, so residents born on the 29th are matched exactly.
A window with no closing day (open-ended) stays open for new records until the next cycle's
window opens; its record stays open until it is completed (there is no deadline to miss).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from config.review_content import AgeRule, Programme, month_day

LEAP_YEAR = 2000  # a year with every month-day, 29 February included
DAYS_OF_YEAR = tuple(
    (d.month, d.day)
    for d in (date(LEAP_YEAR, 1, 1) + timedelta(days=n) for n in range(366))
)  # fmt: skip


@dataclass(frozen=True)
class Cutoff:
    """One age rule as bounds on the date of birth: a gender (or any), born on or before one
    day (old enough), born after another (not too old)."""

    gender: str | None
    born_on_or_before: date | None
    born_after: date | None


@dataclass(frozen=True)
class Opening:
    """A window open on the day asked about, and who is old enough for it."""

    anchor: int | None  # month*100+day of the birthday or anniversary; None for fixed windows
    anchor_on: date | None  # that birthday or anniversary in the cycle
    cycle: int
    opens_on: date
    closes_on: date | None  # None: no closing day
    cutoffs: tuple[Cutoff, ...]  # one per age rule; empty: any age


def on(year: int, month: int, day: int) -> date:
    """A month-day in a year (29 February is the 28th in a common year)."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, 28)


def years_before(day: date, years: int) -> date:
    """The same day `years` years earlier (29 February becomes the 28th in a common year)."""
    return on(day.year - years, day.month, day.day)


def _by_reference(rule: AgeRule, reference: date) -> Cutoff:
    """Age counted in whole years on a reference day."""
    oldest = None if rule.max_age is None else years_before(reference, rule.max_age + 1)
    youngest = None if rule.min_age is None else years_before(reference, rule.min_age)
    return Cutoff(rule.gender, youngest, oldest)


def _by_birthday(rule: AgeRule, cycle: int) -> Cutoff:
    """Age reached on the birthday of the cycle: the year of birth decides (the month-day is
    the anchor's)."""
    oldest = None if rule.max_age is None else date(cycle - rule.max_age - 1, 12, 31)
    youngest = None if rule.min_age is None else date(cycle - rule.min_age, 12, 31)
    return Cutoff(rule.gender, youngest, oldest)


def _fixed(programme: Programme, today: date) -> list[Opening]:
    window = programme.window
    opens, closes = month_day(window.opens), month_day(window.closes)
    assert opens is not None and closes is not None
    age_on = month_day(window.age_on) or closes
    found = []
    for cycle in (today.year - 1, today.year):
        opens_on = on(cycle, *opens)
        closes_on = on(cycle + (closes < opens), *closes)
        if not opens_on <= today <= closes_on:
            continue
        reference = on(cycle + (age_on < opens), *age_on)
        cutoffs = tuple(_by_reference(r, reference) for r in programme.eligibility.ages)
        found.append(Opening(None, None, cycle, opens_on, closes_on, cutoffs))
    return found


def _anchored(programme: Programme, today: date) -> list[Opening]:
    window = programme.window
    before = timedelta(days=window.days_before or 0)
    found = []
    for cycle in (today.year - 1, today.year, today.year + 1):
        for month, day in DAYS_OF_YEAR:
            anchor_on = on(cycle, month, day)
            opens_on = anchor_on - before
            if window.days_after is None:
                closes_on = None
                last = on(cycle + 1, month, day) - before - timedelta(days=1)
            else:
                closes_on = last = anchor_on + timedelta(days=window.days_after)
            if not opens_on <= today <= last:
                continue
            ages = programme.eligibility.ages
            cutoffs = tuple(
                _by_birthday(r, cycle) if window.kind == "birthday"
                else _by_reference(r, anchor_on)
                for r in ages
            )  # fmt: skip
            found.append(Opening(month * 100 + day, anchor_on, cycle, opens_on, closes_on,
                                 cutoffs))  # fmt: skip
    return found


def openings(programme: Programme, today: date) -> list[Opening]:
    """The programme's windows open on `today` (local): none while its window is blank."""
    if not programme.ready:
        return []
    if programme.window.kind == "fixed":
        return _fixed(programme, today)
    return _anchored(programme, today)
