"""Imports as staff run them (console and CLI alike): a sheet stored, planned with staff's
decisions (headings mapped, flagged rows accepted, buildings to create), then applied with
its progress recorded, its conflicts kept for staff and its accepted flags written.

The apply is one transaction, so a failed import writes nothing; while it runs, its progress
is counted in this process (other connections cannot see an uncommitted row) and stored when
it ends.

An uploaded sheet holds names, ID numbers and mobiles in clear, and the dry run's rows file
holds names: both are deleted once the import is applied (or fails), cancelled, or left
unapplied for a day (`sweep`, run by the scheduler and at each upload); an import left planning
or applying by a process that stopped fails after an hour, its files deleted too.

Every change of an import's status reads the row locked (`_locked`), so a double click, or a
cancel racing an apply, is refused rather than run twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.registry_content import ImportColumns, RegistryContent
from flows.masking import mask_numbers_in
from store.db import unit_of_work
from store.errors import Refused
from store.places import service as places
from store.registry import conflicts, flags
from store.registry.checks import CheckedRow
from store.registry.history import Source
from store.registry.import_files import folder, path_of, plan_file, private, uploaded, write_plan
from store.registry.import_models import RegistryImport
from store.registry.imports import ImportOptions, ImportResult, RowOutcome, run_import
from store.registry.models import Resident
from store.registry.sheet import headings_of
from store.sealing import Sealer
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from store.staff.scope import Scope

MAX_BYTES = 50 * 1024 * 1024  # a 100,000-row XLSX is about 10 MB
SUFFIXES = (".xlsx", ".csv")
KEEP_UNAPPLIED = timedelta(hours=24)  # how long an uploaded sheet waits to be applied
WAITING = ("planning", "planned")  # statuses whose sheet is still needed
RUNNING = ("planning", "applying")  # statuses a process is working on
STALLED = timedelta(hours=1)  # running with no progress here this long: its process stopped
SWEEPER = audit.Actor(None, "system")
_running: dict[int, int] = {}  # import id → rows done, while it is applied in this process
_lock = threading.Lock()
log = logging.getLogger(__name__)


def may_import(scope: Scope, committee_id: int) -> bool:
    """Committee staff and admins may import for their committees; grid workers may not."""
    return scope.allows(committee_id) and (scope.admin or scope.committee_staff)


def discard(session: Session, record: RegistryImport, media_dir: Path, now: datetime) -> None:
    """Delete an import's stored sheet and dry-run rows, and note when (the page says so).

    A command-line import reads the operator's own file where it lies: that file is left alone."""
    plan_file(record, media_dir).unlink(missing_ok=True)
    if not uploaded(record):
        return
    path_of(record, media_dir).unlink(missing_ok=True)
    if record.sheet_removed_at is None:
        record.sheet_removed_at = now
        session.add(record)
        session.flush()


def cancel(session: Session, *, actor: audit.Actor, record: RegistryImport, media_dir: Path,
           now: datetime) -> None:  # fmt: skip
    """Staff drop an import that was not applied: its sheet is deleted (audited)."""
    record = _fresh(session, record)
    if record.status not in WAITING:
        raise Refused("import", "already applied", code="applied")
    record.status = "cancelled"
    discard(session, record, media_dir, now)
    _audit(session, actor, record, "cancel", now)


