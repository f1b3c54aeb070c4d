"""PATCH /api/v1/residents/{id}: staff correct a resident through the API with the same checks
and audit as the console; a bad value is named with its reason and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from store.registry.models import Resident
from store.staff.models import AuditEntry
from tests.resident_helpers import WOMAN, WOMAN_MOBILE, Registry, build_registry
from tests.staff_helpers import token_for


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's small registry and its staff."""
    return build_registry(database)


def _patch(registry: Registry, who: str, body: object, resident: int | None = None) -> object:
    person = {"clerk": registry.clerk, "west": registry.stranger, "grid": registry.worker}[who]
    client = TestClient(registry.app)
    return client.patch(f"/api/v1/residents/{resident or registry.woman}", json=body,
                        headers=token_for(registry.database, person))  # fmt: skip


def _edits(database: Engine) -> list[AuditEntry]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == "resident.edit")))


def test_a_clerk_changes_the_mobile_and_tags_and_the_answer_is_masked(registry: Registry) -> None:
    answer = _patch(registry, "clerk", {"mobile": "13911112222", "tags": ["living_alone"],
                                        "notes": None})  # fmt: skip
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["mobile"] == "139****2222" and "13911112222" not in answer.text  # type: ignore[attr-defined]
    assert [tag["code"] for tag in body["tags"]] == ["living_alone"]
    latest = body["history"][-1]
    assert (latest["field"], latest["source"], latest["source_detail"]) == (
        "tags", "staff", str(registry.clerk.id))  # fmt: skip
    mobile = [c for c in body["history"] if c["field"] == "mobile"][-1]
    assert (mobile["old"], mobile["new"], mobile["source_name"]) == (
        "138****5678", "139****2222", "工作人员")  # fmt: skip
    [entry] = _edits(registry.database)
    assert entry.after == {"mobile": "139****2222", "tags": ["living_alone"]}


def test_every_bad_value_is_named_and_nothing_is_written(registry: Registry) -> None:
    wrong = WOMAN[:17] + ("1" if WOMAN[17] != "1" else "2")
    answer = _patch(registry, "clerk", {"name": "新名字", "id_card": wrong, "mobile": "12345"})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    problems = sorted(answer.json()["detail"], key=lambda p: p["field"])  # type: ignore[attr-defined]
    assert problems == [
        {"field": "id_card", "reason": "id_card_check_digit"},
        {"field": "mobile", "reason": "mobile_format"},
    ]
    with Session(registry.database) as session:
        kept = session.get(Resident, registry.woman)
        assert kept is not None and kept.name == "张秀英"
    assert _edits(registry.database) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": None}, "name"), ({"tags": ["vip"]}, "tags"), ({"household_id": 2}, "household_id"),
     ({"gender": "x"}, "gender"), ({"birth_date": "1970-01-01"}, "birth_date")],
)  # fmt: skip
def test_a_refused_field_answers_422_naming_it(
    registry: Registry, body: dict[str, object], field: str
) -> None:
    answer = _patch(registry, "clerk", body)
    assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
    assert field in [p["field"] for p in answer.json()["detail"]]  # type: ignore[attr-defined]
    assert _edits(registry.database) == []


def test_another_committee_gets_404_and_changes_nothing(registry: Registry) -> None:
    answer = _patch(registry, "west", {"name": "改名", "mobile": "13911112222"})
    assert answer.status_code == 404  # type: ignore[attr-defined]
    assert WOMAN_MOBILE not in answer.text  # type: ignore[attr-defined]
    with Session(registry.database) as session:
        kept = session.get(Resident, registry.woman)
        assert kept is not None and kept.name == "张秀英"
    assert _edits(registry.database) == []
