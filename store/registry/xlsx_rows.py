"""Streaming an XLSX worksheet's rows as tuples of values, in flat memory.

Yields what openpyxl's read-only `iter_rows(values_only=True)` yields for the first worksheet
(str, int, float, bool, datetime/date/time/timedelta for date-styled numbers, None for blanks),
without openpyxl's per-cell objects and without holding a large shared-strings table in memory:
past `KEEP_STRINGS` strings the table is spilled to an unnamed temporary file, read back by chunk.
The XML is read with expat directly (no tree at all); a DTD or entity declaration is refused.
Two differences from openpyxl, both for sheets openpyxl misreads: the built-in Chinese date
formats (ids 27-36, 50-58, which WPS and a Chinese Excel save without a format code) are dates,
and a <dimension> smaller than the data pads rows but never cuts them short."""

from __future__ import annotations

import os
import posixpath
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from store.errors import Refused
from store.registry.xlsx_dates import (
    BUILTIN_DATES,
    CJK_DATES,
    MAC_EPOCH,
    WINDOWS_EPOCH,
    from_excel,
    from_iso,
    is_date_format,
    is_timedelta_format,
)

KEEP_STRINGS = 50_000  # shared strings kept as a list; a larger table is spilled to disk
CHUNK = 1024  # strings a spilled chunk holds (a power of two)
CACHED_CHUNKS = 32  # spilled chunks kept decoded (LRU): a sheet reuses few strings far back
READ = 1 << 16  # bytes fed to the parser at a time

SEP = "}"


class _Unsafe(ValueError):
    """A part of the file declares a DTD or an entity."""


def _unreadable() -> Refused:
    return Refused("file", "the sheet cannot be read", code="unreadable")


def _parser(namespaces: bool = True) -> Any:
    """An expat parser refusing DTDs and entities (as defusedxml does); with `namespaces`,
    names are "namespace}local", else as written (a prefix, if any, kept)."""
    parser = expat.ParserCreate(namespace_separator=SEP if namespaces else None)
    parser.buffer_text = True

    def refuse(*_: object) -> None:
        raise _Unsafe("DTD or entity declared")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


def _local(name: str) -> str:
    return name.rpartition(SEP)[2]


def _feed(parser: Any, stream: IO[bytes]) -> None:
    while chunk := stream.read(READ):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _elements(data: bytes) -> list[tuple[str, dict[str, str], str]]:
    """A small part's elements (local name, attributes, parent's local name) in document order."""
    found: list[tuple[str, dict[str, str], str]] = []
    open_: list[str] = [""]

    def start(name: str, attrs: dict[str, str]) -> None:
        found.append((_local(name), attrs, open_[-1]))
        open_.append(_local(name))

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _name: open_.pop()
    parser.Parse(data, True)
    return found


class SharedStrings:
    """A workbook's shared strings by index: a list while few, else chunks in a temporary file."""

    def __init__(self, keep: int = KEEP_STRINGS) -> None:
        """`keep`: past this many strings the table is spilled to disk."""
        self._keep = keep
        self._held: list[str] = []
        self._file: IO[bytes] | None = None
        self._starts = array("q")  # where each spilled chunk starts in the file, then its end
        self._count = 0
        self._cache: dict[int, list[str]] = {}

    @property
    def spilled(self) -> bool:
        """Whether the table went to a temporary file."""
        return self._file is not None

    @property
    def held(self) -> int:
        """How many strings are in memory now (the pending chunk and the decoded ones)."""
        return len(self._held) + sum(len(chunk) for chunk in self._cache.values())

    def __len__(self) -> int:
        """How many strings the table has."""
        return self._count

    def append(self, text: str) -> None:
        """Add the next string."""
        self._held.append(text)
        self._count += 1
        if self._file is None and len(self._held) > self._keep:
            # Unnamed, so gone with the process too; close() closes it.
            self._file = tempfile.TemporaryFile(prefix="linli-strings-")  # noqa: SIM115
            self._starts.append(0)
        if self._file is not None and len(self._held) >= CHUNK:
            self._write(self._held[:CHUNK])
            del self._held[:CHUNK]

    def _write(self, chunk: list[str]) -> None:
        assert self._file is not None
        # NUL cannot occur in XML text, so it separates the strings of a chunk.
        self._file.write("\x00".join(chunk).encode("utf-8", "surrogatepass"))
        self._starts.append(self._file.tell())

    def finish(self) -> None:
        """Write what is left once the last string is added."""
        if self._file is not None:
            if self._held:
                self._write(self._held)
                self._held = []
            self._file.flush()

    def __getitem__(self, index: int) -> str:
        """The string at `index` (IndexError past the end, as a list)."""
        if self._file is None:
            return self._held[index]
        if not 0 <= index < self._count:
            raise IndexError(index)
        number = index // CHUNK
        chunk = self._cache.pop(number, None)
        if chunk is None:
            start, end = self._starts[number], self._starts[number + 1]
            data = os.pread(self._file.fileno(), end - start, start)
            chunk = data.decode("utf-8", "surrogatepass").split("\x00")
            if len(self._cache) >= CACHED_CHUNKS:
                del self._cache[next(iter(self._cache))]  # the least recently read
        self._cache[number] = chunk
        return chunk[index % CHUNK]

    def close(self) -> None:
        """Delete the temporary file, if any."""
        if self._file is not None:
            self._file.close()
        self._cache.clear()


