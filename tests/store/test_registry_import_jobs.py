"""An import as staff run it: flagged values land on their own residents, decisions made page by
page add up, a stopped process's import ends, a status changes once, the sheet is kept private."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.content import load_content
from config.registry_content import RegistryContent
from flows.identity import born_on
from store.db import unit_of_work
from store.errors import Refused
from store.registry import import_files, import_jobs
from store.registry.import_models import RegistryImport, ResidentFlag
from store.registry.models import Resident
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import AuditEntry, StaffUser
from tests.chat import SEALER
from tests.report_helpers import COMMITTEE, Neighbourhood
from tests.staff_helpers import create_staff
from tests.store.test_registry_import import NOW, person, write_xlsx


@pytest.fixture
def registry(content_dir: Path) -> RegistryContent:
    return load_content(content_dir).registry


def _wrong_check_digit(id_card: str) -> str:
    return id_card[:17] + ("0" if id_card[17] != "0" else "1")


def _upload(database: Engine, staff: StaffUser, place: Neighbourhood, sheet: Path, media: Path,
            registry: RegistryContent, *, name: str | None = None) -> int:  # fmt: skip
    """An uploaded sheet, planned: the import's id."""
    with unit_of_work(database) as session:
        record = import_jobs.upload(
            session, scopes.of(session, staff), actor=audit.Actor.of(staff),
            committee_id=place.committee_id, file_name=name or sheet.name,
            raw=sheet.read_bytes(), media_dir=media, now=NOW,
        )  # fmt: skip
        import_jobs.plan(session, SEALER, record, content=registry, media_dir=media, now=NOW)
        return record.id or 0


def _decide(database: Engine, staff: StaffUser, import_id: int, *, accept: list[int],
            shown: list[int], registry: RegistryContent, media: Path) -> None:  # fmt: skip
    with unit_of_work(database) as session:
        record = session.get(RegistryImport, import_id)
        assert record
        import_jobs.decide(session, actor=audit.Actor.of(staff), record=record, mapping={},
                           accept=accept, buildings=[], shown=shown, now=NOW)  # fmt: skip
        import_jobs.plan(session, SEALER, record, content=registry, media_dir=media, now=NOW)


def _apply(database: Engine, staff: StaffUser, import_id: int, registry: RegistryContent,
           media: Path) -> dict[str, int]:  # fmt: skip
    with unit_of_work(database) as session:
        record = session.get(RegistryImport, import_id)
        assert record
        import_jobs.start(session, actor=audit.Actor.of(staff), record=record, now=NOW)
        return import_jobs.apply(session, SEALER, record, content=registry, media_dir=media,
                                 actor=audit.Actor.of(staff), now=NOW).counts  # fmt: skip


