"""What the front door can reach, as (intent, phrases) built from every content file."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from config.content import Content
from config.understanding_content import UnderstandingContent
from flows.steps import Flow
from flows.understanding.intents import (
    FAQ,
    FLOW,
    GUIDE,
    HUMAN,
    REPORT,
    SERVICE,
    SMALLTALK,
    Intent,
)
from flows.understanding.matcher import Vocabulary

Entries = list[tuple[Intent, tuple[str, ...]]]
# The flow whose status question 我上次反映的问题处理了没有 is (understanding.yaml `status`).
MY_REPORTS = "my_reports"
# The category never guessed: "其他" is what a resident picks, not what a sentence means.
OTHER = "other"
# An example sentence lists several things: 楼道口、人行道上乱停的共享单车.
_PARTS = re.compile(r"[、，,；;/（）()]")


def _parts(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _PARTS.split(text) if part.strip())


def vocabulary_of(words: UnderstandingContent) -> Vocabulary:
    """The matcher's fillers, synonyms and thresholds from understanding.yaml."""
    limits = words.thresholds
    return Vocabulary(
        filler_words=words.filler_words,
        synonyms={usual: tuple(others) for usual, others in words.synonyms.items()},
        confident=limits.confident,
        margin=limits.margin,
        candidate=limits.candidate,
        most_candidates=limits.most_candidates,
        yields={general: tuple(specific) for general, specific in words.yields.items()},
    )


def flow_entries(flows: Iterable[Flow]) -> Entries:
    """Each flow that words can start (listed, or unlisted with words), with its words."""
    return [
        (Intent(FLOW, flow.name, flow.title), (*flow.keywords, *flow.shortcuts))
        for flow in flows
        if flow.listed or flow.keywords or flow.shortcuts
    ]


def _services(content: Content) -> Entries:
    """The catalogue's services (services/*.yaml), once the catalogue is part of the content."""
    catalogue: Any = getattr(content, "services", None)
    if catalogue is None:
        return []
    services = getattr(catalogue, "services", catalogue)
    return [
        (Intent(SERVICE, s.key, s.name), (s.name, *_parts(s.name), *s.synonyms)) for s in services
    ]


def content_entries(content: Content) -> Entries:
    """Report categories, services, guide topics, common questions, small talk and the ways
    of asking for a person, from the content files."""
    words = content.understanding
    entries: Entries = [
        (
            Intent(REPORT, c.key, c.name),
            (c.name, *_parts(c.name), *c.keywords, *_parts(c.examples), *c.phrases),
        )
        for c in content.reports.categories
        if c.key != OTHER
    ]
    entries += _services(content)
    entries += [
        (Intent(GUIDE, t.key, t.title), (t.title, *t.keywords)) for t in content.office.topics
    ]
    entries += [
        (Intent(FAQ, q.key, q.title), (q.title, *q.variants)) for q in content.faq.questions
    ]
    entries += [(Intent(SMALLTALK, s.key, s.title), s.variants) for s in words.small_talk]
    entries.append((Intent(HUMAN, "", words.human_title), words.human))
    entries.append((Intent(FLOW, MY_REPORTS, content.reports.mine.title), words.status))
    return entries


def entries_of(content: Content, overlay: Any = None, *, flows: Sequence[Flow] = ()) -> Entries:
    """Every (intent, phrases) the front door ranks: the flows' words, then everything content
    names, then the wordings staff added (the overlay). A flow's word that also names something
    more specific (办事指南's 电话 is the phone topic) means that thing."""
    specific = content_entries(content)
    taken = {phrase for _, phrases in specific for phrase in phrases}
    entries = [
        (intent, tuple(p for p in phrases if p not in taken))
        for intent, phrases in flow_entries(flows)
    ]
    entries += specific
    known = {intent.label: intent for intent, _ in entries}
    for synonym in getattr(overlay, "synonyms", ()) or ():
        if synonym.label in known:  # the overlay's loader refuses an unknown label
            entries.append((known[synonym.label], (synonym.wording,)))
    return entries


def labels_of(entries: Entries) -> set[str]:
    """Every intent label the entries name (what an overlay synonym may point at)."""
    return {intent.label for intent, _ in entries}