def sweep(session: Session, media_dir: Path, now: datetime) -> int:
    """Delete the sheets of imports left unapplied for a day (marked "expired", audited), of
    imports a stopped process left planning or applying (marked "failed", audited) and stray
    files no waiting import owns (a sheet refused on upload); how many imports were ended."""
    cutoff = now - KEEP_UNAPPLIED
    # A row another transaction holds (an import being started or cancelled) waits for next time.
    query = select(RegistryImport).where(
        col(RegistryImport.status).in_(WAITING), RegistryImport.created_at < cutoff
    )
    expired = list(session.exec(query.with_for_update(skip_locked=True)))
    for record in expired:
        record.status = "expired"
        discard(session, record, media_dir, now)
        _audit(session, SWEEPER, record, "expire", now)
    running = select(RegistryImport).where(col(RegistryImport.status).in_(RUNNING))
    stalled = [r for r in session.exec(running.with_for_update(skip_locked=True))
               if _stalled(r, now)]  # fmt: skip
    for record in stalled:
        record.status = "failed"
        record.decisions = {**record.decisions, "problem": "interrupted"}
        discard(session, record, media_dir, now)
        _audit(session, SWEEPER, record, "abandon", now)
    kept = select(RegistryImport).where(col(RegistryImport.sheet_removed_at).is_(None))
    owned = set()
    for record in session.exec(kept):
        owned |= {record.stored_name, plan_file(record, media_dir).name}
    # Judged by the file's own age, not by `now`: a file written a moment ago may belong to an
    # upload whose transaction is not committed yet.
    stale_before = time.time() - KEEP_UNAPPLIED.total_seconds()
    if folder(media_dir).is_dir():
        for path in folder(media_dir).iterdir():
            if path.is_file() and path.name not in owned and path.stat().st_mtime < stale_before:
                path.unlink(missing_ok=True)
    return len(expired) + len(stalled)


def _stalled(record: RegistryImport, now: datetime) -> bool:
    """Whether an import planning or applying has had no progress in this process for an hour
    since it began (the process that ran it stopped: its work was rolled back)."""
    with _lock:
        if (record.id or 0) in _running:
            return False
    since = record.decisions.get("since")
    began = datetime.fromisoformat(since) if since else record.created_at
    return began < now - STALLED


def sweep_now(engine: Engine, media_dir: Path, now: datetime) -> int:
    """`sweep` in its own unit of work (the scheduler's job)."""
    with unit_of_work(engine) as session:
        return sweep(session, media_dir, now)


def upload(session: Session, scope: Scope, *, actor: audit.Actor, committee_id: int,
           file_name: str, raw: bytes, media_dir: Path,
           now: datetime) -> RegistryImport:  # fmt: skip
    """Store an uploaded sheet and record the import, its dry run to come (`plan_in_background`;
    audited); Refused for a wrong file, before anything is stored."""
    if not may_import(scope, committee_id):
        raise Refused("committee_id", "not found", code="not_found")
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused("file", "an .xlsx or .csv file is needed", code="file_type")
    if not raw:
        raise Refused("file", "the file is empty", code="empty")
    if len(raw) > MAX_BYTES:
        raise Refused("file", "the file is too large", code="too_large")
    sweep(session, media_dir, now)
    stored = f"{uuid.uuid4().hex}{suffix}"
    with os.fdopen(private(folder(media_dir) / stored), "wb") as out:
        out.write(raw)
    record = RegistryImport(committee_id=committee_id, stored_name=stored,
                            file_name=_shown_name(file_name), created_by=scope.staff_id or None,
                            status="planning", created_at=now)  # fmt: skip
    session.add(record)
    session.flush()
    _audit(session, actor, record, "upload", now)
    return record


def _shown_name(file_name: str) -> str:
    """A sheet's file name as pages, sources and the audit log show it: numbers masked."""
    return mask_numbers_in(Path(file_name).name)[:200]


def register(session: Session, *, actor: audit.Actor, committee_id: int, path: Path,
             mapping: dict[str, str], decisions: dict[str, Any],
             now: datetime) -> RegistryImport:  # fmt: skip
    """Record a command-line import of a file where it lies, with its options (audited as an
    upload is); `start` and `apply` follow as from the console."""
    record = RegistryImport(committee_id=committee_id, stored_name=str(path.resolve()),
                            file_name=_shown_name(path.name), mapping=mapping,
                            decisions=decisions, created_at=now)  # fmt: skip
    session.add(record)
    session.flush()
    _audit(session, actor, record, "upload", now)
    return record


def get(session: Session, scope: Scope, import_id: int) -> RegistryImport:
    """One import the caller may run; Refused (not found) otherwise."""
    record = session.get(RegistryImport, import_id)
    if record is None or not may_import(scope, record.committee_id):
        raise Refused("import", "not found", code="not_found")
    return record


