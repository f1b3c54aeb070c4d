"""Checks the content models share: a mapping that words every code, and no other."""

from __future__ import annotations


def words_for_every(given: dict[str, str], wanted: tuple[str, ...], what: str) -> None:
    """Refuse a mapping that leaves out one of the codes, or words one that does not exist."""
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]} (one of {', '.join(wanted)})")
    missing = [code for code in wanted if code not in given]
    if missing:
        raise ValueError(f"no words for {what} {missing[0]}")
    empty = sorted(code for code, words in given.items() if not str(words).strip())
    if empty:
        raise ValueError(f"the words for {what} {empty[0]} are empty")
