"""The streaming XLSX reader yields what openpyxl's read-only reading yields, in flat memory."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from config.content import load_content
from store.errors import Refused
from store.registry import xlsx_rows as reader
from store.registry.sheet import Sheet
from store.registry.xlsx_rows import read_shared_strings, xlsx_rows

HEADINGS = ["姓名", "性别", "公民身份号码", "出生日期", "手机号码", "楼栋", "备注"]
PEOPLE = [
    ["张伟", "男", "11010519491231002X", date(1949, 12, 31), "13912345678", "1栋", None],
    ["王秀英", "女", "440103196501011234", datetime(1965, 1, 1, 8, 30), 13800001111, "2栋", ""],
    ["李强", None, "110105200001010016", date(1900, 2, 28), 15900002222, None, 3.5],
    ["赵敏", "女", None, date(1900, 3, 1), None, "1栋", True],
]


def openpyxl_rows(path: Path) -> list[tuple[object, ...]]:
    """What the import read before: openpyxl read-only, values only, the first worksheet."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def normal_book(path: Path, *, epoch: datetime | None = None) -> Path:
    """A sheet saved the way Excel does: shared strings, styles, missing rows and cells."""
    book = Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    sheet.title = "居民"
    sheet.append(["基准社区居民基本信息表"])
    sheet.append(HEADINGS)
    for person in PEOPLE:
        sheet.append(person)
    sheet["C9"] = "440103196501011234"  # rows 7 and 8 left out, a cell alone in the middle
    sheet["A10"], sheet["F10"] = "孙丽", datetime(2024, 5, 6, 23, 59, 59)
    sheet["B11"] = time(12, 30)
    other = book.create_sheet("第二页")
    other.append(["不读", "这一页"])
    book.save(path)
    return path


