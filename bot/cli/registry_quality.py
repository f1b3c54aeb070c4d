"""`linli registry quality`: the data-quality report of a committee's residents, counted per kind
on screen and, with --output, every line in an XLSX (numbers masked)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.settings import load_settings, out

registry_app = typer.Typer(help="The residents registry.", no_args_is_help=True)


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
        from bot.registry.quality_sheet import write_sheet

        write_sheet(output, registry, lines)
        out.print(f"report: {output} ({len(lines)} rows)")
