"""The not-understood log as staff work it: record a message (numbers masked), list the open ones
grouped by similarity, and resolve a group (added as an intent's wording, or ignored), audited."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select, update

from flows.masking import mask_numbers_in
from store.staff import audit
from store.understanding.models import IGNORED, MAX_TEXT, UnmatchedMessage

# The open messages grouped on one page: the newest ones; older ones wait their turn.
MAX_GROUPED = 2000
# Two wordings are one group when this share of their character pairs is the same (Jaccard).
SIMILAR = 0.5
EXAMPLES = 5


@dataclass(frozen=True)
class Group:
    """Open messages that say much the same: how many, their ids, the commonest texts first,
    how many residents, and when the first and last arrived."""

    ids: tuple[int, ...]
    examples: tuple[str, ...]
    senders: int
    first_seen: datetime
    last_seen: datetime

    @property
    def count(self) -> int:
        """How many messages the group holds."""
        return len(self.ids)

    @property
    def wording(self) -> str:
        """The commonest text: what staff most likely add as a synonym."""
        return self.examples[0]


# Stricter than mask_numbers_in: staff read this log, and a number spaced out ("4401 0619 …"),
# spoken in Chinese numerals by voice ("一三八零零…"), or typed half (the end of an ID number) is
# personal all the same. Any run of four or more such characters is masked.
_NUMBER_RUN = re.compile(r"[0-9Xx](?:[\s-]*[0-9Xx]){3,}|[〇零一二三四五六七八九幺两]{4,}")


def masked(text: str) -> str:
    """The text as the log keeps it: personal numbers, and any run of four digits or Chinese
    numerals, masked."""
    return _NUMBER_RUN.sub(lambda m: "*" * len(m.group()), mask_numbers_in(text))


def record(session: Session, *, openid: str, text: str, now: datetime) -> UnmatchedMessage | None:
    """Keep a message the front door did not understand, numbers masked; None for blank text."""
    kept = " ".join(masked(text).split())[:MAX_TEXT]
    if not kept:
        return None
    message = UnmatchedMessage(text=kept, openid=openid, received_at=now)
    session.add(message)
    session.flush()
    return message


def open_count(session: Session) -> int:
    """How many messages wait for staff."""
    query = select(func.count()).select_from(UnmatchedMessage)
    return session.exec(query.where(col(UnmatchedMessage.resolved_at).is_(None))).one()


def groups(session: Session, normalise: Callable[[str], str] = str) -> list[Group]:
    """The open messages (the newest MAX_GROUPED) grouped by similarity of their normalised
    text, the largest group first (then the most recent)."""
    query = (
        select(UnmatchedMessage)
        .where(col(UnmatchedMessage.resolved_at).is_(None))
        .order_by(col(UnmatchedMessage.received_at).desc(), col(UnmatchedMessage.id).desc())
        .limit(MAX_GROUPED)
    )
    messages = list(session.exec(query))
    clusters = _clusters([normalise(m.text) for m in messages])
    found = [_group([messages[i] for i in members]) for members in clusters]
    return sorted(found, key=lambda g: (-g.count, -g.last_seen.timestamp(), g.ids))


def _group(messages: Sequence[UnmatchedMessage]) -> Group:
    texts = Counter(m.text for m in messages)
    return Group(
        ids=tuple(m.id or 0 for m in messages),
        examples=tuple(text for text, _ in texts.most_common(EXAMPLES)),
        senders=len({m.openid for m in messages}),
        first_seen=min(m.received_at for m in messages),
        last_seen=max(m.received_at for m in messages),
    )


def _pairs(text: str) -> frozenset[str]:
    """The text's character pairs (a single character stands for itself)."""
    if len(text) < 2:
        return frozenset({text})
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def _clusters(texts: Sequence[str]) -> list[list[int]]:
    """Indexes of `texts` in groups: the same text always together; another text joins the first
    group whose founding text shares at least SIMILAR of its character pairs."""
    by_text: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        by_text.setdefault(text, []).append(index)
    founders: list[frozenset[str]] = []
    members: list[list[int]] = []
    # Which groups' founders hold a pair: only those can be similar enough to compare.
    holding: dict[str, list[int]] = {}
    for text, indexes in by_text.items():
        pairs = _pairs(text)
        candidates = sorted({g for pair in pairs for g in holding.get(pair, ())})
        chosen = next((g for g in candidates if _jaccard(pairs, founders[g]) >= SIMILAR), None)
        if chosen is None:
            chosen = len(founders)
            founders.append(pairs)
            members.append([])
            for pair in pairs:
                holding.setdefault(pair, []).append(chosen)
        members[chosen].extend(indexes)
    return members


def _jaccard(one: frozenset[str], other: frozenset[str]) -> float:
    return len(one & other) / len(one | other) if one or other else 1.0


def resolve(
    session: Session,
    *,
    ids: Sequence[int],
    label: str,
    wording: str | None,
    actor: audit.Actor,
    now: datetime,
) -> int:
    """Mark the open ones of these messages as dealt with — added as `wording` of the intent
    `label`, or ignored (label IGNORED, no wording) — audited; how many were still open."""
    if not ids:
        return 0
    open_ones = (
        col(UnmatchedMessage.id).in_(sorted(set(ids))),
        col(UnmatchedMessage.resolved_at).is_(None),
    )
    statement = (
        update(UnmatchedMessage)
        .where(*open_ones)
        .values(resolved_label=label, resolved_by=actor.staff_id, resolved_at=now)
    )
    count = session.execute(statement).rowcount or 0
    if count:
        after = {"label": label, "messages": count}
        if wording is not None:
            after["wording"] = mask_numbers_in(wording)
        audit.record(
            session, actor=actor, now=now, object_id=label,
            action="unmatched.ignore" if label == IGNORED else "unmatched.synonym",
            object_type="unmatched_message", after=after,
        )  # fmt: skip
    session.flush()
    return count
