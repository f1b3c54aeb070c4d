"""Parse what a resident typed or sent into a typed value, or a hint key saying why not."""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeAlias

from flows.masking import mask_id_card, mask_mobile, mask_numbers_in

__all__ = [
    "HINTS",
    "HINT_CHOICE",
    "HINT_DATE",
    "HINT_ID_CARD_INVALID",
    "HINT_ID_CARD_LENGTH",
    "HINT_IMAGE",
    "HINT_LOCATION",
    "HINT_MOBILE",
    "HINT_TEXT_EMPTY",
    "HINT_TEXT_LONG",
    "HINT_TEXT_SHORT",
    "HINT_VOICE",
    "HINT_YES_NO",
    "Answers",
    "Image",
    "Invalid",
    "Location",
    "ParseResult",
    "Parsed",
    "id_card_check_char",
    "id_card_flaw",
    "mask_id_card",
    "mask_mobile",
    "mask_numbers_in",
    "normalise",
    "parse_choice",
    "parse_date",
    "parse_id_card",
    "parse_image",
    "parse_location",
    "parse_mobile",
    "parse_text",
    "parse_yes_no",
    "to_json",
]

HINT_CHOICE = "hint.choice"
HINT_TEXT_EMPTY = "hint.text_empty"
HINT_TEXT_SHORT = "hint.text_short"
HINT_TEXT_LONG = "hint.text_long"
HINT_YES_NO = "hint.yes_no"
HINT_DATE = "hint.date"
HINT_MOBILE = "hint.mobile"
HINT_ID_CARD_LENGTH = "hint.id_card_length"
HINT_ID_CARD_INVALID = "hint.id_card_invalid"
HINT_LOCATION = "hint.location"
HINT_IMAGE = "hint.image"
HINT_VOICE = "hint.voice"

HINTS: frozenset[str] = frozenset(
    {
        HINT_CHOICE,
        HINT_TEXT_EMPTY,
        HINT_TEXT_SHORT,
        HINT_TEXT_LONG,
        HINT_YES_NO,
        HINT_DATE,
        HINT_MOBILE,
        HINT_ID_CARD_LENGTH,
        HINT_ID_CARD_INVALID,
        HINT_LOCATION,
        HINT_IMAGE,
        HINT_VOICE,
    }
)


@dataclass(frozen=True)
class Parsed:
    """A successfully parsed value."""

    value: object


@dataclass(frozen=True)
class Invalid:
    """A failed parse, carrying the hint key to show the resident."""

    hint: str


ParseResult: TypeAlias = Parsed | Invalid


@dataclass(frozen=True)
class Location:
    """A point shared through a WeChat location message."""

    lat: float
    lng: float
    label: str


@dataclass(frozen=True)
class Image:
    """An image sent through WeChat, identified by its media id."""

    media_id: str
    pic_url: str | None


# Pasted numbers often carry invisible characters that NFKC keeps and str.split() does not see.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# NFKC keeps these ideographic marks, so they are listed alongside their ASCII forms.
_TRAILING_PUNCT = " 。.!~,、"
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "[一二两三四五六七八九十]{1,3}"
_NUM = rf"(?:[0-9]{{1,2}}|{_CN_NUM})"


