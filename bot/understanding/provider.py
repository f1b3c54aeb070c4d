"""The running app's matcher, kept in step with the overlay file (LINLI_OVERLAY_PATH).

The engine asks for the matcher once per message. One os.stat tells whether the file changed
(inode, size or modification time: a save renames a new file into place); only then is the
overlay read, validated and the matcher rebuilt. So a synonym one web worker saved reaches every
worker's next message, with no restart and no shared memory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from config.content import Content, ContentError
from config.understanding_overlay import Overlay, load_overlay
from flows.registry import matcher_of
from flows.steps import Flow
from flows.understanding.entries import Entries, entries_of, labels_of
from flows.understanding.intents import Intent
from flows.understanding.matcher import Matcher

log = logging.getLogger("linli.understanding")

# What identifies one version of the file; None while there is no file.
Signature = tuple[int, int, int] | None


def signature_of(path: Path) -> Signature:
    """The file's inode, size and modification time (ns), or None when there is none."""
    try:
        found = os.stat(path)
    except OSError:  # missing, or unreadable: no synonyms staff added, not a failed message
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


@dataclass(frozen=True)
class Built:
    """One version of the overlay and the matcher built with it."""

    signature: Signature
    overlay: Overlay
    matcher: Matcher


class MatcherProvider:
    """Gives the current Matcher (call it); rebuilds it when the overlay file changes."""

    def __init__(self, content: Content, path: Path, flows: Sequence[Flow]) -> None:
        self.content = content
        self.path = path
        self.flows = tuple(flows)
        self._lock = threading.Lock()
        base = entries_of(content, None, flows=self.flows)
        # What a synonym may point at: every intent the content and the flows name.
        self.known: frozenset[str] = frozenset(labels_of(base))
        self.intents: dict[str, Intent] = {intent.label: intent for intent, _ in base}
        signature = signature_of(path)
        # An overlay that is not valid YAML of synonyms stops start-up, file, line and reason,
        # like any content file.
        overlay = self._load()
        self._built = Built(signature, overlay, self._matcher(overlay))

    def _load(self) -> Overlay:
        """The overlay; a synonym naming an intent the content no longer has (a FAQ renamed in
        a release) is left out and logged — `linli check-config` reports it as a problem —
        so a committee's file never takes the webhook down."""
        overlay = load_overlay(self.path)
        stale = sorted({s.label for s in overlay.synonyms} - self.known)
        if stale:
            log.warning("overlay %s names unknown intents, left out: %s", self.path, stale)
        return overlay

    def _matcher(self, overlay: Overlay) -> Matcher:
        return matcher_of(self.content, self.flows, overlay)

    def entries(self, overlay: Overlay) -> Entries:
        """Every (intent, phrases) with the overlay's synonyms added."""
        return entries_of(self.content, overlay, flows=self.flows)

    def __call__(self) -> Matcher:
        """The matcher for this message: rebuilt first if the overlay file changed."""
        return self.current().matcher

    def current(self) -> Built:
        """The overlay and matcher as the file now is (one stat; a rebuild if it changed)."""
        built = self._built
        seen = signature_of(self.path)
        if seen == built.signature:
            return built
        return self._reload(seen)

    def _reload(self, seen: Signature) -> Built:
        with self._lock:
            built = self._built
            if built.signature == seen:  # another thread rebuilt it meanwhile
                return built
            try:
                overlay = self._load()
                fresh = Built(seen, overlay, self._matcher(overlay))
            except (ContentError, OSError) as exc:
                # A file edited by hand into something invalid: keep answering with the last
                # good synonyms, say so once per version of the file, and retry when it changes.
                log.error("overlay %s not loaded, the previous synonyms stay: %s", self.path, exc)
                fresh = replace(built, signature=seen)
            self._built = fresh
            return fresh

    def normalise(self, text: str) -> str:
        """Text as the matcher reads it (folded, usual words, no fillers)."""
        return self._built.matcher.normalise(text)

    def owner(self, wording: str, overlay: Overlay) -> Intent | None:
        """The intent whose phrase (in content or the overlay) reads the same as the wording."""
        wanted = self.normalise(wording)
        for intent, phrases in self.entries(overlay):
            if any(self.normalise(phrase) == wanted for phrase in phrases):
                return intent
        return None
