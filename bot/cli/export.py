"""`linli export PROFILE`: residents in a profile of registry_exports.yaml (XLSX or CSV), masked
unless --full with a --reason (audited); and `linli registry compare`: this year's census sheet
against the registry, written as an XLSX for staff to check (nothing is imported)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.settings import load_settings, out

if TYPE_CHECKING:
    from sqlmodel import Session


def _committee_id(session: Session, name: str) -> int:
    """The id of the one committee of this name; exits with the reason otherwise."""
    from store.staff.accounts import committees_named

    found = committees_named(session, name)
    if len(found) != 1:
        problem = "no committee" if not found else "several committees"
        typer.echo(f"refused: committee: {problem} named {name}", err=True)
        raise typer.Exit(1)
    return found[0].id or 0


def export(
    profile: Annotated[str, typer.Argument(help="A profile of registry_exports.yaml.")],
    committee: Annotated[
        str | None, typer.Option(help="Only this committee (居委会); default: every one.")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    output: Annotated[Path | None, typer.Option(help="The file to write.")] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Full ID and phone numbers (needs --reason; audited).")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why the full numbers are needed.")] = "",
) -> None:
    """Export residents in a profile (花名册, 老年人名单 …), numbers masked unless --full."""
    from bot.web.export_sheets import write_export
    from config.content import load_content
    from store.db import make_engine, unit_of_work
    from store.errors import Refused
    from store.registry.exports import everything
    from store.sealing import Sealer
    from store.staff import audit

    settings = load_settings()
    content = load_content(settings.content_dir)
    if profile not in content.registry_exports.profiles:
        known = ", ".join(content.registry_exports.profiles)
        typer.echo(f"refused: profile: not one of {known}", err=True)
        raise typer.Exit(1)
    target = output or Path(f"{profile}-{datetime.now(settings.tz):%Y%m%d}.{file_format}")
    sealer = Sealer(settings.data_key, settings.previous_data_key_list)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            committee_id = None if committee is None else _committee_id(session, committee)
            count = write_export(
                session, sealer, content, profile=profile, path=target, file_format=file_format,
                scope=everything(session), actor=audit.CLI, committee_id=committee_id,
                full=full, why=reason, now=datetime.now(UTC), tz=settings.tz,
            )  # fmt: skip
    except Refused as refused:
        target.unlink(missing_ok=True)
        typer.echo(f"refused: {refused.field}: {refused.reason}", err=True)
        raise typer.Exit(1) from refused
    shown = "full numbers" if full else "numbers masked"
    out.print(f"exported {count} residents ({shown}): {target}")


def compare(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV sheet.")],
    committee: Annotated[str, typer.Option(help="The committee (居委会) to compare with.")],
    output: Annotated[Path | None, typer.Option(help="Write the comparison to this XLSX.")] = None,
) -> None:
    """Compare this year's census sheet with the registry: new, gone, changed, invalid."""
    from bot.web.census_sheet import write_comparison
    from config.content import load_content
    from store.db import make_engine, unit_of_work
    from store.errors import Refused
    from store.registry.census import compare as compare_sheet
    from store.sealing import Sealer

    settings = load_settings()
    content = load_content(settings.content_dir)
    sealer = Sealer(settings.data_key, settings.previous_data_key_list)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            result = compare_sheet(
                session, sealer, committee_id=_committee_id(session, committee), path=file,
                content=content.registry, today=datetime.now(settings.tz).date(),
            )  # fmt: skip
    except Refused as refused:
        typer.echo(f"refused: {refused.field}: {refused.reason}", err=True)
        raise typer.Exit(1) from refused
    sheets = content.registry_exports.comparison.sheets
    counts = result.counts
    out.print(" · ".join(f"{sheets[k]} [bold]{counts[k]}[/bold]" for k in sheets))
    if output is not None:
        write_comparison(output, content, result, settings.tz)
        out.print(f"comparison: {output}")
