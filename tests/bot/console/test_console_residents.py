"""Staff find residents in the console, read where each detail came from, correct them (a bad
value is explained by its field and what was typed stays), reveal a number with a reason, and
see nothing of another committee."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.registry import search
from store.registry.models import Resident
from store.staff.models import AuditEntry
from tests.chat import SEALER
from tests.resident_helpers import (
    MAN_MOBILE,
    WOMAN,
    WOMAN_MOBILE,
    Registry,
    build_registry,
    csrf,
)


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's small registry and its staff."""
    return build_registry(database)


def _names(page: str) -> list[str]:
    import re

    return re.findall(r'<a href="/console/residents/\d+">([^<]+)</a>', page)


def _entries(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.exec(query.order_by(col(AuditEntry.id))).all())


def test_search_finds_by_part_of_the_name_by_exact_mobile_and_by_building(
    registry: Registry,
) -> None:
    clerk = registry.client("clerk")
    everyone = clerk.get("/console/residents").text
    assert _names(everyone) == ["张秀英", "王建国", "张小明"]
    assert "共找到 3 位居民" in everyone
    assert WOMAN_MOBILE not in everyone and "138****5678" in everyone  # masked in the list
    assert "55岁以上女性" in everyone and "党员" in everyone  # cohort and tag in words
    assert _names(clerk.get("/console/residents", params={"name": "秀英"}).text) == ["张秀英"]
    by_mobile = clerk.get("/console/residents", params={"mobile": MAN_MOBILE}).text
    assert _names(by_mobile) == ["王建国"]
    by_id = clerk.get("/console/residents", params={"id_card": WOMAN}).text
    assert _names(by_id) == ["张秀英"] and WOMAN not in by_id.replace(f'value="{WOMAN}"', "")
    in_3 = clerk.get("/console/residents", params={"place_id": str(registry.building)}).text
    assert _names(in_3) == ["张秀英", "王建国"] and "3栋 2 301" in in_3
    tagged = clerk.get("/console/residents", params={"tag": "party_member"}).text
    assert _names(tagged) == ["张秀英"]
    young = clerk.get("/console/residents", params={"max_age": "20"}).text
    assert _names(young) == ["张小明"]


