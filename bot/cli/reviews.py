"""`linli reviews …`: a one-off run of the review planner the scheduler otherwise runs hourly."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

import typer

from bot.cli.settings import err, load_settings

reviews_app = typer.Typer(help="Annual reviews (年审).", no_args_is_help=True)


@reviews_app.command("plan")
def plan(
    today: Annotated[
        str | None,
        typer.Option(help="Plan as on this local day, YYYY-MM-DD (at 08:00); default now."),
    ] = None,
) -> None:
    """Create the day's review records, queue their reminders (the worker sends them), remind
    tomorrow's visits and mark missed ones; safe to run again."""
    from bot.reviews.jobs import run_once
    from config.content import load_content
    from store.db import make_engine
    from store.types import utcnow

    settings = load_settings()
    now = utcnow()
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError as exc:
            err.print(f"[red]--today[/red] {today!r} is not a day written YYYY-MM-DD")
            raise typer.Exit(2) from exc
        now = datetime.combine(day, time(8), settings.tz)
    content = load_content(settings.content_dir)
    run = run_once(make_engine(settings.database_url), content, settings.tz, now)
    p = run.planned
    stages = ", ".join(f"{key} {n}" for key, n in p.by_stage.items() if n) or "none"
    typer.echo(
        f"reviews planned for {now.astimezone(settings.tz):%Y-%m-%d %H:%M}: {p.created} records "
        f"created, {p.reminders} reminders queued ({stages}), {p.reminded} due → reminded, "
        f"{p.overdue} overdue, {p.moved_away} moved away; {run.visit_reminders} visit "
        f"reminders, {run.no_shows} no-shows"
    )
