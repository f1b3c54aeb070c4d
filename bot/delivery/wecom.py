"""WeCom group-robot posts: split on UTF-8 bytes at the size limits, batched under the rate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
PER_MINUTE = 20


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
