"""Adding a wording staff chose in the console to the overlay file: checked, written atomically
under a lock (two workers saving at once lose neither synonym), effective at once."""

from __future__ import annotations

import fcntl
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.understanding.provider import MatcherProvider
from config.content import ContentError
from config.understanding_overlay import MAX_WORDING, save_overlay
from config.understanding_overlay import load_overlay as read_overlay
from flows.understanding.intents import Intent
from store.errors import Refused


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the overlay's lock file (beside it) while reading, changing and writing it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add(
    matchers: MatcherProvider, wording: str, label: str, *, added_by: str, now: datetime
) -> Intent:
    """Add `wording` as a synonym of the intent `label`, or refuse (Refused, with a code the
    console words): empty, not plain text, too long, an unknown intent, or already another
    intent's wording. Adding it again to the same intent changes nothing. The caller's matcher
    sees it at once."""
    wording = " ".join(wording.split())
    if not wording or not matchers.normalise(wording):
        raise Refused("wording", "empty", code="wording_empty")
    if any(unicodedata.category(char).startswith("C") for char in wording):
        raise Refused("wording", "not plain text", code="wording_bad")
    if len(matchers.normalise(wording)) < 2:  # one character would catch far too much
        raise Refused("wording", "shorter than 2 characters", code="wording_short")
    if len(wording) > MAX_WORDING:
        raise Refused("wording", f"longer than {MAX_WORDING}", code="wording_long")
    intent = matchers.intents.get(label)
    if intent is None:
        raise Refused("label", "unknown intent", code="label_unknown")
    try:
        with _locked(matchers.path):
            # The file as it is now: another worker may have added to it since we last looked.
            overlay = read_overlay(matchers.path, matchers.known)
            owner = matchers.owner(wording, overlay)
            if owner is not None and owner.label != label:
                raise Refused("wording", f"already a wording of {owner.label}", code="taken")
            if owner is None:
                save_overlay(matchers.path, overlay.adding(wording, label, added_by=added_by,
                                                           added_at=now))  # fmt: skip
    except (ContentError, OSError) as exc:
        raise Refused("overlay", f"not saved: {exc}", code="not_saved") from exc
    matchers.current()  # this worker's next message already reads the new file
    return intent