def write_only_book(path: Path) -> Path:
    """A sheet openpyxl writes in write-only mode: inline strings, no dimension."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(HEADINGS)
    for person in PEOPLE:
        sheet.append(person)
    sheet.append([])
    sheet.append([None, None, "110105200001010016"])
    book.create_sheet("其他").append(["不读"])
    book.save(path)
    return path


INLINE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t>([^<]*)</t></is></c>'
)
SHARED = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    b'<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
)


def as_excel_saves(path: Path) -> Path:
    """The workbook at `path` with its text in a shared-strings table, as Excel and WPS save
    one (openpyxl writes text inline)."""
    strings: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(3), len(strings))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2) or b"", index)

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for name in parts:
        if name.startswith("xl/worksheets/"):
            parts[name] = INLINE.sub(shared, parts[name])
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", SHARED[0])
    rels = parts["xl/_rels/workbook.xml.rels"]
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(b"</Relationships>", SHARED[1])
    table = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s</sst>' % table
    )
    out = path.with_name("shared-" + path.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out


def rewritten(path: Path, parts: dict[str, bytes]) -> Path:
    """The workbook at `path` with some of its parts replaced."""
    out = path.with_name("rewritten-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, parts.get(item.filename, source.read(item.filename)))
    return out


@pytest.mark.parametrize("shared", [True, False], ids=["shared strings", "inline strings"])
def test_a_normal_sheet_reads_as_openpyxl_reads_it(tmp_path: Path, shared: bool) -> None:
    path = normal_book(tmp_path / "census.xlsx")
    if shared:
        path = as_excel_saves(path)
        with zipfile.ZipFile(path) as archive:
            assert b't="s"' in archive.read("xl/worksheets/sheet1.xml")
    rows = list(xlsx_rows(path))
    assert rows == openpyxl_rows(path)
    assert rows[1] == tuple(HEADINGS)
    assert rows[2][2] == "11010519491231002X" and rows[2][3] == datetime(1949, 12, 31)
    assert rows[3][4] == 13800001111 and rows[4][6] == 3.5 and rows[5][6] is True
    assert rows[4][3] == datetime(1900, 2, 28) and rows[5][3] == datetime(1900, 3, 1)
    assert rows[6] == rows[7] == (None,) * 7  # the rows the sheet skips, blank
    assert rows[8] == (None, None, "440103196501011234", None, None, None, None)
    assert rows[9][5] == datetime(2024, 5, 6, 23, 59, 59) and rows[10][1] == time(12, 30)


def test_a_write_only_sheet_reads_as_openpyxl_reads_it(tmp_path: Path) -> None:
    path = write_only_book(tmp_path / "inline.xlsx")
    rows = list(xlsx_rows(path))
    assert rows == [tuple(row) for row in openpyxl_rows(path)]
    assert rows[2][:3] == ("王秀英", "女", "440103196501011234")
    assert rows[3][1] is None and rows[3][2] == "110105200001010016"  # a blank kept in place
    assert rows[-1] == (None, None, "110105200001010016")


def test_a_1904_workbook_keeps_its_dates(tmp_path: Path) -> None:
    path = normal_book(tmp_path / "mac.xlsx", epoch=CALENDAR_MAC_1904)
    rows = list(xlsx_rows(path))
    assert rows == openpyxl_rows(path)
    assert rows[2][3] == datetime(1949, 12, 31)


def test_a_hand_written_sheet_reads_as_openpyxl_reads_it(tmp_path: Path) -> None:
    # Prefixed names, cells and rows without references, rich and phonetic runs, an error.
    base = as_excel_saves(normal_book(tmp_path / "base.xlsx"))
    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    strings = (
        f'<x:sst {ns} count="2" uniqueCount="2">'
        "<x:si><x:t>王</x:t><x:r><x:t>秀英</x:t></x:r>"
        '<x:rPh sb="0" eb="1"><x:t>wang</x:t></x:rPh></x:si>'
        '<x:si><x:t xml:space="preserve"> 1栋 </x:t></x:si></x:sst>'
    ).encode()
    sheet = (
        f"<x:worksheet {ns}><x:sheetData>"
        '<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c>'
        '<x:c t="b"><x:v>0</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c></x:row>'
        '<x:row r="4"><x:c r="B4" t="inlineStr"><x:is><x:t>李</x:t><x:r><x:t>强</x:t></x:r>'
        '</x:is></x:c><x:c r="D4" t="str"><x:f>A1</x:f><x:v>王秀英</x:v></x:c>'
        '<x:c r="E4"><x:v>1.5E3</x:v></x:c><x:c r="F4"><x:v></x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    ).encode()
    path = rewritten(base, {"xl/sharedStrings.xml": strings, "xl/worksheets/sheet1.xml": sheet})
    rows = list(xlsx_rows(path))
    assert rows == [tuple(row) for row in openpyxl_rows(path)]
    assert rows[0] == ("王秀英", " 1栋 ", False, "#N/A")
    assert rows[3] == (None, "李强", None, "王秀英", 1500.0, None)


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_a_part_declaring_a_dtd_is_refused(tmp_path: Path, part: str) -> None:
    base = as_excel_saves(normal_book(tmp_path / "base.xlsx"))
    with zipfile.ZipFile(base) as archive:
        text = archive.read(part).decode()
    root = text.index("<", text.index("?>") + 2) if text.startswith("<?xml") else 0
    doctype = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    path = rewritten(base, {part: (text[:root] + doctype + text[root:]).encode()})
    with pytest.raises(Refused) as refused:
        list(xlsx_rows(path))
    assert refused.value.code == "unreadable"


@pytest.mark.parametrize("content", [b"not a workbook", b"PK\x03\x04broken"])
def test_a_broken_file_is_refused_as_unreadable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(Refused) as refused:
        list(xlsx_rows(path))
    assert refused.value.code == "unreadable"


def test_a_sheet_cut_short_is_refused_as_unreadable(tmp_path: Path) -> None:
    base = normal_book(tmp_path / "base.xlsx")
    with zipfile.ZipFile(base) as archive:
        text = archive.read("xl/worksheets/sheet1.xml")
    path = rewritten(base, {"xl/worksheets/sheet1.xml": text[: len(text) // 2]})
    with pytest.raises(Refused) as refused:
        list(xlsx_rows(path))
    assert refused.value.code == "unreadable"


def test_the_import_reads_its_sheet_with_the_streaming_reader(
    tmp_path: Path, content_dir: Path
) -> None:
    columns = load_content(content_dir).registry.imports.columns
    rows = list(Sheet(normal_book(tmp_path / "census.xlsx"), columns).rows())
    assert rows[0] == (
        3,
        {"name": "张伟", "gender": "男", "id_card": "11010519491231002X",
         "birth_date": date(1949, 12, 31), "mobile": "13912345678", "building": "1栋"},
    )  # fmt: skip
    assert rows[1][1]["mobile"] == "13800001111"  # a number typed as a number, kept whole


def test_many_shared_strings_are_not_all_held_in_memory(tmp_path: Path) -> None:
    count = 60_000  # unique strings: past KEEP_STRINGS, so the table goes to a temporary file
    people = [(f"居民{n}", f"440103{n:012d}", f"138{n:08d}") for n in range(0, count, 3)]
    cells = "".join(
        f'<row r="{line}">' + "".join(
            f'<c r="{col}{line}" t="inlineStr"><is><t>{text}</t></is></c>'
            for col, text in zip("ABC", person, strict=True)
        ) + "</row>"
        for line, person in enumerate(people, start=1)
    )  # fmt: skip
    book = Workbook(write_only=True)
    book.create_sheet().append(["x"])
    book.save(tmp_path / "big.xlsx")
    with zipfile.ZipFile(tmp_path / "big.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub("<sheetData>.*</sheetData>", f"<sheetData>{cells}</sheetData>", sheet)
    path = as_excel_saves(
        rewritten(tmp_path / "big.xlsx", {"xl/worksheets/sheet1.xml": sheet.encode()})
    )
    with zipfile.ZipFile(path) as archive, archive.open("xl/sharedStrings.xml") as part:
        strings = read_shared_strings(part)
    try:
        assert count > reader.KEEP_STRINGS and strings.spilled and len(strings) == count
        assert strings.held < reader.CHUNK  # only the last chunk waits in memory
        assert strings[0] == "居民0" and strings[count - 1] == f"138{count - 3:08d}"
        assert [strings[i] for i in range(count)] == [text for person in people for text in person]
        assert strings.held <= reader.CHUNK * reader.CACHED_CHUNKS
        with pytest.raises(IndexError):
            strings[count]
    finally:
        strings.close()
    assert list(xlsx_rows(path)) == people


def test_a_chinese_built_in_date_format_reads_as_a_date(tmp_path: Path) -> None:
    # WPS and a Chinese Excel save 2001年3月14日 as built-in format 31, with no format code;
    # openpyxl reads such a date of birth as a bare serial number.
    base = normal_book(tmp_path / "base.xlsx")
    with zipfile.ZipFile(base) as archive:
        styles = archive.read("xl/styles.xml").replace(b'<xf numFmtId="164"', b'<xf numFmtId="31"')
    path = rewritten(base, {"xl/styles.xml": styles})
    assert openpyxl_rows(path)[2][3] == 18263
    assert list(xlsx_rows(path))[2][3] == datetime(1949, 12, 31)


def test_a_dimension_too_small_does_not_cut_the_rows(tmp_path: Path) -> None:
    base = normal_book(tmp_path / "base.xlsx")
    with zipfile.ZipFile(base) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    path = rewritten(
        base, {"xl/worksheets/sheet1.xml": sheet.replace(b'ref="A1:G11"', b'ref="A1"')}
    )
    assert len(openpyxl_rows(path)) == 1
    whole = openpyxl_rows(normal_book(tmp_path / "whole.xlsx"))
    assert [written(row) for row in xlsx_rows(path)] == [written(row) for row in whole]


def written(row: tuple[object, ...]) -> tuple[object, ...]:
    """A row without the blanks after its last value."""
    return row[: max((i + 1 for i, value in enumerate(row) if value is not None), default=0)]