def normalise(text: str) -> str:
    """Fold full-width forms (NFKC), drop invisible characters, strip and collapse whitespace."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return " ".join(folded.split())


def _cn_number(s: str) -> int | None:
    """Read a Chinese numeral from 一 to 九十九 (两 alone means 2), or None."""
    if s == "两":
        return 2
    if s in _CN_DIGITS:
        return _CN_DIGITS[s]
    tens_s, sep, ones_s = s.partition("十")
    if not sep:
        return None
    tens = 1 if tens_s == "" else _CN_DIGITS.get(tens_s)
    ones = 0 if ones_s == "" else _CN_DIGITS.get(ones_s)
    if tens is None or ones is None:
        return None
    return tens * 10 + ones


def _number(s: str) -> int | None:
    """Read ASCII digits or a Chinese numeral, or None."""
    # Not str.isdigit(): it also accepts superscripts and other scripts' digits.
    if re.fullmatch("[0-9]+", s):
        return int(s)
    return _cn_number(s)


# What negates the word after it.
_NEGATIONS = frozenset("不没别未非")
_CHOICE_NUMBER = re.compile(rf"(?:选)?(?:第)?([0-9]+|{_CN_NUM})(?:项|个|条|种)?")


def parse_choice(text: str, options: Sequence[tuple[str, Sequence[str]]]) -> ParseResult:
    """Pick an option by its 1-based number or by one of its words; Parsed(key)."""
    cleaned = normalise(text).casefold().rstrip(_TRAILING_PUNCT + ")")
    if not cleaned:
        return Invalid(HINT_CHOICE)
    words = [(key, w) for key, ws in options for w in (normalise(x).casefold() for x in ws) if w]

    exact = {key for key, w in words if w == cleaned}
    if len(exact) == 1:
        return Parsed(exact.pop())
    if exact:
        return Invalid(HINT_CHOICE)

    m = _CHOICE_NUMBER.fullmatch(cleaned.replace(" ", ""))
    if m:
        n = _number(m.group(1))
        if n is not None and 1 <= n <= len(options):
            return Parsed(options[n - 1][0])
        return Invalid(HINT_CHOICE)

    # The start of one option's words ("确认" for 确认提交, "不提交" for 不提交了).
    started = {key for key, w in words if len(cleaned) >= 2 and w.startswith(cleaned)}
    if len(started) == 1:
        return Parsed(started.pop())

    hits: list[tuple[int, int, str]] = []
    for key, w in words:
        # One character picks only in a short answer: 好 in 还没想好 says nothing.
        if len(w) == 1 and len(cleaned) > 2:
            continue
        start = cleaned.find(w)
        while start != -1:
            # A word said negated does not pick it: 不要核对, 不提交, 不是本地的, 不在广州.
            before = cleaned[max(0, start - 2) : start]
            if w[0] in _NEGATIONS or not _NEGATIONS.intersection(before):
                hits.append((start, start + len(w), key))
            start = cleaned.find(w, start + 1)
    # A word inside a longer matched word does not count: "不用了" says 不用, not 用.
    kept = {
        key
        for s, e, key in hits
        if not any(s2 <= s and e <= e2 and e2 - s2 > e - s for s2, e2, _ in hits)
    }
    if len(kept) == 1:
        return Parsed(kept.pop())
    return Invalid(HINT_CHOICE)


def parse_text(text: str, *, min_len: int = 1, max_len: int = 500) -> ParseResult:
    """Accept free text of min_len..max_len characters after stripping; Parsed(str)."""
    # Free text is kept as typed (no NFKC) so full-width punctuation and line breaks survive.
    stripped = text.strip()
    if len(stripped) < min_len:
        return Invalid(HINT_TEXT_EMPTY if not stripped else HINT_TEXT_SHORT)
    if len(stripped) > max_len:
        return Invalid(HINT_TEXT_LONG)
    return Parsed(stripped)


@dataclass(frozen=True)
class Answers:
    """The words that answer yes or no (bot.yaml `answers`), folded as answers are; the starts
    that answer too ("还在滴", "不漏了"); what may follow an answer without changing it ("是的呀",
    "好的谢谢"); and the words of someone unsure ("不是很清楚"), which answer neither."""

    yes: frozenset[str]
    no: frozenset[str]
    yes_starts: tuple[str, ...] = ()
    no_starts: tuple[str, ...] = ()
    tails: tuple[str, ...] = ()
    unsure: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        yes: Sequence[str],
        no: Sequence[str],
        yes_starts: Sequence[str] = (),
        no_starts: Sequence[str] = (),
        tails: Sequence[str] = (),
        unsure: Sequence[str] = (),
    ) -> Answers:
        """The committee's words, folded once."""
        return cls(
            _folded(yes), _folded(no), tuple(_folded(yes_starts)), tuple(_folded(no_starts)),
            tuple(sorted(_folded(tails), key=len, reverse=True)), tuple(_folded(unsure)),
        )  # fmt: skip

    def untailed(self, said: str) -> str:
        """The answer without what follows it ("是的呀" → "是的", "好的谢谢" → "好")."""
        trimmed = True
        while trimmed and said:
            trimmed = False
            for tail in self.tails:
                if tail and said.endswith(tail) and len(said) > len(tail):
                    said, trimmed = said[: -len(tail)], True
                    break
        return said


def _folded(words: Sequence[str]) -> frozenset[str]:
    return frozenset(normalise(word).casefold() for word in words)


# A start answers only when what follows it does not ask ("可以吗" is a question back) and,
# for a yes, does not negate ("一直没漏" is not 一直, "可以先不提交" is not 可以);
# "不用不用" is still no.
_ASKED = re.compile(r"[吗么]$")
_NEGATED = re.compile(r"[不没未别]")


def parse_yes_no(text: str, answers: Answers) -> ParseResult:
    """Read a yes/no answer with the committee's words and starts; Parsed(True/False)."""
    # "?" is deliberately not stripped: "是?" is a question back, not a consent.
    cleaned = normalise(text).casefold().rstrip(_TRAILING_PUNCT).replace(" ", "")
    for said in (cleaned, answers.untailed(cleaned)):
        if said in answers.yes:
            return Parsed(True)
        if said in answers.no:
            return Parsed(False)
    if "?" in cleaned or any(word in cleaned for word in answers.unsure):
        return Invalid(HINT_YES_NO)
    starts = [(w, True) for w in answers.yes_starts if cleaned.startswith(w)]
    starts += [(w, False) for w in answers.no_starts if cleaned.startswith(w)]
    if starts:
        longest = max(len(w) for w, _ in starts)
        meanings = {meaning for w, meaning in starts if len(w) == longest}
        rest = cleaned[longest:]
        if len(meanings) == 1 and not _ASKED.search(rest):
            meaning = meanings.pop()
            if not (meaning and _NEGATED.search(rest)):
                return Parsed(meaning)
    return Invalid(HINT_YES_NO)


