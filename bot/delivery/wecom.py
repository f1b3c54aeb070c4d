"""WeCom group-robot posts: resident text made inert, split on UTF-8 bytes at the size limits,
batched under the rate."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
PER_MINUTE = 20

# Characters WeCom markdown reads as syntax (links, images, <font> and <@mention> tags, emphasis,
# code, headings, quotes, entities, escapes), swapped for full-width look-alikes: staff still
# read the words, the robot renders no markup. Notices are one line, so list and table markers
# (which need a line of their own) stay as typed.
_INERT = str.maketrans("[]()<>*_`#~&\\", "［］（）＜＞＊＿｀＃～＆＼")
# What a chat client turns into a link without markup: scheme://, www., and domain.tld.
_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.-]*):(?=//)")
_DOT_BEFORE_LETTER = re.compile(r"(?<=[0-9A-Za-z])\.(?=[A-Za-z])")
_SPACE = re.compile(r"\s+")
# Linli's own masking (138****5678, 020-****78) keeps its stars: a run between digits.
_MASK = re.compile(r"(?<=[0-9-])＊+(?=[0-9Xx])")


def inert(text: str) -> str:
    """Text from outside Linli (residents, staff names, place names) that renders as itself in a
    markdown notice: one line, no links, tags, emphasis, code, headings or quotes."""
    text = _SPACE.sub(" ", text).strip()
    text = _SCHEME.sub(r"\1：", text)
    text = _DOT_BEFORE_LETTER.sub("．", text).translate(_INERT)
    return _MASK.sub(lambda run: "*" * len(run.group(0)), text)


def notice(wording: str, **values: object) -> str:
    """A notice from Linli's own wording (notifications.yaml, reports.yaml) with every value made
    inert, so only what Linli itself writes (its console link) can render as markdown."""
    return wording.format(**{name: inert(str(value)) for name, value in values.items()})


def split_utf8(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line ends where possible, never inside a
    character."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if len((current + line).encode("utf-8")) <= limit:
            current += line
            continue
        if current:
            pieces.append(current)
            current = ""
        while len(line.encode("utf-8")) > limit:
            cut = _fit(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return [piece.rstrip("\n") for piece in pieces if piece.strip()]


def _fit(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > limit:
            return index
    return len(text)


@dataclass(frozen=True)
class Post:
    """One robot post and the outbox messages it carries."""

    content: str
    message_ids: tuple[int, ...]


def plan_posts(
    notices: list[tuple[int, str]], heading: str, limit: int = MARKDOWN_LIMIT
) -> list[Post]:
    """Pack notices into as few posts as fit the byte limit; a notice too long for one post is
    split over several (it counts as sent only when all its parts are)."""
    posts: list[Post] = []
    ids: list[int] = []
    texts: list[str] = []

    def render(parts: list[str]) -> str:
        if len(parts) == 1:
            return parts[0]
        return heading.format(count=len(parts)) + "\n\n" + "\n\n".join(parts)

    def flush() -> None:
        if texts:
            posts.append(Post(render(texts), tuple(ids)))
            ids.clear()
            texts.clear()

    for message_id, text in notices:
        if len(render([*texts, text]).encode("utf-8")) <= limit:
            ids.append(message_id)
            texts.append(text)
            continue
        flush()
        if len(text.encode("utf-8")) > limit:
            posts.extend(Post(piece, (message_id,)) for piece in split_utf8(text, limit))
        else:
            ids.append(message_id)
            texts.append(text)
    flush()
    return posts


class RobotBudget:
    """WeCom allows 20 posts a minute per robot; this remembers the posts of the last minute."""

    def __init__(self, per_minute: int = PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.sent: deque[datetime] = deque()

    def available(self, now: datetime) -> int:
        """Posts allowed right now."""
        while self.sent and now - self.sent[0] >= timedelta(minutes=1):
            self.sent.popleft()
        return self.per_minute - len(self.sent)

    def next_free(self, now: datetime) -> datetime:
        """When the next post will be allowed."""
        if self.available(now) > 0:
            return now
        return self.sent[0] + timedelta(minutes=1)

    def spend(self, now: datetime) -> None:
        """Count one post."""
        self.sent.append(now)