def read_shared_strings(stream: IO[bytes], keep: int = KEEP_STRINGS) -> SharedStrings:
    """The shared-strings part: each <si>'s text, its runs joined, phonetic runs left out."""
    strings = SharedStrings(keep)
    parts: list[str] = []
    taking = in_phonetic = False

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal taking, in_phonetic
        local = _local(name)
        if local == "t":
            taking = not in_phonetic
        elif local == "si":
            parts.clear()
        elif local == "rPh":
            in_phonetic = True

    def end(name: str) -> None:
        nonlocal taking, in_phonetic
        local = _local(name)
        if local == "t":
            taking = False
        elif local == "si":
            strings.append("".join(parts).replace("x005F_", ""))
        elif local == "rPh":
            in_phonetic = False

    def text(data: str) -> None:
        if taking:
            parts.append(data)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    try:
        _feed(parser, stream)
    except BaseException:
        strings.close()
        raise
    strings.finish()
    return strings


def _rels(archive: zipfile.ZipFile, part: str) -> list[dict[str, str]]:
    """A part's relationships, targets made archive paths."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", f"{name}.rels")
    if path not in archive.NameToInfo:
        return []
    found = []
    for local, attrs, _ in _elements(archive.read(path)):
        if local != "Relationship" or attrs.get("TargetMode") == "External":
            continue
        target = attrs.get("Target", "")
        target = target[1:] if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))  # fmt: skip
        found.append({**attrs, "Target": target})
    return found


def _of_type(rels: list[dict[str, str]], kind: str) -> str | None:
    return next((r["Target"] for r in rels if r.get("Type", "").endswith("/" + kind)), None)


class _Book:
    """What reading the first worksheet needs: its part, the strings part, date styles, epoch."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        workbook = _of_type(_rels(archive, ""), "officeDocument") or "xl/workbook.xml"
        rels = _rels(archive, workbook)
        by_id = {r.get("Id"): r for r in rels}
        self.epoch = WINDOWS_EPOCH
        self.sheet: str | None = None
        for local, attrs, _ in _elements(archive.read(workbook)):
            if local == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
                self.epoch = MAC_EPOCH
            elif local == "sheet" and self.sheet is None:
                rel = by_id.get(next((v for k, v in attrs.items() if _local(k) == "id"), None))
                # As openpyxl: a sheet whose part is missing is skipped, a chart sheet too.
                if rel and rel["Target"] in archive.NameToInfo and "chartsheet" not in rel["Type"]:
                    self.sheet = rel["Target"]
        if self.sheet is None:
            raise KeyError("no worksheet")
        strings = _of_type(rels, "sharedStrings") or "xl/sharedStrings.xml"
        self.strings = strings if strings in archive.NameToInfo else None
        styles = _of_type(rels, "styles") or "xl/styles.xml"
        self.dates, self.timedeltas = _date_styles(
            archive.read(styles) if styles in archive.NameToInfo else b""
        )


def _date_styles(data: bytes) -> tuple[frozenset[int], frozenset[int]]:
    """The cell styles (cellXfs indexes) whose number format is a date, and a duration."""
    if not data:
        return frozenset(), frozenset()
    custom: dict[int, str] = {}
    formats: list[int] = []
    for local, attrs, parent in _elements(data):
        if local == "numFmt" and parent == "numFmts":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif local == "xf" and parent == "cellXfs":
            formats.append(int(attrs.get("numFmtId", "0")))
    dates, durations = set(), set()
    for index, number in enumerate(formats):
        code = custom.get(number, BUILTIN_DATES.get(number))
        if is_date_format(code) or (number not in custom and number in CJK_DATES):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return frozenset(dates), frozenset(durations)


def _columns() -> Callable[[str], int]:
    """A cell reference's column number (A1 → 1), remembered by its letters."""
    known: dict[str, int] = {}

    def column(ref: str) -> int:
        letters = ref.rstrip("0123456789$").lstrip("$")
        number = known.get(letters)
        if number is None:
            number = 0
            for letter in letters.upper():
                if not "A" <= letter <= "Z":
                    raise ValueError(f"not a cell reference: {ref}")
                number = number * 26 + ord(letter) - 64
            if not 1 <= number <= 16384:
                raise ValueError(f"not a cell reference: {ref}")
            known[letters] = number
        return number

    return column


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        return int(number)


