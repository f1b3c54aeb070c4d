"""Staff import a residents sheet in the console: upload, dry run, choices, apply, conflicts."""

from __future__ import annotations

import io
import os
import re
import time
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.main import create_app
from config.content import load_content
from store.db import unit_of_work
from store.places.models import Place
from store.registry import import_files, import_jobs
from store.registry.history import Source
from store.registry.import_models import RegistryImport, ResidentFlag
from store.registry.models import Resident
from store.registry.residents import find_by_id_card, update_field
from store.staff import scope as scopes
from store.staff.audit import CLI
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER, settings_for
from tests.report_helpers import COMMITTEE, Neighbourhood
from tests.staff_helpers import NOW, PASSWORD, create_staff
from tests.store.test_registry_import import bad_rows, person, write_xlsx


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _signed_in(database: Engine, tmp_path: Path, username: str = "clerk",
               role: str = "committee_staff") -> TestClient:  # fmt: skip
    create_staff(database, username, role=role, committee=COMMITTEE)
    app = create_app(settings_for(database, media_dir=tmp_path / "media"), database=database)
    client = TestClient(app)
    form = client.get("/console/login").text
    signing_in = {"username": username, "password": PASSWORD, "csrf_token": _csrf(form)}
    client.post("/console/login", data=signing_in)
    return client


