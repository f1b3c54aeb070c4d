"""Staff export the registry in a profile and compare this year's census sheet in the console:
masked by default, full numbers only for the roles allowed and with a reason, always audited."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from config.content import load_content
from store.staff.models import AuditEntry
from tests.chat import settings_for
from tests.report_helpers import Neighbourhood
from tests.staff_helpers import PASSWORD, create_staff
from tests.store.test_registry_import import census, person, run, write_xlsx

PEOPLE = 30


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _alert(page: str) -> str:
    found = re.search(r'role="alert">([^<]*)<', page)
    return found.group(1) if found else ""


def signed_in(database: Engine, tmp_path: Path, username: str) -> TestClient:
    client = TestClient(create_app(settings_for(database, media_dir=tmp_path / "media"),
                                   database=database))  # fmt: skip
    form = client.get("/console/login").text
    client.post("/console/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": _csrf(form)})  # fmt: skip
    return client


def registered(database: Engine, place: Neighbourhood, content_dir: Path, tmp_path: Path) -> None:
    sheet = write_xlsx(tmp_path / "居民.xlsx", census(PEOPLE))
    run(database, place, load_content(content_dir).registry, sheet, apply=True)


def sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def exports_logged(database: Engine) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == "resident.export")
        return list(session.exec(query.order_by(AuditEntry.id)))


def test_a_clerk_downloads_the_roster_masked_as_excel_and_csv(
    database: Engine, place: Neighbourhood, content_dir: Path, tmp_path: Path
) -> None:
    registered(database, place, content_dir, tmp_path)
    create_staff(database, "clerk")
    client = signed_in(database, tmp_path, "clerk")
    listing = client.get("/console/registry/exports")
    assert listing.status_code == 200
    for title in ("居民花名册", "老年人名单", "人口普查比对格式", "下载完整号码"):
        assert title in listing.text

    xlsx = client.get("/console/registry/exports/download?profile=roster")
    assert xlsx.status_code == 200
    assert xlsx.headers["cache-control"] == "no-store"
    rows = sheet_rows(xlsx.content)
    assert rows[0][:6] == ("序号", "姓名", "性别", "出生日期", "年龄", "身份证号")
    assert len(rows) == 1 + PEOPLE
    first = dict(zip(rows[0], rows[1], strict=False))
    id_card = str(person(0)[3])
    assert (first["姓名"], first["性别"], first["身份证号"], first["联系电话"]) == (
        "居民0000", "男", f"{id_card[:6]}********{id_card[-4:]}", "139****0000")  # fmt: skip
    assert (first["楼栋"], first["房号"], first["与户主关系"]) == ("5栋", "101", "户主")

    text = client.get("/console/registry/exports/download?profile=elderly&format=csv")
    assert text.content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese
    lines = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["序号", "姓名", "性别"]
    assert lines[1][3] == "1940年01月01日"
    dump = xlsx.text + text.content.decode("utf-8-sig")
    assert not any(str(person(i)[3]) in dump or str(person(i)[5]) in dump for i in range(PEOPLE))
    assert [(e.actor, e.object_id, e.after["full"], e.after["residents"])
            for e in exports_logged(database)] == [("clerk", "roster", False, PEOPLE),
                                                   ("clerk", "elderly", False, PEOPLE)]  # fmt: skip


def test_full_numbers_need_a_reason_which_the_audit_log_keeps(
    database: Engine, place: Neighbourhood, content_dir: Path, tmp_path: Path
) -> None:
    registered(database, place, content_dir, tmp_path)
    create_staff(database, "clerk")
    client = signed_in(database, tmp_path, "clerk")
    token = _csrf(client.get("/console/registry/exports").text)
    form = {"profile": "elderly", "format": "xlsx", "csrf_token": token}
    unexplained = client.post("/console/registry/exports/download", data={**form, "why": " "})
    assert unexplained.status_code == 200
    assert _alert(unexplained.text) == "请写明为什么需要完整号码。"
    assert exports_logged(database) == []

    full = client.post("/console/registry/exports/download",
                       data={**form, "why": "独生子女年审，报街道"})  # fmt: skip
    assert full.status_code == 200
    rows = sheet_rows(full.content)
    assert rows[1][5] == str(person(0)[3]) and rows[1][6] == str(person(0)[5])
    [entry] = exports_logged(database)
    assert (entry.actor, entry.after) == ("clerk", {
        "profile": "elderly", "residents": PEOPLE, "full": True, "format": "xlsx",
        "why": "独生子女年审，报街道"})  # fmt: skip


def test_a_grid_worker_downloads_masked_lists_only(
    database: Engine, place: Neighbourhood, content_dir: Path, tmp_path: Path
) -> None:
    registered(database, place, content_dir, tmp_path)
    client = signed_in(database, tmp_path, "wang")  # the committee's grid worker
    listing = client.get("/console/registry/exports")
    assert "居民花名册" in listing.text and "下载完整号码" not in listing.text
    refused = client.post("/console/registry/exports/download", data={
        "profile": "roster", "why": "想看看", "csrf_token": _csrf(listing.text)})  # fmt: skip
    assert refused.status_code == 403
    assert _alert(refused.text) == "您的岗位不能导出完整号码，请下载遮盖号码的名单。"
    masked = client.get("/console/registry/exports/download?profile=roster")
    assert len(sheet_rows(masked.content)) == 1 + PEOPLE
    assert client.get("/console/registry/exports/download?profile=nothing").status_code == 404


def test_a_clerk_compares_this_years_sheet_and_downloads_the_comparison(
    database: Engine, place: Neighbourhood, content_dir: Path, tmp_path: Path
) -> None:
    registered(database, place, content_dir, tmp_path)
    create_staff(database, "clerk")
    create_staff(database, "colleague")
    rows = [person(i) for i in range(PEOPLE)]
    rows[3][5] = "13700000003"
    this_year = [*rows[2:], person(100)]  # two gone, one come, one new mobile
    sheet = write_xlsx(tmp_path / "2026.xlsx", this_year).read_bytes()
    client = signed_in(database, tmp_path, "clerk")
    form = client.get("/console/registry/census")
    assert "普查表" in form.text
    answer = client.post("/console/registry/census", data={"csrf_token": _csrf(form.text)},
                         files={"file": ("2026年普查.xlsx", sheet)})  # fmt: skip
    assert answer.status_code == 200
    page = answer.text
    for tally in ("新增 <strong>1</strong>", "减少 <strong>2</strong>", "变更 <strong>1</strong>",
                  "无效 <strong>0</strong>"):  # fmt: skip
        assert tally in page
    assert "居民0100" in page and "居民0000" in page and "居民0001" in page
    assert "手机：139****0003 → 137****0003" in page
    assert str(person(3)[5]) not in page and "13700000003" not in page

    link = re.search(r'href="(/console/registry/census/download\?file=[^"]+)"', page)
    assert link
    book = load_workbook(io.BytesIO(client.get(link.group(1)).content), read_only=True)
    assert book.sheetnames == ["新增", "减少", "变更", "无效"]
    changed = list(book["变更"].iter_rows(values_only=True))
    assert changed[0] == ("行号", "居民编号", "姓名", "身份证号", "项目", "登记簿", "普查表")
    assert changed[1][4:] == ("手机", "139****0003", "137****0003")
    removed = list(book["减少"].iter_rows(values_only=True))
    assert [row[1] for row in removed[1:]] == ["居民0000", "居民0001"]
    # Someone else's link finds nothing.
    other = signed_in(database, tmp_path, "colleague")
    assert other.get(link.group(1)).status_code == 404


def test_a_sheet_that_is_not_a_census_sheet_is_explained(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    create_staff(database, "clerk")
    client = signed_in(database, tmp_path, "clerk")
    token = _csrf(client.get("/console/registry/census").text)
    for name, body, problem in (
        ("名单.txt", b"x", "只能上传 .xlsx 或 .csv 文件。"),
        ("名单.csv", "甲,乙\n1,2\n".encode(), "表里找不到“姓名”和“身份证号”两列，请检查表头。"),
        (
            "名单.xlsx",
            b"not a zip file",
            "这个文件读不出来，请用 Excel 另存为 .xlsx 或 CSV 后再上传。",
        ),
    ):
        answer = client.post("/console/registry/census", data={"csrf_token": token},
                             files={"file": (name, body)})  # fmt: skip
        assert (answer.status_code, _alert(answer.text)) == (200, problem), name


def broken_xlsx() -> bytes:
    """A zip whose [Content_Types].xml is cut off: its reader raises a ParseError."""
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as book:
        book.writestr("[Content_Types].xml", "<Types><Override")
    return body.getvalue()


def test_a_broken_excel_file_is_explained_never_a_server_error(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    create_staff(database, "clerk")
    client = signed_in(database, tmp_path, "clerk")
    token = _csrf(client.get("/console/registry/census").text)
    answer = client.post("/console/registry/census", data={"csrf_token": token},
                         files={"file": ("普查.xlsx", broken_xlsx())})  # fmt: skip
    assert answer.status_code == 200
    assert _alert(answer.text) == "这个文件读不出来，请用 Excel 另存为 .xlsx 或 CSV 后再上传。"


def test_numbers_in_the_notes_stay_masked_in_lists_and_the_comparison(
    database: Engine, place: Neighbourhood, content_dir: Path, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(3)]
    rows[0][13] = "女儿电话13912345678"
    registry = load_content(content_dir).registry
    run(database, place, registry, write_xlsx(tmp_path / "居民.xlsx", rows), apply=True)
    create_staff(database, "clerk")
    client = signed_in(database, tmp_path, "clerk")
    roster = sheet_rows(client.get("/console/registry/exports/download?profile=roster").content)
    assert dict(zip(roster[0], roster[1], strict=True))["备注"] == "女儿电话139****5678"

    rows[0][13] = "女儿电话13987654321"
    form = client.get("/console/registry/census")
    answer = client.post("/console/registry/census", data={"csrf_token": _csrf(form.text)},
                         files={"file": ("2026.xlsx", write_xlsx(tmp_path / "2026.xlsx",
                                                                 rows).read_bytes())})  # fmt: skip
    assert "备注：女儿电话139****5678 → 女儿电话139****4321" in answer.text
    assert "13912345678" not in answer.text and "13987654321" not in answer.text
    link = re.search(r'href="(/console/registry/census/download\?file=[^"]+)"', answer.text)
    assert link
    book = load_workbook(io.BytesIO(client.get(link.group(1)).content), read_only=True)
    changed = list(book["变更"].iter_rows(values_only=True))
    assert changed[1][5:] == ("女儿电话139****5678", "女儿电话139****4321")
    # Kept a day on the server for its maker alone, readable by the service's user only.
    [kept] = (tmp_path / "media" / "census").glob("*.xlsx")
    assert kept.stat().st_mode & 0o777 == 0o600