def recent(session: Session, scope: Scope, limit: int = 20) -> list[RegistryImport]:
    """The latest imports of the caller's committees."""
    query = scope.filter(select(RegistryImport), col(RegistryImport.committee_id))
    return list(session.exec(query.order_by(col(RegistryImport.id).desc()).limit(limit)))


def options_of(record: RegistryImport, **hooks: Any) -> ImportOptions:
    """An import's options from staff's stored decisions."""
    decisions = record.decisions
    return ImportOptions(
        mapping=dict(record.mapping), accept=frozenset(decisions.get("accept", ())),
        new_buildings=tuple(decisions.get("buildings", ())),
        accept_all=bool(decisions.get("accept_all")), **hooks,
    )  # fmt: skip


def plan(session: Session, sealer: Sealer, record: RegistryImport, *, content: RegistryContent,
         media_dir: Path, now: datetime) -> ImportResult:  # fmt: skip
    """The dry run with staff's decisions: counts stored, rows kept beside the sheet for paging.

    A sheet with no heading read as 姓名 or 身份证号 is kept for staff to map them: no rows are
    planned, and decisions["missing"] names the fields still needed."""
    result, missing = _dry_run(session, sealer, record, content=content, media_dir=media_dir,
                               now=now)  # fmt: skip
    _settle(session, record, result, missing)
    return result


def plan_in_background(engine: Engine, sealer: Sealer, import_id: int, *,
                       content: RegistryContent, media_dir: Path,
                       now: datetime) -> None:  # fmt: skip
    """Plan a "planning" import after the answer is sent, so a large sheet does not hold the
    request; its rows read are counted for the page. A sheet that cannot be read fails the
    import (and is deleted); one staff cancelled meanwhile stays cancelled."""
    with _lock:
        _running.setdefault(import_id, 0)  # live here from now on (`sweep` leaves it be)
    try:
        with unit_of_work(engine) as session:
            record = session.get(RegistryImport, import_id)
            if record is None or record.status != "planning":
                return
            # Only reads: the registry compared with the sheet.
            result, missing = _dry_run(session, sealer, record, content=content,
                                       media_dir=media_dir, now=now,
                                       progress=_counter(import_id))  # fmt: skip
        with unit_of_work(engine) as session:
            record = _locked(session, import_id)
            if record is None or record.status != "planning":
                (folder(media_dir) / f"{import_id}.plan.jsonl").unlink(missing_ok=True)
                return
            _settle(session, record, result, missing)
    except Exception as failure:
        # Only the kind of failure is logged: a message could quote a cell of the sheet.
        log.warning("import %s could not be planned: %s", import_id, type(failure).__name__)
        problem = failure.code if isinstance(failure, Refused) and failure.code else "unreadable"
        with unit_of_work(engine) as session:
            record = _locked(session, import_id)
            if record is not None and record.status == "planning":
                record.status = "failed"
                record.decisions = {**record.decisions, "problem": problem}
                discard(session, record, media_dir, now)
    finally:
        with _lock:
            _running.pop(import_id, None)


def _fresh(session: Session, record: RegistryImport) -> RegistryImport:
    """The import read afresh and locked (the caller's object is refreshed too); Refused if gone."""
    locked = _locked(session, record.id or 0)
    if locked is None:
        raise Refused("import", "not found", code="not_found")
    return locked


def _locked(session: Session, import_id: int) -> RegistryImport | None:
    """An import read afresh and locked until the transaction ends (cancel may race a plan)."""
    query = select(RegistryImport).where(RegistryImport.id == import_id).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def _counter(import_id: int) -> Callable[[int], None]:
    """Counts rows read or written by this process's run of an import, for `progress`."""

    def count(rows: int) -> None:
        with _lock:
            _running[import_id] = _running.get(import_id, 0) + rows

    return count


