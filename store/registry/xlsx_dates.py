"""Excel's dates as openpyxl reads them: which number formats are dates, serials and ISO text."""

from __future__ import annotations

import datetime as dt
import re

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)

# openpyxl's built-in number formats that hold dates or times (the rest are numbers).
BUILTIN_DATES = {14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
                  18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
                  22: "m/d/yy h:mm", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0"}  # fmt: skip
# Built-in ids a Chinese Excel or WPS saves without a format code: 年月日 dates and 时分 times.
CJK_DATES = frozenset([*range(27, 37), *range(50, 59)])
_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CHAR = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)
_ISO = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})"
    r"(?P<microsecond>\.\d{1,3})?)?)?Z?"
)


def is_date_format(code: str | None) -> bool:
    """Whether a number format shows a date or time (openpyxl's rule: d m h y s outside quotes)."""
    if code is None:
        return False
    return _DATE_CHAR.search(_STRIP.sub("", code.split(";")[0])) is not None


def is_timedelta_format(code: str | None) -> bool:
    """Whether a number format shows a duration ([h]:mm and the like)."""
    return code is not None and _TIMEDELTA.search(code.split(";")[0]) is not None


def from_excel(serial: float, epoch: dt.datetime, timedelta: bool = False) -> object:
    """An Excel serial as openpyxl reads it: 1900 epoch with its leap-year bug, or 1904."""
    if timedelta:
        span = dt.timedelta(days=serial)
        if span.microseconds:
            span = dt.timedelta(seconds=span.total_seconds() // 1,
                                microseconds=round(span.microseconds, -3))  # fmt: skip
        return span
    day, fraction = divmod(serial, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= serial < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < serial < 60 and epoch == WINDOWS_EPOCH:
        day += 1  # Excel counts 29 February 1900, which never was
    return epoch + dt.timedelta(days=day) + diff


def from_iso(text: str) -> object:
    """A `t="d"` cell's ISO 8601 value (date, time or datetime)."""
    match = _ISO.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"not an ISO date: {text}")
    p = match.groupdict()
    micro = int(float(p["microsecond"]) * 1_000_000) if p["microsecond"] else 0
    if not p["date"]:
        return dt.time(int(p["hour"]), int(p["minute"]), int(p["second"] or 0), micro)
    day = dt.date(int(p["year"]), int(p["month"]), int(p["day"]))
    if not p["time"]:
        return day
    return dt.datetime(day.year, day.month, day.day, int(p["hour"]), int(p["minute"]),
                       int(p["second"] or 0), micro)  # fmt: skip