_DATE_NUMERIC = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_DATE_CN = re.compile(rf"(?:([0-9]{{4}})年)?({_NUM})月({_NUM})[日号]?")
_RELATIVE_DAYS = {"昨天": -1, "今天": 0, "明天": 1, "后天": 2, "大后天": 3}
_WEEKDAY = re.compile(r"(下|本|这)?个?(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _make_date(year: int, month: int | None, day: int | None) -> ParseResult:
    """Build a date, or Invalid when the parts are not a real calendar day."""
    if month is None or day is None:
        return Invalid(HINT_DATE)
    try:
        return Parsed(date(year, month, day))
    except ValueError:
        return Invalid(HINT_DATE)


def parse_date(text: str, today: date) -> ParseResult:
    """Read an absolute or relative (今天, 下周三, 本周五) date; Parsed(date)."""
    # A datetime is a date subclass; rebuild so results are plain dates either way.
    today = date(today.year, today.month, today.day)
    cleaned = normalise(text).replace(" ", "").rstrip(_TRAILING_PUNCT)

    if cleaned in _RELATIVE_DAYS:
        return Parsed(today + timedelta(days=_RELATIVE_DAYS[cleaned]))

    m = _WEEKDAY.fullmatch(cleaned)
    if m:
        monday = today - timedelta(days=today.weekday())
        if m.group(1) == "下":
            monday += timedelta(days=7)
        return Parsed(monday + timedelta(days=_WEEKDAY_INDEX[m.group(2)]))

    m = _DATE_NUMERIC.fullmatch(cleaned)
    if m:
        return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))

    m = _DATE_CN.fullmatch(cleaned)
    if m:
        # No year given means this year, even if the day has passed: we do not guess.
        year = int(m.group(1)) if m.group(1) else today.year
        return _make_date(year, _number(m.group(2)), _number(m.group(3)))

    return Invalid(HINT_DATE)


_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()\u2013\u2014]")


def parse_mobile(text: str) -> ParseResult:
    """Read a mainland mobile number, optionally +86/86/0086-prefixed; Parsed("138…")."""
    m = _MOBILE.fullmatch(_MOBILE_SEPARATORS.sub("", normalise(text)))
    if m:
        return Parsed(m.group(1))
    return Invalid(HINT_MOBILE)


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_FORMAT = re.compile(r"[1-9][0-9]{16}[0-9X]")


# Why an ID number fails GB 11643, finer than the two hints a resident is shown.
ID_CARD_LENGTH = "length"
ID_CARD_FORMAT = "format"
ID_CARD_BIRTH_DATE = "birth_date"
ID_CARD_CHECK_DIGIT = "check_digit"


def id_card_check_char(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) of an ID number's first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def id_card_flaw(number: str) -> str | None:
    """Why an ID number (normalised, upper-case X) is not a valid 18-character one, or None."""
    if len(number) != 18:
        return ID_CARD_LENGTH
    if not _ID_FORMAT.fullmatch(number):
        return ID_CARD_FORMAT
    birth = number[6:14]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return ID_CARD_BIRTH_DATE
    if not 1900 <= born.year <= 2100:
        return ID_CARD_BIRTH_DATE
    if id_card_check_char(number[:17]) != number[17]:
        return ID_CARD_CHECK_DIGIT
    return None


def parse_id_card(text: str) -> ParseResult:
    """Read an 18-character resident ID number checked per GB 11643; Parsed(str, upper X)."""
    cleaned = normalise(text).replace(" ", "").upper()
    flaw = id_card_flaw(cleaned)
    if flaw is None:
        return Parsed(cleaned)
    return Invalid(HINT_ID_CARD_LENGTH if flaw == ID_CARD_LENGTH else HINT_ID_CARD_INVALID)


def _coordinate(raw: str | None, limit: float) -> float | None:
    """Read a finite float within [-limit, limit], or None."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or not -limit <= value <= limit:
        return None
    return value


def parse_location(lat: str | None, lng: str | None, label: str | None) -> ParseResult:
    """Read a WeChat location message's fields; Parsed(Location)."""
    lat_v = _coordinate(lat, 90.0)
    lng_v = _coordinate(lng, 180.0)
    if lat_v is None or lng_v is None:
        return Invalid(HINT_LOCATION)
    return Parsed(Location(lat=lat_v, lng=lng_v, label=(label or "").strip()))


def parse_image(media_id: str | None, pic_url: str | None) -> ParseResult:
    """Read a WeChat image message's fields; Parsed(Image) when a media id is present."""
    media = (media_id or "").strip()
    if not media:
        return Invalid(HINT_IMAGE)
    return Parsed(Image(media_id=media, pic_url=(pic_url or "").strip() or None))


def to_json(value: object) -> object:
    """A parsed value as something the conversation row can store."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_json(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
