"""An admin manages a committee's buildings and public places: by hand and from a CSV sheet."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from store.db import unit_of_work
from store.errors import Refused
from store.places import service as places
from store.places.models import Place
from store.staff import audit
from store.staff.models import AuditEntry, StaffUser
from store.staff.scope import Scope
from tests.chat import settings_for
from tests.staff_helpers import NOW, PASSWORD, create_staff, token_for

SHEET = """名称,类型,网格,纬度,经度
3栋,楼栋,第一网格,23.129600,113.265100
小区门口,公共场所,,23.129100,113.264400
5栋,楼栋,第二网格,,
,楼栋,,,
6栋,宿舍,,,
7栋,楼栋,,北纬,113.2
"""


def _signed_in_admin(database: Engine) -> tuple[TestClient, int]:
    create_staff(database, "admin", role="subdistrict_admin", committee=None)
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    client = TestClient(create_app(settings_for(database), database=database))
    form = client.get("/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    client.post("/console/login", data={"username": "admin", "password": PASSWORD,
                                        "csrf_token": token.group(1)})  # fmt: skip
    assert clerk.committee_id is not None
    return client, clerk.committee_id


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _alert(page: str) -> str:
    found = re.search(r'role="alert">([^<]*)<', page)
    return found.group(1) if found else ""


def test_an_admin_imports_a_sheet_and_sees_which_rows_were_refused(database: Engine) -> None:
    client, committee_id = _signed_in_admin(database)
    page = client.get(f"/console/places?committee_id={committee_id}")
    answer = client.post(
        "/console/places/import",
        data={"committee_id": str(committee_id), "csrf_token": _csrf(page.text)},
        files={"file": ("places.csv", SHEET.encode("utf-8-sig"), "text/csv")},
    )
    assert "导入完成：新增3个，更新0个" in answer.text
    assert "第5行没有导入：名称：请填写名称" in answer.text
    assert "第6行没有导入：类型：只能是「楼栋」或「公共场所」" in answer.text
    assert "第7行没有导入：坐标：纬度和经度要填数字" in answer.text
    assert "3栋" in answer.text and "公共场所" in answer.text and "第二网格" in answer.text
    again = client.post(
        "/console/places/import",
        data={"committee_id": str(committee_id), "csrf_token": _csrf(page.text)},
        files={"file": ("places.csv", "名称,网格\n3栋,新网格\n".encode(), "text/csv")},
    )
    assert "新增0个，更新1个" in again.text and "新网格" in again.text
    with Session(database) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.object_type == "place"))]  # fmt: skip
    assert sorted(actions) == ["place.create"] * 3 + ["place.update"]


def test_an_admin_adds_one_place_by_hand(database: Engine) -> None:
    client, committee_id = _signed_in_admin(database)
    page = client.get(f"/console/places?committee_id={committee_id}")
    bad = client.post("/console/places", data={
        "committee_id": str(committee_id), "name": "停车场", "kind": "public",
        "lat": "23.1", "lng": "", "csrf_token": _csrf(page.text)})  # fmt: skip
    assert _alert(bad.text).startswith("坐标：纬度和经度要么都填")
    good = client.post("/console/places", data={
        "committee_id": str(committee_id), "name": "停车场", "kind": "public",
        "csrf_token": _csrf(page.text)})  # fmt: skip
    assert "已保存" in good.text and "停车场" in good.text


def test_places_of_another_committee_are_out_of_reach(database: Engine) -> None:
    clerk = create_staff(database, "east", committee="东风社区居委会")
    west = create_staff(database, "west", committee="西湖社区居委会")
    assert clerk.committee_id and west.committee_id
    scope = Scope(clerk.id or 0, clerk.sub_district_id, frozenset({clerk.committee_id}), False)
    with unit_of_work(database) as session:
        places.save(session, scope, actor=audit.CLI, committee_id=clerk.committee_id,
                    kind="楼栋", name="1栋", now=NOW)  # fmt: skip
        try:
            places.save(session, scope, actor=audit.CLI, committee_id=west.committee_id,
                        kind="楼栋", name="9栋", now=NOW)  # fmt: skip
        except Refused as refused:
            assert refused.field == "committee_id"
        else:
            raise AssertionError("a place was added to another committee")
    with Session(database) as session:
        assert [p.name for p in places.listed(session, scope)] == ["1栋"]
        assert session.exec(select(Place)).all()[0].committee_id == clerk.committee_id


def test_the_places_api_reads_for_staff_and_writes_for_admins(database: Engine) -> None:
    client = TestClient(create_app(settings_for(database), database=database))
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    body = {"committee_id": clerk.committee_id, "kind": "building", "name": "3栋",
            "lat": 23.1296, "lng": 113.2651}  # fmt: skip
    assert (
        client.post("/api/v1/places", json=body, headers=token_for(database, clerk)).status_code
        == 403
    )
    made = client.post("/api/v1/places", json=body, headers=token_for(database, admin))
    assert made.status_code == 201 and made.json()["name"] == "3栋"
    wrong = client.post("/api/v1/places", json={**body, "kind": "宿舍"},
                        headers=token_for(database, admin))  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "kind"
    listed = client.get("/api/v1/places", headers=token_for(database, clerk)).json()
    assert [p["name"] for p in listed["items"]] == ["3栋"]
    far = create_staff(database, "far", committee="西湖社区居委会")
    assert client.get("/api/v1/places", headers=token_for(database, far)).json()["total"] == 0


def _import(client: TestClient, committee_id: int, sheet: bytes) -> str:
    page = client.get(f"/console/places?committee_id={committee_id}")
    answer = client.post(
        "/console/places/import",
        data={"committee_id": str(committee_id), "csrf_token": _csrf(page.text)},
        files={"file": ("places.csv", sheet, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def _admin(database: Engine) -> StaffUser:
    with Session(database) as session:
        return session.exec(select(StaffUser).where(StaffUser.username == "admin")).one()


def _names(database: Engine) -> list[str]:
    with Session(database) as session:
        return sorted(p.name for p in session.exec(select(Place)))


def test_sheets_as_excel_saves_them_load_in_any_encoding_and_line_ending(
    database: Engine,
) -> None:
    client, committee_id = _signed_in_admin(database)
    encodings = ("utf-8-sig", "utf-8", "gbk", "gb18030", "utf-16")  # utf-16 writes a BOM
    expected = []
    for number, (encoding, newline) in enumerate(
        (encoding, newline) for encoding in encodings for newline in ("\r\n", "\n", "\r")
    ):
        rows = ["名称,类型,网格", f"{number}号楼,楼栋,第一网格", f"东门{number},公共场所,"]
        sheet = (newline.join(rows) + newline).encode(encoding)
        page = _import(client, committee_id, sheet)
        assert "导入完成：新增2个，更新0个" in page, (encoding, repr(newline))
        expected += [f"{number}号楼", f"东门{number}"]
    assert _names(database) == sorted(expected)


def test_a_file_that_cannot_be_read_is_refused_in_words_and_loads_nothing(
    database: Engine,
) -> None:
    client, committee_id = _signed_in_admin(database)
    huge_cell = "名称,类型\n1栋,楼栋\n" + "2" * 131_073 + ",楼栋\n"
    refused = {
        "文件太大，最多1MB": b"x" * (places.MAX_SHEET_BYTES + 1),
        "第3行无法按CSV表格读取": huge_cell.encode(),
        "无法读取这个文件，请另存为CSV": b"\xff\xfe\xfd" + bytes(range(0x80, 0xFF)),
        "表格第一行要有「名称」这一列": "楼栋,类型\n1栋,楼栋\n".encode(),
    }
    for words, sheet in refused.items():
        assert words in _alert(_import(client, committee_id, sheet)), words
    assert _names(database) == []


def test_control_characters_in_any_field_are_refused_with_their_line(database: Engine) -> None:
    client, committee_id = _signed_in_admin(database)
    sheet = (
        "名称,类型,网格\n3\x00栋,楼栋,\n5栋,楼栋,网\x1b格\n7栋,楼栋,第一网格\n"
        + "长" * 101
        + ",楼栋,\n"
    )
    alert = _alert(_import(client, committee_id, sheet.encode()))
    assert "第2行没有导入：名称：不能含有控制字符" in alert
    assert "第3行没有导入：网格：不能含有控制字符" in alert
    assert "第5行没有导入：名称：最多100个字" in alert
    assert _names(database) == ["7栋"]
    page = client.get(f"/console/places?committee_id={committee_id}")
    by_hand = client.post("/console/places", data={
        "committee_id": str(committee_id), "name": "停车场", "kind": "public",
        "grid_area": "x" * 101, "csrf_token": _csrf(page.text)})  # fmt: skip
    assert _alert(by_hand.text) == "网格：最多100个字"
    headers = token_for(database, _admin(database))
    for bad in ({"name": "停\x01车场"}, {"name": "停车场", "grid_area": "网\x00格"}):
        body = {"committee_id": committee_id, "kind": "public", **bad}
        made = client.post("/api/v1/places", headers=headers, json=body)
        assert made.status_code == 422, bad
    assert _names(database) == ["7栋"]