def _upload(client: TestClient, committee_id: int, sheet: Path) -> str:
    page = client.get("/console/registry/import")
    answer = client.post(
        "/console/registry/import",
        data={"csrf_token": _csrf(page.text), "committee_id": str(committee_id)},
        files={"file": (sheet.name, sheet.read_bytes())},
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def _tallies(page: str) -> dict[str, int]:
    return {w: int(n) for w, n in re.findall(r'class="tally">(\S+) <strong>(\d+)</strong>', page)}


def test_a_clerk_imports_a_sheet_then_fixes_the_conflict_an_older_sheet_leaves(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    rows = [person(i) for i in range(6)] + bad_rows(person(0))
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "2025.xlsx", rows))
    assert _tallies(dry) == {"新增": 6, "有变化": 0, "无变化": 0, "有冲突": 0, "无效": 5}
    assert "身份证号校验位不对，可能有数字抄错（身份证号）" in dry
    assert "9栋" in dry and "创建楼栋" in dry  # the unknown building is offered, not guessed
    assert str(rows[0][3]) not in dry  # ID numbers masked
    run = re.search(r'action="(/console/registry/import/\d+)/apply"', dry)
    assert run
    report = client.get(f"{run.group(1)}/report.xlsx")
    lines = list(
        load_workbook(io.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert lines[0] == ("行号", "结果", "原因", "姓名", "身份证号") and len(lines) == 1 + 11

    # Accept the row with the wrong check digit, and create 9栋.
    replanned = client.post(f"{run.group(1)}/plan", data={
        "csrf_token": _csrf(dry), "accept": ["9"], "building": ["9栋"]})  # fmt: skip
    assert _tallies(replanned.text) == {"新增": 8, "有变化": 0, "无变化": 0, "有冲突": 0,
                                        "无效": 3}  # fmt: skip
    applied = client.post(f"{run.group(1)}/apply", data={"csrf_token": _csrf(dry)})
    assert "已导入" in applied.text
    assert _tallies(applied.text)["新增"] == 8
    with Session(database) as session:
        assert session.exec(select(Place).where(Place.name == "9栋")).one()
        [flag] = session.exec(select(ResidentFlag)).all()
        assert (flag.field, flag.reason) == ("id_card", "id_card_check_digit")
        actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"registry_import.upload", "registry_import.decide", "registry_import.apply",
            "place.create"} <= actions  # fmt: skip

    # A staff edit after the sheet: the same sheet again leaves a conflict to decide.
    with unit_of_work(database) as session:
        [edited] = find_by_id_card(session, SEALER, place.committee_id, str(rows[1][3]))
        update_field(session, SEALER, committee_id=place.committee_id, resident_id=edited.id or 0,
                     field="mobile", value="13512345678", source=Source.staff(1),
                     now=NOW + timedelta(days=1))  # fmt: skip
    again = _upload(client, place.committee_id, write_xlsx(tmp_path / "2025.xlsx", rows))
    run = re.search(r'action="(/console/registry/import/\d+)/apply"', again)
    assert run and _tallies(again)["有冲突"] == 1
    done = client.post(f"{run.group(1)}/apply", data={"csrf_token": _csrf(again)})
    assert "处理导入冲突" in done.text
    conflicts = client.get(f"/console/registry/conflicts?committee_id={place.committee_id}")
    assert "还有 1 条冲突等待处理" in conflicts.text
    assert "135****5678" in conflicts.text and "139****0001" in conflicts.text
    assert "13512345678" not in conflicts.text
    decision = re.search(r'action="(/console/registry/conflicts/\d+)"', conflicts.text)
    assert decision
    taken = client.post(decision.group(1), data={"csrf_token": _csrf(conflicts.text),
                                                 "decision": "take"})  # fmt: skip
    assert "已采用表格里的信息" in taken.text and "还有 0 条冲突等待处理" in taken.text
    with Session(database) as session:
        resident = session.get(Resident, edited.id)
        assert resident and SEALER.open(resident.mobile_sealed or "") == "13900000001"
        assert session.exec(select(AuditEntry).where(
            AuditEntry.action == "registry_conflict.take")).one()  # fmt: skip


def test_an_unknown_heading_is_mapped_and_a_wrong_file_is_refused_in_words(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    wrong = tmp_path / "notes.txt"
    wrong.write_text("姓名", encoding="utf-8")
    refused = _upload(client, place.committee_id, wrong)
    assert "只能上传 .xlsx 或 .csv 文件" in refused
    sheet = tmp_path / "s.csv"
    sheet.write_text(f"姓名,身份证号,联系方式\n张三,{person(1)[3]},13912345678\n", encoding="utf-8")
    dry = _upload(client, place.committee_id, sheet)
    assert "联系方式" in dry and "忽略" in dry
    run = re.search(r'action="(/console/registry/import/\d+)/plan"', dry)
    assert run
    client.post(f"{run.group(1)}/plan", data={
        "csrf_token": _csrf(dry), "heading": ["联系方式"], "field": ["mobile"]})  # fmt: skip
    client.post(f"{run.group(1)}/apply", data={"csrf_token": _csrf(dry)})
    with Session(database) as session:
        [resident] = session.exec(select(Resident)).all()
        assert SEALER.open(resident.mobile_sealed or "") == "13912345678"


def test_a_grid_worker_or_a_stranger_finds_nothing_to_import(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path, "li", role="grid_worker")
    assert client.get("/console/registry/import").status_code == 404
    assert client.get("/console/registry/import/1").status_code == 404
    assert client.get("/console/registry/conflicts").status_code == 404


def _run_of(page: str) -> str:
    found = re.search(r'action="(/console/registry/import/\d+)/(?:apply|plan|cancel)"', page)
    assert found
    return found.group(1)


def _kept(tmp_path: Path) -> list[str]:
    """The files the console keeps of uploaded sheets (sheets and dry-run rows)."""
    imports = tmp_path / "media" / "imports"
    return sorted(p.name for p in imports.iterdir()) if imports.exists() else []


def test_the_uploaded_sheet_is_deleted_once_the_import_is_applied_or_fails(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    rows = [person(i) for i in range(3)]
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "a.xlsx", rows))
    run = _run_of(dry)
    # While it waits: the sheet (with its ID numbers in clear) and the dry run's rows.
    assert len(_kept(tmp_path)) == 2
    assert "上传的表格和试算明细已删除" not in dry
    applied = client.post(f"{run}/apply", data={"csrf_token": _csrf(dry)})
    assert "状态：<strong>已导入</strong>" in applied.text
    assert "上传的表格和试算明细已删除，系统不再保存" in applied.text
    assert _kept(tmp_path) == []

    # A sheet that breaks while it is written: nothing imported, and nothing kept either.
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "b.xlsx", [person(5)]))
    [stored] = [name for name in _kept(tmp_path) if name.endswith(".xlsx")]
    (tmp_path / "media" / "imports" / stored).write_bytes(b"not a sheet any more")
    failed = client.post(f"{_run_of(dry)}/apply", data={"csrf_token": _csrf(dry)})
    assert "导入没有完成，什么也没有写入" in failed.text
    assert "上传的表格和试算明细已删除" in failed.text
    assert _kept(tmp_path) == []


def test_staff_cancel_an_import_and_its_sheet_is_deleted(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "a.xlsx", [person(1)]))
    run = _run_of(dry)
    assert "取消这次导入" in dry
    cancelled = client.post(f"{run}/cancel", data={"csrf_token": _csrf(dry)})
    assert "状态：<strong>已取消</strong>" in cancelled.text
    assert "这次导入已取消，什么也没有写入" in cancelled.text
    assert "上传的表格和试算明细已删除" in cancelled.text
    assert "确认导入" not in cancelled.text and "取消这次导入" not in cancelled.text
    assert _kept(tmp_path) == []
    late = client.post(f"{run}/apply", data={"csrf_token": _csrf(dry)})
    assert "这次导入已经开始或已完成，不能再修改" in late.text
    with Session(database) as session:
        assert session.exec(select(Resident)).all() == []
        assert session.exec(
            select(AuditEntry).where(AuditEntry.action == "registry_import.cancel")
        ).one()