class _Names(dict[str, str]):
    """An element's local name by its name as written ("x:c" → "c"), remembered."""

    def __missing__(self, name: str) -> str:
        local = name.rpartition(":")[2]
        if len(self) < 1000:  # a sheet uses a few dozen names; a hostile one gains nothing
            self[name] = local
        return local


def _sheet_rows(stream: IO[bytes], strings: SharedStrings | list[str],
                book: _Book) -> Iterator[tuple[Any, ...]]:  # fmt: skip
    """The worksheet part's rows, as openpyxl's read-only values_only iteration gives them."""
    done: list[tuple[Any, ...]] = []
    values: list[Any] = []
    vparts: list[str] = []
    tparts: list[str] = []
    sink: list[str] | None = None
    column = _columns()
    dates, durations, epoch = book.dates, book.timedeltas, book.epoch
    width = 0  # the <dimension>'s last column: every row is padded to it, as openpyxl does
    blank: tuple[Any, ...] = ()
    line = 0  # the row being read
    expected = 1  # the next row to yield; rows skipped in the sheet are yielded blank
    col = 0
    kind: str = "n"
    style: str | None = None
    inline = in_phonetic = False
    in_row = False
    names = _Names()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal sink, col, kind, style, inline, in_phonetic, line, in_row, width, blank
        local = names[name]
        if local == "c":
            ref = attrs.get("r")
            col = column(ref) if ref else col + 1
            kind = attrs.get("t", "n")
            style = attrs.get("s")
            vparts.clear()
            tparts.clear()
            inline = False
        elif local == "v":
            sink = vparts
        elif local == "t":
            sink = None if in_phonetic else tparts
        elif local == "row":
            number = attrs.get("r")
            line = _row_number(number) if number else line + 1
            col = 0
            values.clear()
            in_row = True
        elif local == "is":
            inline = True
        elif local == "rPh":
            in_phonetic = True
        elif local == "dimension" and not in_row:
            ref = attrs.get("ref", "").rpartition(":")[2]
            width = column(ref) if ref.strip("$")[:1].isalpha() else 0
            blank = (None,) * width

    def value() -> Any:
        if kind == "inlineStr":
            return "".join(tparts) if inline else None
        raw = "".join(vparts)
        if not raw:
            return None
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            if style and int(style) in dates:
                try:
                    return from_excel(number, epoch, int(style) in durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # openpyxl's reading of a date out of range
            return number
        if kind == "s":
            return strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_iso(raw)
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)

    def end(name: str) -> None:
        nonlocal sink, in_phonetic, expected, in_row
        local = names[name]
        if local == "c":
            got = value()
            if col == len(values) + 1:
                values.append(got)
            elif col > len(values):
                values.extend([None] * (col - 1 - len(values)))
                values.append(got)
            else:
                values[col - 1] = got  # a cell given twice: the later one, as openpyxl
        elif local == "v" or local == "t":
            sink = None
        elif local == "row":
            in_row = False
            if line < expected:
                return  # a row out of order: openpyxl skips it
            while expected < line:
                done.append(blank)
                expected += 1
            if len(values) < width:
                values.extend([None] * (width - len(values)))
            done.append(tuple(values))
            expected += 1
        elif local == "rPh":
            in_phonetic = False

    def text(data: str) -> None:
        if sink is not None:
            sink.append(data)

    parser = _parser(namespaces=False)  # names as written: faster, and a prefix is dropped
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    while chunk := stream.read(READ):
        parser.Parse(chunk, False)
        yield from done
        done.clear()
    parser.Parse(b"", True)
    yield from done


def xlsx_rows(path: str | os.PathLike[str], keep: int = KEEP_STRINGS) -> Iterator[tuple[Any, ...]]:
    """The first worksheet's rows as tuples of values; Refused ("unreadable") for a broken file
    or one declaring a DTD. The shared strings past `keep` live in a temporary file, deleted
    when the rows are read or the iterator is closed."""
    strings: SharedStrings | list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            book = _Book(archive)
            if book.strings is not None:
                with archive.open(book.strings) as part:
                    strings = read_shared_strings(part, keep)
            with archive.open(book.sheet or "") as part:
                yield from _sheet_rows(part, strings, book)
    except Refused:
        raise
    except (zipfile.BadZipFile, LookupError, expat.ExpatError, ValueError, EOFError, OSError,
            zlib.error, OverflowError, NotImplementedError) as bad:  # fmt: skip
        raise _unreadable() from bad
    finally:
        if isinstance(strings, SharedStrings):
            strings.close()
