"""`linli worker` and `linli outbox …`: deliver the outbox, and list who could not be reached."""

from __future__ import annotations

import asyncio
import csv
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

outbox_app = typer.Typer(help="Outbound messages.", no_args_is_help=True)


class SheetFormat(StrEnum):
    """Formats the call list can be written in."""

    xlsx = "xlsx"
    csv = "csv"


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT, so a process finishes its current step and exits."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _process_parts() -> tuple[Any, Any, Any]:
    """Settings, content and a small database pool for a worker or scheduler process."""
    from bot.cli import load_settings
    from config.content import load_content
    from store.db import make_engine

    settings = load_settings()
    return (
        settings,
        load_content(settings.content_dir),
        make_engine(settings.database_url, pool_size=4),
    )


def worker(
    once: bool = typer.Option(False, help="Deliver what is due now, then exit."),
    idle_seconds: float = typer.Option(1.0, help="Rest this long when nothing is due."),
) -> None:
    """Run the delivery worker (any number may run side by side)."""
    from bot.delivery.runtime import delivery_worker

    settings, content, database = _process_parts()

    async def main() -> None:
        stop = _stop_on_signals()
        async with delivery_worker(settings, database, content) as delivery:
            if once:
                while await delivery.tick():
                    pass
            else:
                await delivery.run(stop, idle_seconds=idle_seconds)

    asyncio.run(main())


@outbox_app.command("unreachable")
def unreachable(
    sheet_format: Annotated[
        SheetFormat, typer.Option("--format", help="xlsx or csv.")
    ] = SheetFormat.xlsx,
    output: Annotated[
        Path | None, typer.Option(help="File to write (default: 呼叫名单.<format>).")
    ] = None,
) -> None:
    """Write the call list: residents WeChat could not reach, with why, to phone or visit."""
    from bot.cli import load_settings
    from bot.sheet_cells import csv_row, keep_as_text
    from config.content import load_content
    from store import call_list
    from store.db import make_engine, unit_of_work

    settings = load_settings()
    wording = load_content(settings.content_dir).notifications.call_list
    with unit_of_work(make_engine(settings.database_url)) as session:
        rows = call_list.rows(session)
    target = output or Path(f"{wording.sheet_title}.{sheet_format.value}")
    cells = [
        row.cells(settings.tz, reason=wording.reason(row.reason, row.error_code)) for row in rows
    ]
    if sheet_format is SheetFormat.csv:
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(wording.headers)
            # Message text staff or residents wrote ("=…") reaches the sheet as text.
            writer.writerows(csv_row(row) for row in cells)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = wording.sheet_title
        sheet.append(wording.headers)
        for row in cells:
            sheet.append(row)
            keep_as_text(sheet[sheet.max_row])
        book.save(target)
    typer.echo(f"{len(rows)} unreachable message(s) written to {target}", file=sys.stdout)


def scheduler(
    tick_seconds: float = typer.Option(5.0, help="Seconds between delivery ticks."),
) -> None:
    """Run the scheduler (exactly one runs; a second waits for the first to stop)."""
    from bot.delivery.runtime import delivery_worker
    from bot.leader import sole_scheduler
    from bot.media import PhotoFetcher
    from bot.scheduler import build_scheduler, inbound_retention, report_planner

    settings, content, database = _process_parts()

    async def main() -> None:
        stop = _stop_on_signals()
        async with sole_scheduler(database), delivery_worker(settings, database, content) as w:
            photos = PhotoFetcher(database=database, api=w.api, media_dir=settings.media_dir)
            jobs = build_scheduler(
                timezone=settings.tz,
                delivery_tick=w.tick,
                fetch_media=photos.tick,
                report_planning=report_planner(database, content),
                retention=inbound_retention(database, settings.raw_retention_days),
                tick_seconds=tick_seconds,
            )
            jobs.start()
            typer.echo(f"scheduler running: {', '.join(j.id for j in jobs.get_jobs())}")
            await stop.wait()
            jobs.shutdown(wait=False)

    asyncio.run(main())


@outbox_app.command("send")
def send(
    to: Annotated[str, typer.Option(help="The resident's openid.")],
    text: Annotated[str, typer.Option(help="What to say.")],
    kind: Annotated[
        str, typer.Option(help="Kind of message (notifications.yaml).")
    ] = "staff_reply",
) -> None:
    """Queue a message to one resident (delivered by the worker)."""
    import secrets
    from datetime import UTC, datetime

    from bot.cli import load_settings
    from store import outbox
    from store.db import make_engine, unit_of_work

    settings = load_settings()
    with unit_of_work(make_engine(settings.database_url)) as session:
        message_id = outbox.enqueue(
            session,
            key=f"cli:{secrets.token_hex(8)}",
            audience=outbox.RESIDENT,
            recipient=to,
            kind=kind,
            payload={"text": text},
            now=datetime.now(UTC),
        )
    typer.echo(f"queued outbox message {message_id}")
