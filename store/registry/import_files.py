"""An import's files: the uploaded sheet and its dry-run rows, owner-only, beside each other."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from store.registry.import_models import RegistryImport
from store.registry.imports import RowOutcome

PAGE = 50  # dry-run rows a page shows


def folder(media_dir: Path) -> Path:
    """Where uploaded sheets are kept."""
    return media_dir / "imports"


def path_of(record: RegistryImport, media_dir: Path) -> Path:
    """The stored sheet (a command-line import names its file by absolute path, kept as it is)."""
    return folder(media_dir) / record.stored_name


def plan_file(record: RegistryImport, media_dir: Path) -> Path:
    """Where an import's dry-run rows are kept for paging."""
    return folder(media_dir) / f"{record.id}.plan.jsonl"


def private(path: Path) -> int:
    """A file descriptor for writing `path` afresh, readable by its owner alone (it holds
    names, ID numbers and mobiles in clear)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)


def uploaded(record: RegistryImport) -> bool:
    """Whether the sheet is a copy Linli keeps (an upload), not a command-line file of its own."""
    return not Path(record.stored_name).is_absolute()


def write_plan(record: RegistryImport, media_dir: Path, rows: Iterable[RowOutcome]) -> None:
    """Keep a dry run's rows (numbers masked) beside the sheet, for paging and the report."""
    with os.fdopen(private(plan_file(record, media_dir)), "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(dataclasses.asdict(row), ensure_ascii=False) + "\n")


def planned_rows(record: RegistryImport, media_dir: Path) -> Iterator[RowOutcome]:
    """The rows of the latest dry run that are not unchanged, in sheet order."""
    path = plan_file(record, media_dir)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as rows:
        for line in rows:
            data = json.loads(line)
            yield RowOutcome(**{**data, "fields": tuple(data["fields"]),
                                "flags": tuple(data.get("flags", ()))})  # fmt: skip


def page_of(record: RegistryImport, media_dir: Path, page: int) -> list[RowOutcome]:
    """One page of the latest dry run's rows."""
    start = (max(page, 1) - 1) * PAGE
    rows = enumerate(planned_rows(record, media_dir))
    return [row for i, row in rows if start <= i < start + PAGE]
