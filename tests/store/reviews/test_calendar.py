"""The review calendar with plain dates: which windows are open on a day, for which cycle, and
who is old enough — across the year end, in leap years and for birthdays on 29 February."""

from __future__ import annotations

from datetime import date

from config.review_content import AgeRule, Eligibility, Programme, Reminders, Window
from store.reviews.calendar import Cutoff, Opening, on, openings


def programme(window: Window, *ages: AgeRule, reminders: Reminders | None = None) -> Programme:
    """A programme with this window and these age rules."""
    return Programme(
        key="test", version="1", name="测试", eligibility=Eligibility(ages=ages), window=window,
        reminders=reminders or Reminders(), ways=("in_person",), committee_fill=("window",),
    )  # fmt: skip


def fixed(opens: str, closes: str, age_on: str = "") -> Window:
    return Window(kind="fixed", opens=opens, closes=closes, age_on=age_on)


def birthday(before: int | None, after: int | None) -> Window:
    return Window(kind="birthday", days_before=before, days_after=after)


def anchored(found: list[Opening]) -> dict[int, Opening]:
    return {o.anchor or 0: o for o in found}


MEN_60 = AgeRule(gender="male", min_age=60)
WOMEN_55 = AgeRule(gender="female", min_age=55)
SEVENTY = AgeRule(min_age=70, max_age=70)


def test_a_fixed_window_is_open_from_its_first_to_its_last_day_with_age_on_the_closing_day() -> (
    None
):
    family = programme(fixed("03-01", "06-30"), MEN_60, WOMEN_55)
    assert openings(family, date(2026, 2, 28)) == []
    assert openings(family, date(2026, 7, 1)) == []
    for day in (date(2026, 3, 1), date(2026, 5, 5), date(2026, 6, 30)):
        assert openings(family, day) == [
            Opening(None, None, 2026, date(2026, 3, 1), date(2026, 6, 30), (
                Cutoff("male", date(1966, 6, 30), None),
                Cutoff("female", date(1971, 6, 30), None),
            ))
        ]  # fmt: skip


def test_a_fixed_window_across_the_year_end_belongs_to_the_year_it_opens() -> None:
    winter = programme(fixed("11-15", "02-15", age_on="01-01"), AgeRule(min_age=60))
    december, february = openings(winter, date(2026, 12, 20)), openings(winter, date(2027, 2, 15))
    assert december == february
    (opening,) = december
    assert (opening.cycle, opening.opens_on, opening.closes_on) == (
        2026, date(2026, 11, 15), date(2027, 2, 15),
    )  # fmt: skip
    # Age is counted on 1 January after the window opened.
    assert opening.cutoffs == (Cutoff(None, date(1967, 1, 1), None),)
    assert openings(winter, date(2027, 2, 16)) == []
    assert openings(winter, date(2026, 11, 14)) == []


def test_a_blank_window_has_no_opening_on_any_day() -> None:
    blank = programme(fixed("", ""), MEN_60)
    assert not blank.ready
    assert [openings(blank, on(2026, m, 1)) for m in range(1, 13)] == [[]] * 12


def test_a_birthday_window_opens_days_before_each_birthday_whose_window_holds_today() -> None:
    bounded = programme(birthday(10, 5), SEVENTY)
    found = anchored(openings(bounded, date(2026, 6, 10)))
    # Birthdays from 5 June (closing today+0) … 20 June (opening today).
    assert sorted(found) == list(range(605, 621))
    assert found[605].closes_on == date(2026, 6, 10)
    assert found[620].opens_on == date(2026, 6, 10)
    # 70 on the birthday in 2026: born in 1956, whatever the day.
    assert found[612].cutoffs == (Cutoff(None, date(1956, 12, 31), date(1955, 12, 31)),)
    assert found[612].anchor_on == date(2026, 6, 12)


def test_a_birthday_window_near_the_year_end_catches_next_years_birthdays() -> None:
    found = anchored(openings(programme(birthday(30, 0), SEVENTY), date(2026, 12, 20)))
    assert found[110].cycle == 2027
    assert found[110].opens_on == date(2026, 12, 11)
    assert found[110].cutoffs == (Cutoff(None, date(1957, 12, 31), date(1956, 12, 31)),)
    assert found[1225].cycle == 2026
    assert 1219 not in found  # closed yesterday


def test_an_open_ended_window_stays_open_until_the_next_cycle_opens() -> None:
    longevity = programme(birthday(90, None), SEVENTY)
    found = anchored(openings(longevity, date(2026, 3, 1)))
    assert len(found) == 366  # every birthday of the year has one cycle open
    assert found[501].cycle == 2026  # opened 2026-01-31
    assert found[501].closes_on is None
    assert found[701].cycle == 2025  # 2026's opens on 2 April; 2025's still holds
    assert found[701].opens_on == date(2025, 4, 2)


def test_29_february_falls_on_the_28th_in_a_common_year_with_its_own_anchor() -> None:
    found = anchored(openings(programme(birthday(0, 0), SEVENTY), date(2027, 2, 28)))
    assert sorted(found) == [228, 229]
    assert found[229].anchor_on == found[228].anchor_on == date(2027, 2, 28)
    leap = anchored(openings(programme(birthday(0, 0), SEVENTY), date(2028, 2, 29)))
    assert sorted(leap) == [229]
    assert leap[229].anchor_on == date(2028, 2, 29)
    assert 301 not in leap and 228 not in leap


def test_a_tag_anniversary_counts_age_on_the_anniversary_itself() -> None:
    permit = Window(kind="tag_date", tag="residence_permit", days_before=30, days_after=0)
    found = anchored(openings(programme(permit, AgeRule(min_age=18)), date(2026, 3, 31)))
    assert sorted(found)[0] == 331 and sorted(found)[-1] == 430
    assert found[430].closes_on == date(2026, 4, 30)
    assert found[430].cutoffs == (Cutoff(None, date(2008, 4, 30), None),)
    # Someone born on 29 February 2008 is 18 on 28 February 2026? Not yet: on 1 March.
    leap_day = anchored(openings(programme(permit, AgeRule(min_age=18)), date(2026, 2, 28)))
    assert leap_day[228].cutoffs == (Cutoff(None, date(2008, 2, 28), None),)


def test_on_puts_29_february_on_the_28th_in_a_common_year() -> None:
    assert on(2027, 2, 29) == date(2027, 2, 28)
    assert on(2028, 2, 29) == date(2028, 2, 29)
