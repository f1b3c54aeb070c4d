"""`linli import residents`: a residents sheet planned (--dry-run) or applied, with a report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.settings import load_settings, out

if TYPE_CHECKING:
    from config.registry_content import RegistryContent

import_app = typer.Typer(help="Import data from spreadsheets.", no_args_is_help=True)


def _mapping(pairs: list[str]) -> dict[str, str]:
    """--map 'heading=field' options as {heading: field}."""
    mapping = {}
    for pair in pairs:
        heading, _, field = pair.partition("=")
        if not heading.strip() or not _:
            typer.echo(f"refused: map: {pair} is not heading=field", err=True)
            raise typer.Exit(1)
        mapping[heading.strip()] = field.strip()
    return mapping


def _map_hint(file: Path, content: RegistryContent, mapping: dict[str, str]) -> str:
    """Which --map options read the sheet's 姓名 and 身份证号 columns, and the headings to pick."""
    from store.registry.sheet import headings_of

    headings = headings_of(file, content.imports.columns, mapping)
    options = " ".join(f"--map 'HEADING={field}'" for field in headings.missing)
    names = ", ".join(name for name in headings.names if name) or "none"
    return f"give {options} with HEADING one of the sheet's headings: {names}"


@import_app.command("residents")
def residents(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV sheet.")],
    committee: Annotated[str, typer.Option(help="The committee (居委会) the residents belong to.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only; write nothing.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write every row that is not unchanged to this XLSX.")
    ] = None,
    accept: Annotated[
        list[int] | None, typer.Option(help="Keep this line's flagged values as given (repeat).")
    ] = None,
    accept_all_flagged: Annotated[
        bool, typer.Option("--accept-all-flagged", help="Keep every flagged value as given.")
    ] = False,
    create_building: Annotated[
        list[str] | None, typer.Option(help="Create this building if it is missing (repeat).")
    ] = None,
    map_heading: Annotated[
        list[str] | None, typer.Option("--map", help="Read a heading as a field: 'heading=field'.")
    ] = None,
) -> None:
    """Import a residents sheet: counts new, changed, unchanged, conflicting and invalid rows."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from bot.web.import_sheets import write_report
    from config.content import load_content
    from store.db import make_engine, unit_of_work
    from store.errors import Refused
    from store.registry import import_jobs
    from store.registry.imports import ImportOptions, run_import
    from store.sealing import Sealer
    from store.staff.accounts import committees_named
    from store.staff.audit import CLI

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
                count = lambda done: bar.advance(task, done)  # noqa: E731
                now, committee_id = datetime.now(UTC), found[0].id or 0
                decisions = {"accept": accept or [], "buildings": create_building or [],
                             "accept_all": accept_all_flagged}  # fmt: skip
                if dry_run:
                    options = ImportOptions(
                        mapping=_mapping(map_heading or []), accept=frozenset(accept or ()),
                        accept_all=accept_all_flagged, new_buildings=tuple(create_building or ()),
                    )  # fmt: skip
                    result = run_import(session, sealer, committee_id=committee_id, path=file,
                                        content=content, apply=False, now=now, progress=count,
                                        options=options)  # fmt: skip
                else:  # the console's path: recorded, started, applied, each audited alike
                    record = import_jobs.register(session, actor=CLI, committee_id=committee_id,
                                                  path=file, mapping=_mapping(map_heading or []),
                                                  decisions=decisions, now=now)  # fmt: skip
                    import_jobs.start(session, actor=CLI, record=record, now=now)
                    result = import_jobs.apply(session, sealer, record, content=content,
                                               media_dir=settings.media_dir, actor=CLI, now=now,
                                               progress=count)  # fmt: skip
    except Refused as refused:
        typer.echo(f"refused: {refused.field}: {refused.reason}", err=True)
        if refused.code == "columns":
            typer.echo(_map_hint(file, content, _mapping(map_heading or [])), err=True)
        raise typer.Exit(1) from refused
    words = content.imports.outcomes
    counts = " · ".join(f"{words[k]} [bold]{n}[/bold]" for k, n in result.counts.items())
    out.print(("dry run, nothing written: " if dry_run else "imported: ") + counts)
    if result.ignored_headings:
        out.print("headings not read: " + ", ".join(result.ignored_headings))
    for name, rows in result.unknown_buildings.items():
        out.print(f"unknown building {name} ({rows} rows): --create-building {name} creates it")
    if report is not None:
        write_report(result.rows, content, report)
        out.print(f"report: {report} ({len(result.rows)} rows)")


@import_app.command("template")
def template(
    output: Annotated[Path, typer.Option(help="Where to write the blank XLSX template.")],
    committee: Annotated[
        str | None, typer.Option(help="Offer this committee's buildings in a drop-down.")
    ] = None,
) -> None:
    """Write a blank residents sheet with the preset headings and drop-downs for coded columns."""
    from bot.web.import_sheets import write_template
    from config.content import load_content
    from store.db import make_engine, unit_of_work
    from store.registry.checks import committee_buildings
    from store.staff.accounts import committees_named

    settings = load_settings()
    content = load_content(settings.content_dir).registry
    buildings: list[str] = []
    if committee is not None:
        with unit_of_work(make_engine(settings.database_url)) as session:
            found = committees_named(session, committee)
            if len(found) != 1:
                typer.echo(f"refused: committee: no single committee named {committee}", err=True)
                raise typer.Exit(1)
            buildings = [p.name for p in committee_buildings(session, found[0].id or 0)]
    write_template(content, buildings, str(output))
    out.print(f"template: {output}")