def _actions(database: Engine, action: str) -> list[AuditEntry]:
    with Session(database) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_two_namesakes_accepted_as_flagged_keep_their_own_id_numbers(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    clerk = create_staff(database, "clerk", committee=COMMITTEE)
    rows = [person(0), person(2)]
    for row in rows:
        row[1], row[3] = "张伟", _wrong_check_digit(str(row[3]))
    sheet = write_xlsx(tmp_path / "s.xlsx", rows)
    import_id = _upload(database, clerk, place, sheet, tmp_path, registry)
    _decide(database, clerk, import_id, accept=[3, 4], shown=[3, 4], registry=registry,
            media=tmp_path)  # fmt: skip
    assert _apply(database, clerk, import_id, registry, tmp_path)["new"] == 2
    with Session(database) as session:
        for row in rows:
            [resident] = session.exec(select(Resident).where(
                Resident.mobile_hash == SEALER.lookup_hash(str(row[5])))).all()  # fmt: skip
            assert SEALER.open(resident.id_card_sealed or "") == row[3]
        flags = session.exec(select(ResidentFlag)).all()
    assert sorted(f.accepted_by or 0 for f in flags) == [clerk.id, clerk.id]


def test_an_accepted_date_that_cannot_be_read_stays_on_its_flag_and_the_import_applies(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    clerk = create_staff(database, "clerk", committee=COMMITTEE)
    unreadable, wrong_both = person(0), person(1)
    unreadable[4] = "1940年13月"
    wrong_both[3], wrong_both[4] = _wrong_check_digit(str(wrong_both[3])), "1941/2/30"
    sheet = write_xlsx(tmp_path / "s.xlsx", [unreadable, wrong_both])
    import_id = _upload(database, clerk, place, sheet, tmp_path, registry)
    _decide(database, clerk, import_id, accept=[3, 4], shown=[3, 4], registry=registry,
            media=tmp_path)  # fmt: skip
    assert _apply(database, clerk, import_id, registry, tmp_path)["new"] == 2
    with Session(database) as session:
        people = {r.name: r for r in session.exec(select(Resident))}
        first, second = people[str(unreadable[1])], people[str(wrong_both[1])]
        # The ID number is valid: the date it carries; it is not: no date at all.
        assert first.birth_date == born_on(str(unreadable[3])) and second.birth_date is None
        given = {(f.resident_id, f.field): (f.reason, f.given)
                 for f in session.exec(select(ResidentFlag))}  # fmt: skip
    assert given[(first.id, "birth_date")] == ("date_format", "1940年13月")
    assert given[(second.id, "birth_date")] == ("date_format", "1941/2/30")
    assert given[(second.id, "id_card")] == ("id_card_check_digit", None)


def test_acceptances_made_page_by_page_add_up_each_with_who_ticked_it(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    uploader = create_staff(database, "clerk", committee=COMMITTEE)
    checker = create_staff(database, "checker", committee=COMMITTEE)
    rows = [person(i) for i in range(3)]
    for row in rows:
        row[3] = _wrong_check_digit(str(row[3]))
    sheet = write_xlsx(tmp_path / "s.xlsx", rows)
    import_id = _upload(database, uploader, place, sheet, tmp_path, registry)
    # The checker ticks line 3 on one page, then line 5 on another (line 4 shown, not ticked).
    _decide(database, checker, import_id, accept=[3], shown=[3], registry=registry,
            media=tmp_path)  # fmt: skip
    _decide(database, checker, import_id, accept=[5], shown=[4, 5], registry=registry,
            media=tmp_path)  # fmt: skip
    # The uploader unticks line 5 and ticks it again: still the checker's acceptance.
    _decide(database, uploader, import_id, accept=[5], shown=[5], registry=registry,
            media=tmp_path)  # fmt: skip
    with Session(database) as session:
        record = session.get(RegistryImport, import_id)
        assert record and record.decisions["accept"] == [3, 5]
        assert record.counts["invalid"] == 1
    _apply(database, uploader, import_id, registry, tmp_path)
    with Session(database) as session:
        flags = session.exec(select(ResidentFlag)).all()
    assert [f.accepted_by for f in flags] == [checker.id, checker.id]


def test_an_import_left_applying_or_planning_by_a_stopped_process_fails_and_its_sheet_goes(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    clerk = create_staff(database, "clerk", committee=COMMITTEE)
    sheet = write_xlsx(tmp_path / "s.xlsx", [person(0)])
    media = tmp_path / "media"
    applying = _upload(database, clerk, place, sheet, media, registry)
    with unit_of_work(database) as session:
        record = session.get(RegistryImport, applying)
        assert record
        import_jobs.start(session, actor=audit.Actor.of(clerk), record=record, now=NOW)
    with unit_of_work(database) as session:  # uploaded; its dry run never ran
        planning = import_jobs.upload(
            session, scopes.of(session, clerk), actor=audit.Actor.of(clerk),
            committee_id=place.committee_id, file_name="t.xlsx", raw=sheet.read_bytes(),
            media_dir=media, now=NOW,
        ).id  # fmt: skip
    assert len(list(import_files.folder(media).iterdir())) == 3  # two sheets, one dry run
    assert import_jobs.sweep_now(database, media, NOW + timedelta(minutes=59)) == 0
    assert import_jobs.sweep_now(database, media, NOW + timedelta(hours=2)) == 2
    with Session(database) as session:
        for import_id in (applying, planning):
            record = session.get(RegistryImport, import_id)
            assert record and record.status == "failed"
            assert record.sheet_removed_at is not None
    assert list(import_files.folder(media).iterdir()) == []
    assert [e.actor for e in _actions(database, "registry_import.abandon")] == ["system"] * 2


def test_a_second_start_or_a_late_cancel_of_the_same_import_is_refused(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    clerk = create_staff(database, "clerk", committee=COMMITTEE)
    sheet = write_xlsx(tmp_path / "s.xlsx", [person(0)])
    import_id = _upload(database, clerk, place, sheet, tmp_path, registry)
    actor = audit.Actor.of(clerk)
    # A double click: the second request read the import while it was still planned.
    with Session(database) as reader:
        late = reader.get(RegistryImport, import_id)
        assert late and late.status == "planned"
    with unit_of_work(database) as session:
        record = session.get(RegistryImport, import_id)
        assert record
        import_jobs.start(session, actor=actor, record=record, now=NOW)
    with unit_of_work(database) as session:
        with pytest.raises(Refused) as refused:
            import_jobs.start(session, actor=actor, record=late, now=NOW)
        assert refused.value.code == "applied"
        with pytest.raises(Refused) as refused:
            import_jobs.cancel(session, actor=actor, record=late, media_dir=tmp_path, now=NOW)
        assert refused.value.code == "applied"
    assert len(_actions(database, "registry_import.apply")) == 1
    assert _actions(database, "registry_import.cancel") == []
    with Session(database) as session:
        record = session.get(RegistryImport, import_id)
        assert record and record.status == "applying"


def test_the_stored_sheet_and_dry_run_are_private_and_the_file_name_is_masked(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    clerk = create_staff(database, "clerk", committee=COMMITTEE)
    sheet = write_xlsx(tmp_path / "s.xlsx", [person(0)])
    media = tmp_path / "media"
    import_id = _upload(database, clerk, place, sheet, media, registry,
                        name="张伟13912345678.xlsx")  # fmt: skip
    files = list(import_files.folder(media).iterdir())
    assert len(files) == 2 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    with Session(database) as session:
        record = session.get(RegistryImport, import_id)
        assert record and "13912345678" not in record.file_name
        assert record.file_name.startswith("张伟") and record.file_name.endswith(".xlsx")
    [uploaded] = _actions(database, "registry_import.upload")
    assert "13912345678" not in str(uploaded.after)
