"""Match what a resident types (3栋, 三栋, 3号楼, 东门) to a committee's places."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol, TypeVar

_CN = dict(zip("零一二三四五六七八九", range(10), strict=True)) | {"两": 2}
_NUMBER = r"([0-9]+|[A-Za-z][0-9]*|[一二两三四五六七八九十]{1,3})"
_BUILDING = re.compile(_NUMBER + r"\s*(?:号楼|栋|幢|座|号)")
_BARE = re.compile(_NUMBER)


class PlaceLike(Protocol):
    """What matching reads of a place (the store's Place has it)."""

    name: str
    kind: str
    committee_id: int
    lat: float | None
    lng: float | None


P = TypeVar("P", bound=PlaceLike)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _chinese_number(text: str) -> str:
    if text in _CN:
        return str(_CN[text])
    tens, sep, ones = text.partition("十")
    if not sep:
        return text
    value = (_CN.get(tens, 0) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)
    return str(value)


def building_key(text: str) -> str | None:
    """The building number a text names ('3栋', '三栋', '3号楼' → '3'), or None."""
    folded = _fold(text)
    found = _BUILDING.search(folded) or _BARE.fullmatch(folded)
    if found is None:
        return None
    raw = found.group(1)
    if raw.isdigit():
        return str(int(raw))
    return _chinese_number(raw)


def match(text: str, places: Sequence[P]) -> P | None:
    """The place a typed text names: its exact name, a building by number, then part of a name.

    Places of several committees may be searched at once (a sub-district's installation); a
    text that fits places of more than one committee names none of them.
    """
    folded = _fold(text)
    exact = [p for p in places if _fold(p.name) == folded]
    if exact:
        return _one(exact)
    key = building_key(text)
    if key is not None:
        numbered = [p for p in places if p.kind == "building" and building_key(p.name) == key]
        if numbered:
            return _one(numbered)
    if len(folded) < 2:
        return None
    named = [p for p in places if _fold(p.name) and _fold(p.name) in folded]
    if named:  # the longest name mentioned wins: 小区东门 before 东门
        longest = max(len(p.name) for p in named)
        return _one([p for p in named if len(p.name) == longest])
    return _one([p for p in places if folded in _fold(p.name)])


def _one(found: Sequence[P]) -> P | None:
    """The first place found, unless they belong to different committees (then: ambiguous)."""
    if not found or len({p.committee_id for p in found}) > 1:
        return None
    return found[0]


def nearest(lat: float, lng: float, places: Sequence[P], within_m: float) -> P | None:
    """The place with coordinates closest to a point, if within `within_m` metres."""
    located = [
        (distance_m(lat, lng, p.lat, p.lng), p)
        for p in places
        if p.lat is not None and p.lng is not None
    ]
    if not located:
        return None
    distance, place = min(located, key=lambda pair: pair[0])
    return place if distance <= within_m else None