def test_a_search_matching_more_than_it_counts_says_so_and_asks_to_narrow_it(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A district's 王 are tens of thousands: counting stops at search.COUNT_UP_TO (here 2).
    monkeypatch.setattr(search, "COUNT_UP_TO", 2)
    clerk = registry.client("clerk")
    everyone = clerk.get("/console/residents").text
    assert "找到 2 位以上居民，请加上楼栋、年龄等条件缩小范围" in everyone
    assert _names(everyone) == ["张秀英", "王建国", "张小明"]  # the page itself is whole
    assert "共找到 2 位居民" in clerk.get("/console/residents", params={"name": "张"}).text


def test_a_bad_age_is_named_and_kept_and_the_rest_still_searches(registry: Registry) -> None:
    page = registry.client("clerk").get(
        "/console/residents", params={"name": "张", "min_age": "六十"}
    )
    assert page.status_code == 200
    assert "年龄请填写 0 到 150 之间的整数" in page.text and 'value="六十"' in page.text
    assert _names(page.text) == ["张秀英", "张小明"]


def test_detail_shows_every_field_with_its_source_and_the_history(registry: Registry) -> None:
    page = registry.client("clerk").get(f"/console/residents/{registry.woman}").text
    assert "<h1>张秀英</h1>" in page
    assert "来源：导入（2025年人口普查.xlsx 第7行）" in page
    assert "2026-11-30 11:00" in page  # set at NOW, shown in the committee's time zone
    assert "110105*******0040"[:6] in page and WOMAN not in page and WOMAN_MOBILE not in page
    assert "138****5678" in page and "常住" in page and "户主" in page
    assert "变更记录" in page and "身份证号" in page
    assert f'href="/console/households/{registry.household}"' in page
    assert "3栋 2 301" in page


def test_an_edit_with_a_bad_id_number_shows_the_reason_and_keeps_what_was_typed(
    registry: Registry,
) -> None:
    clerk = registry.client("clerk")
    url = f"/console/residents/{registry.woman}/edit"
    form = clerk.get(url).text
    assert WOMAN not in form and WOMAN_MOBILE not in form  # the form never holds them in full
    wrong = WOMAN[:17] + ("1" if WOMAN[17] != "1" else "2")
    answer = clerk.post(url, data={
        "csrf_token": csrf(form), "name": "张秀英（改）", "gender": "female",
        "birth_date": "1955-11-08", "id_card": wrong, "relation_to_head": "head",
        "residence_status": "resident", "notes": "女儿每周来", "tags": ["party_member"],
    })  # fmt: skip
    assert answer.status_code == 200
    assert "身份证号校验位不对，可能有数字抄错" in answer.text
    assert f'value="{wrong}"' in answer.text and 'value="张秀英（改）"' in answer.text
    assert "女儿每周来" in answer.text
    with Session(registry.database) as session:
        kept = session.get(Resident, registry.woman)
        assert kept is not None and kept.name == "张秀英" and kept.notes == ""
    assert _entries(registry.database, "resident.edit") == []


def test_a_good_edit_is_audited_and_shows_staff_as_the_source(registry: Registry) -> None:
    clerk = registry.client("clerk")
    url = f"/console/residents/{registry.woman}/edit"
    form = clerk.get(url).text
    answer = clerk.post(url, data={
        "csrf_token": csrf(form), "name": "张秀英", "gender": "female",
        "birth_date": "1955-11-08", "mobile": "139 1111 2222", "relation_to_head": "head",
        "residence_status": "resident", "notes": "独居，女儿每周来",
        "tags": ["party_member", "living_alone"],
    })  # fmt: skip
    assert answer.status_code == 200 and "已保存。" in answer.text
    assert "来源：工作人员（clerk）" in answer.text
    assert "139****2222" in answer.text and "13911112222" not in answer.text
    assert "独居老人" in answer.text
    [entry] = _entries(registry.database, "resident.edit")
    assert entry.actor == "clerk" and entry.object_id == str(registry.woman)
    assert entry.before == {"mobile": "138****5678", "notes": "", "tags": ["party_member"]}
    assert entry.after == {"mobile": "139****2222", "notes": "独居，女儿每周来",
                           "tags": ["living_alone", "party_member"]}  # fmt: skip
    with Session(registry.database) as session:
        saved = session.get(Resident, registry.woman)
        assert saved is not None and SEALER.open(saved.mobile_sealed or "") == "13911112222"
    again = clerk.post(url, data={
        "csrf_token": csrf(form), "name": "张秀英", "gender": "female",
        "birth_date": "1955-11-08", "relation_to_head": "head", "residence_status": "resident",
        "notes": "独居，女儿每周来", "tags": ["party_member", "living_alone"],
    })  # fmt: skip
    assert "没有改动" in again.text  # a blank number field leaves the number as it is
    assert len(_entries(registry.database, "resident.edit")) == 1


def test_reveal_needs_a_reason_and_is_audited(registry: Registry) -> None:
    clerk = registry.client("clerk")
    page = clerk.get(f"/console/residents/{registry.woman}").text
    url = f"/console/residents/{registry.woman}/reveal"
    blank = clerk.post(url, data={"csrf_token": csrf(page), "field": "mobile", "why": "  "})
    assert blank.status_code == 200 and "请写明为什么要查看完整号码" in blank.text
    assert WOMAN_MOBILE not in blank.text and _entries(registry.database, "resident.reveal") == []
    shown = clerk.post(url, data={"csrf_token": csrf(page), "field": "mobile",
                                  "why": "上门核实，电话确认"})  # fmt: skip
    assert shown.status_code == 200 and WOMAN_MOBILE in shown.text
    assert "已连同原因记入操作日志" in shown.text
    [entry] = _entries(registry.database, "resident.reveal")
    assert entry.actor == "clerk" and entry.after == {
        "field": "mobile",
        "why": "上门核实，电话确认",
    }


def test_a_grid_worker_sees_no_reveal_form_and_is_refused(registry: Registry) -> None:
    worker = registry.client("grid")
    page = worker.get(f"/console/residents/{registry.woman}").text
    assert "查看完整号码" not in page
    token = csrf(page)
    refused = worker.post(
        f"/console/residents/{registry.woman}/reveal",
        data={"csrf_token": token, "field": "mobile", "why": "想看"},
    )
    assert refused.status_code == 403 and WOMAN_MOBILE not in refused.text
    assert "您的角色不能查看完整号码" in refused.text


def test_another_committee_finds_nothing_and_gets_404(registry: Registry) -> None:
    west = registry.client("west")
    assert _names(west.get("/console/residents").text) == []
    by_mobile = west.get("/console/residents", params={"mobile": WOMAN_MOBILE}).text
    assert _names(by_mobile) == []
    token = csrf(west.get("/console/residents").text)
    for url in (f"/console/residents/{registry.woman}", f"/console/residents/{registry.woman}/edit",
                f"/console/households/{registry.household}"):  # fmt: skip
        answer = west.get(url)
        assert answer.status_code == 404 and "张秀英" not in answer.text, url
    for url, data in ((f"/console/residents/{registry.woman}/reveal",
                       {"field": "mobile", "why": "核实"}),
                      (f"/console/residents/{registry.woman}/edit", {"name": "改名"})):  # fmt: skip
        answer = west.post(url, data={"csrf_token": token, **data})
        assert answer.status_code == 404 and WOMAN_MOBILE not in answer.text, url
    assert _entries(registry.database, "resident.reveal") == []
    assert _entries(registry.database, "resident.edit") == []


def test_the_household_shows_its_head_members_and_home(registry: Registry) -> None:
    page = registry.client("grid").get(f"/console/households/{registry.household}").text
    assert "户籍户 HH-0001" in page and "3栋 2 301" in page
    assert _names(page) == ["张秀英", "张秀英", "王建国"]  # the head, then each member
    assert "配偶" in page and "139****4321" in page and MAN_MOBILE not in page


def test_the_quality_report_counts_each_kind_links_residents_and_downloads(
    registry: Registry,
) -> None:
    clerk = registry.client("clerk")
    page = clerk.get("/console/registry/quality").text
    assert "数据质量" in page and "必填项缺失" in page
    assert "缺少住址（楼栋房号）" in page  # 张小明 lives nowhere yet
    assert f'href="/console/residents/{registry.boy}"' in page
    sheet = clerk.get("/console/registry/quality.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("问题", "居民编号", "姓名", "身份证号 / 手机（已遮盖）", "说明")
    assert ("必填项缺失", registry.boy, "张小明") in [r[:3] for r in rows]
    assert WOMAN not in str(rows)


def _with_notes(registry: Registry, notes: str) -> None:
    with Session(registry.database) as session:
        resident = session.get(Resident, registry.woman)
        assert resident is not None
        resident.notes = notes
        session.add(resident)
        session.commit()


def test_a_grid_worker_sees_the_notes_masked_and_cannot_overwrite_them(
    registry: Registry,
) -> None:
    _with_notes(registry, "女儿电话13912345678")
    worker = registry.client("grid")
    url = f"/console/residents/{registry.woman}/edit"
    form = worker.get(url).text
    assert "13912345678" not in form and "女儿电话139****5678" in form
    assert 'name="notes"' not in form and "您的岗位只能查看备注" in form
    # Whatever the form sends as notes, the stored ones stay as they are.
    answer = worker.post(url, data={
        "csrf_token": csrf(form), "name": "张秀英（改）", "gender": "female",
        "birth_date": "1955-11-08", "relation_to_head": "head",
        "residence_status": "resident", "notes": "女儿电话139****5678",
        "tags": ["party_member"],
    })  # fmt: skip
    assert answer.status_code == 200 and "已保存。" in answer.text
    with Session(registry.database) as session:
        saved = session.get(Resident, registry.woman)
        assert saved is not None and saved.name == "张秀英(改)"
        assert saved.notes == "女儿电话13912345678"
    [entry] = _entries(registry.database, "resident.edit")
    assert "notes" not in entry.after


def test_a_clerk_edits_the_whole_notes(registry: Registry) -> None:
    _with_notes(registry, "女儿电话13912345678")
    clerk = registry.client("clerk")
    url = f"/console/residents/{registry.woman}/edit"
    form = clerk.get(url).text
    assert 'name="notes" rows="3" maxlength="2000">女儿电话13912345678</textarea>' in form
    answer = clerk.post(url, data={
        "csrf_token": csrf(form), "name": "张秀英", "gender": "female",
        "birth_date": "1955-11-08", "relation_to_head": "head",
        "residence_status": "resident", "notes": "女儿电话13987654321",
        "tags": ["party_member"],
    })  # fmt: skip
    assert answer.status_code == 200 and "已保存。" in answer.text
    assert "13987654321" not in answer.text  # the resident's page masks them again
    with Session(registry.database) as session:
        saved = session.get(Resident, registry.woman)
        assert saved is not None and saved.notes == "女儿电话13987654321"
