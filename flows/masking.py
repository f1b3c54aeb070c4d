"""Personal numbers and WeChat ids as staff, logs and exports see them: masked, never whole."""

from __future__ import annotations

import re

# Digits typed full-width (１３８…) are folded before matching, so they are masked too.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_SEP = r"[ \-]?"
_ID_IN_TEXT = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{9}[0-9Xx](?![0-9])")
# 138 1234 5678 and 138-1234-5678 are read as the same number.
_MOBILE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?:\+?86{_SEP})?1[3-9][0-9]{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}(?![0-9])"
)
# Landlines (020-12345678, 02012345678) are personal numbers too.
_LANDLINE_IN_TEXT = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}-?[0-9]{7,8}(?![0-9])")


def mask_id_card(v: str) -> str:
    """Mask an ID number keeping the first 6 and last 4 characters."""
    # Values too short to keep 10 characters are masked entirely rather than leaked.
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_mobile(v: str) -> str:
    """Mask a mobile number keeping the first 3 and last 4 digits."""
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def _mask_mobile_match(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return mask_mobile(digits[-11:])


def _mask_landline(match: re.Match[str]) -> str:
    number = match.group(0)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


_MASKERS = (
    (_ID_IN_TEXT, lambda m: mask_id_card(m.group(0))),
    (_MOBILE_IN_TEXT, _mask_mobile_match),
    (_LANDLINE_IN_TEXT, _mask_landline),
)


def mask_numbers_in(text: str) -> str:
    """Free text with any ID-card, mobile or landline number in it masked; the rest unchanged."""
    if not any(c.isdigit() for c in text):
        return text
    # Folding keeps every character's position, so matches found there splice into the text.
    folded = text.translate(_FULL_WIDTH_DIGITS)
    found: list[tuple[int, int, str]] = []
    for pattern, mask in _MASKERS:
        for match in pattern.finditer(folded):
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in found):
                found.append((start, end, mask(match)))
    for start, end, masked in sorted(found, reverse=True):
        text = text[:start] + masked + text[end:]
    return text


def has_personal_number(text: str) -> bool:
    """True when the text holds an ID-card, mobile or landline number."""
    return mask_numbers_in(text) != text


def mask_openid(openid: str | None) -> str:
    """A WeChat openid as staff and logs see it: …last4."""
    if not openid:
        return "—"
    return f"…{openid[-4:]}" if len(openid) > 8 else "…"


def mask_name(name: str) -> str:
    """A name as a notice, a list or a stranger may show it: 张*英, 王*, 欧**月."""
    name = name.strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
