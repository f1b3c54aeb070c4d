"""`linli registry quality`: the data-quality report of a committee's residents, counted per kind
on screen and, with --output, every line in an XLSX (numbers masked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.settings import load_settings, out

if TYPE_CHECKING:
    from config.registry_content import RegistryContent
    from store.registry.quality import Line

registry_app = typer.Typer(help="The residents registry.", no_args_is_help=True)


def detail_text(registry: RegistryContent, kind: str, detail: str) -> str:
    """A finding's detail in the committee's words."""
    rules = registry.quality
    if kind in ("missing", "placeholder"):
        value = rules.dwelling if detail == "dwelling" else registry.fields.get(detail, detail)
    elif kind == "unconfirmed" and not detail:
        value = rules.never_confirmed
    else:
        value = detail
    return rules.details[kind].replace("{value}", value)


def write_sheet(path: Path, registry: RegistryContent, lines: Sequence[Line]) -> None:
    """The report's lines in one sheet, headed in the committee's words; numbers masked."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from bot.web.sheet_cells import keep_as_text
    from config.registry_quality import COLUMNS

    rules = registry.quality
    book = Workbook(write_only=True)
    sheet = book.create_sheet(rules.headings["sheet"])
    sheet.append([rules.headings[key] for key in COLUMNS])
    for line in lines:
        finding = line.finding
        numbers = " / ".join(number for number in (line.id_card, line.mobile) if number)
        values = [
            rules.kinds[finding.kind], finding.resident_id, line.name, numbers,
            detail_text(registry, finding.kind, finding.detail),
        ]  # fmt: skip
        cells = [WriteOnlyCell(sheet, value=value) for value in values]
        keep_as_text(cells)  # a name typed as "=…" stays text, never a formula
        sheet.append(cells)
    book.save(path)


@registry_app.command("quality")
def quality(
    committee: Annotated[str, typer.Option(help="The committee (居委会) to check.")],
    output: Annotated[
        Path | None, typer.Option(help="Write every finding to this XLSX (numbers masked).")
    ] = None,
) -> None:
    """Shared mobiles, placeholder values, missing fields, implausible ages, stale details."""
    from rich.table import Table

    from config.content import load_content
    from config.registry_quality import KINDS
    from store.db import make_engine, unit_of_work
    from store.registry import quality as report
    from store.sealing import Sealer
    from store.staff import accounts

    settings = load_settings()
    registry = load_content(settings.content_dir).registry
    sealer = Sealer(settings.data_key, settings.previous_data_key_list)
    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        found = accounts.committees_named(session, committee)
        if len(found) != 1:
            problem = "no committee" if not found else "several committees"
            typer.echo(f"refused: committee: {problem} named {committee}", err=True)
            raise typer.Exit(1)
        findings = report.findings(
            session, sealer, committee_id=found[0].id or 0, rules=registry.quality,
            now=datetime.now(UTC),
        )  # fmt: skip
        lines = report.lines(session, sealer, findings) if output is not None else []
    counts = Counter(finding.kind for finding in findings)
    table = Table(title=f"{committee}: {len(findings)}")
    table.add_column(registry.quality.headings["kind"])
    table.add_column(registry.quality.headings["count"], justify="right")
    for kind in KINDS:
        table.add_row(registry.quality.kinds[kind], str(counts[kind]))
    out.print(table)
    if output is not None:
        write_sheet(output, registry, lines)
        out.print(f"report: {output} ({len(lines)} rows)")
