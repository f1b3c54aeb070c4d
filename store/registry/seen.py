"""The ID numbers an import has already read, kept in 8 bytes each so memory stays flat.

A Python set of hex hashes costs ~150 bytes a row; a 100,000-row sheet would hold 15 MiB just to
notice a number given twice. Here each keyed hash is cut to its first 64 bits and kept in sorted
arrays that merge as they grow (the way a log-structured index does): a look-up is a binary
search in each of at most log₂(rows) arrays. Two different numbers share 64 bits of an HMAC with
a chance of about rows² / 2⁶⁵ (3 in 10¹⁰ for 100,000 rows), which is accepted.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left


def _key(hex_hash: str) -> int:
    return int(hex_hash[:16], 16)


class SeenHashes:
    """A set of keyed hashes (hex) that only grows: `add`, and `in`."""

    def __init__(self, run: int = 512) -> None:
        self._run = run
        self._pending: set[int] = set()
        self._sorted: list[array[int]] = []  # each sorted; sizes fall from first to last

    def __contains__(self, hex_hash: str) -> bool:
        key = _key(hex_hash)
        if key in self._pending:
            return True
        for keys in self._sorted:
            at = bisect_left(keys, key)
            if at < len(keys) and keys[at] == key:
                return True
        return False

    def __len__(self) -> int:
        return len(self._pending) + sum(len(keys) for keys in self._sorted)

    def add(self, hex_hash: str) -> None:
        """Remember one hash."""
        self._pending.add(_key(hex_hash))
        if len(self._pending) >= self._run:
            self._sorted.append(array("Q", sorted(self._pending)))
            self._pending = set()
            # Merge while the newest array is as large as the one before it: log₂ arrays in all.
            while len(self._sorted) > 1 and len(self._sorted[-1]) >= len(self._sorted[-2]):
                newer, older = self._sorted.pop(), self._sorted.pop()
                self._sorted.append(array("Q", heapq.merge(older, newer)))
