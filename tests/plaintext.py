"""The whole run's check that personal numbers never reach a SQLite file or a log in plaintext.

Every ID-card number and mobile the tests hand to Linli passes through `Sealer.seal` or
`Sealer.lookup_hash` (that is how Linli stores and finds them), so recording what those two are
given yields the run's personal numbers; numbers written literally in the test sources are added,
for the ones only a child process (`linli serve`, the CLI) saw. When the run ends, every SQLite
file (with its WAL) and every log under the run's temporary directory is searched for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from flows.identity import Flagged, check_id_card
from store.sealing import Sealer

# Digits standing alone: an 11-digit mobile, a 15-digit legacy or 18-digit ID number.
_NUMBER = re.compile(r"(?<![0-9])(1[3-9][0-9]{9}|[1-9][0-9]{14}|[1-9][0-9]{16}[0-9Xx])(?![0-9Xx])")
_NUMBER_BYTES = re.compile(_NUMBER.pattern.encode())
_SEARCHED = ("*.db", "*.db-wal", "*.db-journal", "*.log")
KNOWN_FILE = "personal-numbers.txt"


def personal_numbers(text: str) -> set[str]:
    """The mobiles and valid ID numbers written in a text (an ID with a wrong check digit is no
    one's, and a 15-digit run is counted only as a legacy ID number)."""
    found = set()
    for number in _NUMBER.findall(text):
        if len(number) == 11:
            found.add(number)
        elif not isinstance(check_id_card(number), Flagged):
            found.add(number.upper())
    return found


class Recorder:
    """Remembers the personal numbers this process sealed or hashed."""

    def __init__(self) -> None:
        self.numbers: set[str] = set()

    def install(self) -> None:
        """Wrap Sealer.seal and Sealer.lookup_hash so each records what it is given."""
        seal, lookup_hash = Sealer.seal, Sealer.lookup_hash
        recorder = self

        def recording_seal(sealer: Sealer, text: str) -> str:
            recorder.numbers |= personal_numbers(text)
            return seal(sealer, text)

        def recording_lookup_hash(sealer: Sealer, value: str) -> str:
            recorder.numbers |= personal_numbers(value)
            return lookup_hash(sealer, value)

        Sealer.seal = recording_seal  # type: ignore[method-assign]
        Sealer.lookup_hash = recording_lookup_hash  # type: ignore[method-assign]

    def save(self, directory: Path, name: str) -> None:
        """Write the numbers for the process that searches once every worker has finished."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{name}-{KNOWN_FILE}").write_text("\n".join(sorted(self.numbers)))


def numbers_in_sources(root: Path) -> set[str]:
    """The personal numbers written literally in the test sources."""
    return {n for path in root.rglob("*.py") for n in personal_numbers(path.read_text("utf-8"))}


def saved_numbers(root: Path) -> set[str]:
    """Every number the run's processes saved under its temporary directory."""
    return {line for path in root.rglob(f"*{KNOWN_FILE}") for line in path.read_text().split()}


def searched_files(root: Path) -> Iterator[Path]:
    """The SQLite files, WAL files and logs under the run's temporary directory."""
    for pattern in _SEARCHED:
        yield from (p for p in root.rglob(pattern) if p.is_file())


def leaks(files: Iterable[Path], numbers: set[str]) -> list[tuple[Path, str]]:
    """(file, masked number) for each known personal number found in plaintext in a file."""
    found = []
    for path in files:
        data = path.read_bytes()
        for number in sorted({m.decode().upper() for m in _NUMBER_BYTES.findall(data)} & numbers):
            found.append((path, f"{number[:3]}…{number[-4:]}"))
    return found