def test_a_sheet_left_unapplied_for_a_day_is_deleted_by_the_sweep(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "a.xlsx", [person(1)]))
    run = _run_of(dry)
    media, imports = tmp_path / "media", tmp_path / "media" / "imports"
    # A stray file no import owns (an upload whose transaction failed), written two days ago,
    # and one written a moment ago (an upload still being committed).
    stray, fresh = imports / "0123abcd.xlsx", imports / "4567cdef.csv"
    stray.write_bytes(b"x")
    fresh.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stray, (two_days_ago, two_days_ago))
    with Session(database) as session:
        uploaded = session.exec(select(RegistryImport)).one().created_at
    # After 23 hours the import still waits; the old stray file goes, the fresh one stays.
    assert import_jobs.sweep_now(database, media, uploaded + timedelta(hours=23)) == 0
    assert stray.name not in _kept(tmp_path) and len(_kept(tmp_path)) == 3
    assert "确认导入" in client.get(run).text
    assert import_jobs.sweep_now(database, media, uploaded + timedelta(hours=25)) == 1
    assert _kept(tmp_path) == [fresh.name]
    page = client.get(run).text
    assert "状态：<strong>已过期（超过一天未导入）</strong>" in page
    assert "上传的表格和试算明细已删除" in page and "确认导入" not in page
    with Session(database) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "registry_import.expire")
        ).one()
        assert entry.actor == "system"