def _dry_run(session: Session, sealer: Sealer, record: RegistryImport, *,
             content: RegistryContent, media_dir: Path, now: datetime,
             progress: Callable[[int], None] | None = None,
             ) -> tuple[ImportResult, list[str]]:  # fmt: skip
    """The dry run's result (its rows written beside the sheet) and the required fields missing."""
    path = path_of(record, media_dir)
    try:
        result = run_import(session, sealer, committee_id=record.committee_id, path=path,
                            content=content, apply=False, now=now, options=options_of(record),
                            file_name=record.file_name, progress=progress)  # fmt: skip
        missing: list[str] = []
    except Refused as refused:
        if refused.code != "columns":
            raise
        result, missing = _unmapped(path, content, record)
    except Exception as bad:  # a broken XLSX or CSV fails in many ways inside its reader
        raise Refused("file", "the sheet cannot be read", code="unreadable") from bad
    write_plan(record, media_dir, result.rows)
    return result, missing


def _settle(session: Session, record: RegistryImport, result: ImportResult,
            missing: list[str]) -> None:  # fmt: skip
    """Store a dry run's counts and findings on its import, planned now."""
    record.status = "planned"
    record.counts = dict(result.counts)
    record.rows_total = sum(result.counts.values())
    record.decisions = {**record.decisions, "unknown_headings": result.unknown_headings,
                        "unknown_buildings": result.unknown_buildings,
                        "missing": missing}  # fmt: skip
    session.add(record)
    session.flush()


def _unmapped(path: Path, content: RegistryContent,
              record: RegistryImport) -> tuple[ImportResult, list[str]]:  # fmt: skip
    """A plan of no rows for a sheet whose 姓名 or 身份证号 is not found: the headings nobody
    reads yet (every one staff may choose from), and the required fields missing."""
    try:
        headings = headings_of(path, content.imports.columns, record.mapping)
    except Refused:
        raise
    except Exception as bad:
        raise Refused("file", "the sheet cannot be read", code="unreadable") from bad
    wanted = content.imports.columns.field_of()
    chosen = {h for h, f in record.mapping.items() if f}
    unread = [h for i, h in enumerate(headings.names)
              if h and i not in headings.found and h not in wanted]  # fmt: skip
    result = ImportResult(unknown_headings=[*dict.fromkeys(unread + sorted(chosen))])
    return result, headings.missing


def decide(session: Session, *, actor: audit.Actor, record: RegistryImport,
           mapping: dict[str, str], accept: list[int], buildings: list[str], now: datetime,
           shown: Sequence[int] = ()) -> None:  # fmt: skip
    """Store staff's decisions and mark the import for planning again (audited).

    `accept` holds the lines ticked among the `shown` ones (one page of the dry run): lines
    accepted on other pages stay accepted. Each accepted line remembers who ticked it."""
    record = _fresh(session, record)
    _planned(record)
    unknown = sorted(set(mapping.values()) - {""} - set(ImportColumns.model_fields))
    if unknown:
        raise Refused("mapping", f"not a field: {unknown[0]}", code="mapping")
    before = set(record.decisions.get("accept", ()))
    accepted = sorted((before - set(shown)) | set(accept))
    earlier = record.decisions.get("accepted_by", {})
    by = {str(n): earlier.get(str(n)) if n in before else actor.staff_id for n in accepted}
    record.status = "planning"
    record.mapping = mapping
    record.decisions = {**record.decisions, "accept": accepted, "accepted_by": by,
                        "buildings": sorted(set(buildings)), "since": now.isoformat()}  # fmt: skip
    session.add(record)
    session.flush()
    _audit(session, actor, record, "decide", now)


def _planned(record: RegistryImport) -> None:
    """Refused unless the import's dry run is done and it waits for staff."""
    if record.status == "planning":
        raise Refused("import", "still planning", code="planning")
    if record.status != "planned":
        raise Refused("import", "already applied", code="applied")


def start(session: Session, *, actor: audit.Actor, record: RegistryImport, now: datetime) -> None:
    """Mark an import as being applied (audited); Refused if it was applied already, or while
    its 姓名 or 身份证号 column is not chosen."""
    record = _fresh(session, record)
    _planned(record)
    if record.decisions.get("missing"):
        raise Refused("mapping", "姓名 and 身份证号 must be mapped", code="columns")
    record.status, record.rows_done = "applying", 0
    record.decisions = {**record.decisions, "since": now.isoformat()}
    session.add(record)
    session.flush()
    _audit(session, actor, record, "apply", now)


