"""store/registry/edits.py: a staff edit is checked field by field and kept or refused whole,
an ID number and date of birth corrected together go through, and each edit is audited once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from flows.masking import mask_id_card
from store.db import unit_of_work
from store.errors import Refused
from store.registry import edits
from store.registry.models import Resident, ResidentChange
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER
from tests.flows.test_identity import valid_id
from tests.resident_helpers import NOW, WOMAN, Registry, build_registry

TAGS = ("only_child", "living_alone", "disabled", "party_member", "subsistence", "entitled")


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's small registry and its staff."""
    return build_registry(database)


def _edit(registry: Registry, who: StaffUser, changes: dict[str, object],
          tags: list[str] | None = None, resident: int | None = None) -> edits.Edited:  # fmt: skip
    with unit_of_work(registry.database) as session:
        scope = scopes.of(session, who)
        return edits.edit_resident(
            session, SEALER, scope, resident or registry.woman, changes,
            actor=audit.Actor.of(who), now=NOW, tags=tags, vocabulary=TAGS,
        )  # fmt: skip


def _entries(database: Engine) -> list[AuditEntry]:
    with Session(database) as session:
        query = select(AuditEntry).where(AuditEntry.action == "resident.edit")
        return list(session.exec(query.order_by(col(AuditEntry.id))))


def test_a_mistyped_id_number_and_birth_date_are_corrected_together(registry: Registry) -> None:
    corrected = valid_id("11010519551118004")  # the day was 18, not 08
    edited = _edit(registry, registry.clerk, {"id_card": corrected, "birth_date": "1955-11-18"})
    assert set(edited.changed) == {"id_card", "birth_date"}
    with Session(registry.database) as session:
        person = session.get(Resident, registry.woman)
        assert person is not None and person.birth_date == date(1955, 11, 18)
        assert SEALER.open(person.id_card_sealed or "") == corrected
        changes = session.exec(select(ResidentChange).where(
            ResidentChange.resident_id == registry.woman, ResidentChange.source_kind == "staff",
        )).all()  # fmt: skip
        assert {c.field for c in changes} == {"id_card", "birth_date"}
        assert all(c.source_detail == str(registry.clerk.id) for c in changes)
        assert corrected not in str([(c.old, c.new) for c in changes])  # masked history
    [entry] = _entries(registry.database)
    assert entry.before == {"id_card": mask_id_card(WOMAN), "birth_date": "1955-11-08"}
    assert entry.after == {"id_card": mask_id_card(corrected), "birth_date": "1955-11-18"}


def test_a_refused_edit_names_every_bad_field_and_writes_nothing(registry: Registry) -> None:
    with pytest.raises(edits.EditRefused) as refused:
        _edit(
            registry,
            registry.clerk,
            {"notes": "改了备注", "mobile": "123", "landline": "83456789", "name": None},
        )
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("mobile", "mobile_format"), ("landline", "landline_area_code"), ("name", "missing"),
    ]  # fmt: skip
    with Session(registry.database) as session:
        person = session.get(Resident, registry.woman)
        assert person is not None and person.notes == "" and person.name == "张秀英"
    assert _entries(registry.database) == []


def test_a_tag_outside_the_vocabulary_is_refused(registry: Registry) -> None:
    with pytest.raises(edits.EditRefused) as refused:
        _edit(registry, registry.clerk, {}, tags=["vip"])
    assert refused.value.field == "tags"


def test_nothing_different_is_no_change_and_no_audit(registry: Registry) -> None:
    edited = _edit(registry, registry.clerk, {"name": "张秀英", "gender": "female"},
                   tags=["party_member"])  # fmt: skip
    assert edited.changed == ()
    assert _entries(registry.database) == []


def test_a_clerk_of_another_committee_cannot_edit(registry: Registry) -> None:
    with pytest.raises(Refused) as refused:
        _edit(registry, registry.stranger, {"name": "改名"})
    assert refused.value.code == "resident_unknown"
    assert _entries(registry.database) == []
