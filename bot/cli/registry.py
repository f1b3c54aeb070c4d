"""`linli import residents`: a residents sheet planned (--dry-run) or applied, with a report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.settings import load_settings, out

if TYPE_CHECKING:
    from config.registry_content import RegistryContent
    from store.registry.imports import ImportResult, RowOutcome

import_app = typer.Typer(help="Import data from spreadsheets.", no_args_is_help=True)


def write_report(result: ImportResult, content: RegistryContent, path: Path) -> None:
    """An XLSX of every row that is not unchanged: line, outcome, reason, name, masked ID."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from bot.web.sheet_cells import keep_as_text

    words = content.imports
    book = Workbook(write_only=True)
    sheet = book.create_sheet(words.report["sheet"])
    sheet.append([words.report[k] for k in ("line", "outcome", "reason", "name", "id_card")])
    for row in result.rows:
        values = (row.line, words.outcomes[row.outcome], reason_words(row, content), row.name,
                  row.id_card)  # fmt: skip
        cells = [WriteOnlyCell(sheet, value=value) for value in values]
        keep_as_text(cells)
        sheet.append(cells)
    book.save(path)


def reason_words(row: RowOutcome, content: RegistryContent) -> str:
    """Why a row came to its outcome, in words: the reason, and the fields it concerns."""
    words = content.imports.reasons.get(row.reason) or content.reason(row.reason)
    named = [_field_words(field, content) for field in row.fields]
    return f"{words}（{'、'.join(named)}）" if named else words


def _field_words(field: str, content: RegistryContent) -> str:
    """A field as staff name it: its words, or the sheet heading it is read from."""
    columns = content.imports.columns
    if field in content.fields:
        return content.fields[field]
    if field == "dwelling":
        return "/".join(columns.building[:1] + columns.unit[:1] + columns.room[:1])
    headings = getattr(columns, field, ())
    return headings[0] if headings else field


@import_app.command("residents")
def residents(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV sheet.")],
    committee: Annotated[str, typer.Option(help="The committee (居委会) the residents belong to.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only; write nothing.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write every row that is not unchanged to this XLSX.")
    ] = None,
) -> None:
    """Import a residents sheet: counts new, changed, unchanged, conflicting and invalid rows."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from config.content import load_content
    from store.db import make_engine, unit_of_work
    from store.errors import Refused
    from store.registry.imports import run_import
    from store.sealing import Sealer
    from store.staff.accounts import committees_named

    settings = load_settings()
    content = load_content(settings.content_dir).registry
    sealer = Sealer(settings.data_key, settings.previous_data_key_list)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            found = committees_named(session, committee)
            if len(found) != 1:
                problem = "no committee" if not found else "several committees"
                typer.echo(f"refused: committee: {problem} named {committee}", err=True)
                raise typer.Exit(1)
            with Progress(SpinnerColumn(), TextColumn("{task.completed} rows"),
                          console=out, transient=True) as bar:  # fmt: skip
                task = bar.add_task("import", total=None)
                result = run_import(
                    session, sealer, committee_id=found[0].id or 0, path=file, content=content,
                    apply=not dry_run, now=datetime.now(UTC),
                    progress=lambda done: bar.advance(task, done),
                )  # fmt: skip
    except Refused as refused:
        typer.echo(f"refused: {refused.field}: {refused.reason}", err=True)
        raise typer.Exit(1) from refused
    words = content.imports.outcomes
    counts = " · ".join(f"{words[k]} [bold]{n}[/bold]" for k, n in result.counts.items())
    out.print(("dry run, nothing written: " if dry_run else "imported: ") + counts)
    if result.ignored_headings:
        out.print("headings not read: " + ", ".join(result.ignored_headings))
    if report is not None:
        write_report(result, content, report)
        out.print(f"report: {report} ({len(result.rows)} rows)")