def test_a_sheet_without_name_or_id_headings_is_kept_for_staff_to_map(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    sheet = tmp_path / "s.csv"
    sheet.write_text(f"名字,证件号码,电话\n张三,{person(1)[3]},13912345678\n", encoding="utf-8")
    step = _upload(client, place.committee_id, sheet)
    assert "表格里没有认出“姓名、身份证号”所在的列" in step
    assert "“姓名”在哪一列" in step and "“身份证号”在哪一列" in step
    assert "确认导入" not in step  # nothing to apply until both are chosen
    run = _run_of(step)
    # As the page posts it: the headings list first (all "ignore"), then the two required.
    chosen = client.post(f"{run}/plan", data={
        "csrf_token": _csrf(step), "heading": ["名字", "证件号码", "电话", "名字", "证件号码"],
        "field": ["", "", "mobile", "name", "id_card"]})  # fmt: skip
    assert _tallies(chosen.text)["新增"] == 1
    assert "所在的列" not in chosen.text
    client.post(f"{run}/apply", data={"csrf_token": _csrf(chosen.text)})
    with Session(database) as session:
        [resident] = session.exec(select(Resident)).all()
        assert resident.name == "张三"
        assert SEALER.open(resident.mobile_sealed or "") == "13912345678"


def test_a_large_sheet_is_planned_after_the_answer_and_the_page_follows_it(
    database: Engine, place: Neighbourhood, tmp_path: Path, content_dir: Path
) -> None:
    client = _signed_in(database, tmp_path)
    media = tmp_path / "media"
    registry = load_content(content_dir).registry
    sheet = write_xlsx(tmp_path / "a.xlsx", [person(i) for i in range(3)])
    # Uploaded as the console does it, its dry run not run yet: the page says it is coming.
    waiting = []
    with unit_of_work(database) as session:
        clerk = session.exec(select(StaffUser).where(StaffUser.username == "clerk")).one()
        for name in ("a.xlsx", "b.xlsx"):
            record = import_jobs.upload(
                session, scopes.of(session, clerk), actor=CLI, committee_id=place.committee_id,
                file_name=name, raw=sheet.read_bytes(), media_dir=media, now=NOW,
            )  # fmt: skip
            waiting.append(record.id or 0)
    page = client.get(f"/console/registry/import/{waiting[0]}").text
    assert "状态：<strong>正在试算</strong>" in page and "正在试算：已读 0 行" in page
    assert 'http-equiv="refresh"' in page and "确认导入" not in page
    # Staff cancel the second while it is planned: it stays cancelled, nothing is kept.
    client.post(f"/console/registry/import/{waiting[1]}/cancel", data={"csrf_token": _csrf(page)})
    for import_id in waiting:
        import_jobs.plan_in_background(database, SEALER, import_id, content=registry,
                                       media_dir=media, now=NOW)  # fmt: skip
    planned = client.get(f"/console/registry/import/{waiting[0]}").text
    assert _tallies(planned)["新增"] == 3 and "确认导入" in planned
    cancelled = client.get(f"/console/registry/import/{waiting[1]}").text
    assert "状态：<strong>已取消</strong>" in cancelled
    assert len(_kept(tmp_path)) == 2  # the first one's sheet and rows only


def test_a_sheet_that_cannot_be_read_fails_in_words_and_is_not_kept(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    broken = tmp_path / "坏表.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    page = _upload(client, place.committee_id, broken)
    assert "状态：<strong>导入失败</strong>" in page
    assert "没有处理：无法读取这个表格，文件可能已损坏" in page
    assert _kept(tmp_path) == []


def test_rows_accepted_on_one_page_stay_accepted_when_another_page_is_ticked(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    rows = [person(i) for i in range(import_files.PAGE + 1)]
    for row in rows:
        row[3] = str(row[3])[:17] + ("0" if str(row[3])[17] != "0" else "1")
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "s.xlsx", rows))
    run = re.search(r'action="(/console/registry/import/\d+)/plan"', dry)
    assert run and _tallies(dry)["无效"] == len(rows)
    # Page 1: accept its first row (line 3). Page 2 holds the last row, line 53.
    first = re.findall(r'name="shown" value="(\d+)"', dry)
    assert first == [str(line) for line in range(3, 3 + import_files.PAGE)]
    client.post(f"{run.group(1)}/plan", data={"csrf_token": _csrf(dry), "accept": ["3"],
                                              "shown": first})  # fmt: skip
    second = client.get(f"{run.group(1)}?page=2").text
    shown = re.findall(r'name="shown" value="(\d+)"', second)
    assert shown == ["53"]
    replanned = client.post(f"{run.group(1)}/plan", data={
        "csrf_token": _csrf(second), "accept": ["53"], "shown": shown}).text  # fmt: skip
    assert _tallies(replanned)["新增"] == 2  # both lines 3 and 53 accepted
    assert _tallies(replanned)["无效"] == len(rows) - 2


def test_a_conflict_is_shown_in_the_committees_words_with_its_source(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    rows = [person(0)]
    rows[0][11] = "人户一致"
    sheet = write_xlsx(tmp_path / "普查13912345678.xlsx", rows)
    dry = _upload(client, place.committee_id, sheet)
    assert "13912345678" not in dry and "139****5678" in dry  # the file name masked
    run = re.search(r'action="(/console/registry/import/\d+)/apply"', dry)
    assert run
    client.post(f"{run.group(1)}/apply", data={"csrf_token": _csrf(dry)})
    with unit_of_work(database) as session:
        [resident] = find_by_id_card(session, SEALER, place.committee_id, str(rows[0][3]))
        update_field(session, SEALER, committee_id=place.committee_id,
                     resident_id=resident.id or 0, field="hukou_status", value="away",
                     source=Source.staff(1), now=NOW + timedelta(days=1))  # fmt: skip
    again = _upload(client, place.committee_id, sheet)
    run = re.search(r'action="(/console/registry/import/\d+)/apply"', again)
    assert run
    client.post(f"{run.group(1)}/apply", data={"csrf_token": _csrf(again)})
    page = client.get(f"/console/registry/conflicts?committee_id={place.committee_id}").text
    assert "人在户不在" in page and "人户一致" in page
    assert ">away<" not in page and ">consistent<" not in page
    assert "导入（普查139****5678.xlsx 第3行）" in page
    assert "13912345678" not in page


def test_a_date_that_cannot_be_read_says_what_accepting_it_does_and_then_applies(
    database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    client = _signed_in(database, tmp_path)
    rows = [person(0)]
    rows[0][4] = "1941/2/30"
    dry = _upload(client, place.committee_id, write_xlsx(tmp_path / "s.xlsx", rows))
    assert "出生日期写法无法识别：原文只记在标记上，出生日期按身份证号填写" in dry
    run = re.search(r'action="(/console/registry/import/\d+)/plan"', dry)
    assert run
    client.post(f"{run.group(1)}/plan", data={"csrf_token": _csrf(dry), "accept": ["3"],
                                              "shown": ["3"]})  # fmt: skip
    applied = client.post(f"{run.group(1)}/apply", data={"csrf_token": _csrf(dry)})
    assert "已导入" in applied.text and _tallies(applied.text)["新增"] == 1
    with Session(database) as session:
        [flag] = session.exec(select(ResidentFlag)).all()
        assert (flag.field, flag.given) == ("birth_date", "1941/2/30")