def apply(session: Session, sealer: Sealer, record: RegistryImport, *, content: RegistryContent,
          media_dir: Path, actor: audit.Actor, now: datetime,
          progress: Callable[[int], None] | None = None) -> ImportResult:  # fmt: skip
    """Write a started import (`start`): create the buildings staff chose, write the sheet, keep
    its conflicts and accepted flags."""
    if record.status != "applying":
        raise Refused("import", "not started", code="applied")
    scope = _scope_of(session, record)
    for name in record.decisions.get("buildings", ()):
        places.save(session, scope, actor=actor, committee_id=record.committee_id,
                    kind="building", name=name, now=now)  # fmt: skip
    import_id = record.id or 0
    accepters = record.decisions.get("accepted_by", {})

    def conflict(row: CheckedRow, outcome: RowOutcome, resident: Resident) -> None:
        conflicts.record(session, sealer, import_id=import_id, committee_id=record.committee_id,
                         resident=resident, row=row, fields=outcome.fields,
                         source=Source.imported(record.file_name, row.line), now=now)  # fmt: skip

    def accepted(row: CheckedRow, resident_id: int) -> None:
        flags.keep(session, sealer, resident_id=resident_id, row=row,
                   accepted_by=accepters.get(str(row.line)),
                   source=Source.imported(record.file_name, row.line), now=now)  # fmt: skip

    counted = _counter(import_id)

    def done(rows: int) -> None:
        counted(rows)
        if progress is not None:
            progress(rows)

    with _lock:
        _running.setdefault(import_id, 0)  # live here from now on (`sweep` leaves it be)
    try:
        result = run_import(session, sealer, committee_id=record.committee_id,
                            path=path_of(record, media_dir), content=content, apply=True,
                            now=now, progress=done, file_name=record.file_name,
                            options=options_of(record, on_conflict=conflict,
                                               on_flags=accepted))  # fmt: skip
    finally:
        with _lock:
            _running.pop(import_id, None)
    record.status, record.counts, record.applied_at = "applied", dict(result.counts), now
    record.rows_total = record.rows_done = sum(result.counts.values())
    session.add(record)
    session.flush()
    discard(session, record, media_dir, now)
    return result


def apply_in_background(engine: Engine, sealer: Sealer, import_id: int, *,
                        content: RegistryContent, media_dir: Path, actor: audit.Actor,
                        now: datetime) -> None:  # fmt: skip
    """Apply an import in its own transaction (run after the answer is sent); failed if it fails."""
    try:
        with unit_of_work(engine) as session:
            record = session.get(RegistryImport, import_id)
            if record is None or record.status != "applying":
                return
            apply(session, sealer, record, content=content, media_dir=media_dir, actor=actor,
                  now=now)  # fmt: skip
    except Exception as failure:
        # Only the kind of failure is logged: a message could quote a cell of the sheet.
        log.warning("import %s failed: %s", import_id, type(failure).__name__)
        with unit_of_work(engine) as session:
            record = _locked(session, import_id)
            if record is not None:
                record.status = "failed"
                discard(session, record, media_dir, now)


def progress(record: RegistryImport) -> int:
    """Rows done so far: counted live while applying in this process, else as stored."""
    with _lock:
        return _running.get(record.id or 0, record.rows_done)


def _scope_of(session: Session, record: RegistryImport) -> Scope:
    """Who runs the import: its staff member, or (from the command line) its committee's admin."""
    staff = session.get(StaffUser, record.created_by or 0)
    if staff is not None:
        return scopes.of(session, staff)
    return Scope(0, 0, frozenset({record.committee_id}), True)


def _audit(session: Session, actor: audit.Actor, record: RegistryImport, action: str,
           now: datetime) -> None:  # fmt: skip
    decisions = {k: record.decisions.get(k) for k in ("accept", "buildings")}
    after = {"file_name": record.file_name, "status": record.status, "counts": record.counts,
             "mapping": record.mapping, "decisions": decisions}  # fmt: skip
    audit.record(session, actor=actor, action=f"registry_import.{action}",
                 object_type="registry_import", object_id=record.id,
                 committee_id=record.committee_id, now=now, after=after)  # fmt: skip
