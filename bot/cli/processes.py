"""`linli worker` and `linli scheduler`: the long-running processes beside the web app."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import typer

from bot.cli.settings import load_settings


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT, so a process finishes its current step and exits."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _process_parts() -> tuple[Any, Any, Any]:
    """Settings, content and a small database pool for a worker or scheduler process."""
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


def scheduler(
    tick_seconds: float = typer.Option(5.0, help="Seconds between delivery ticks."),
) -> None:
    """Run the scheduler (exactly one runs; a second waits for the first to stop)."""
    from bot.processes.jobs import scheduled_jobs
    from bot.processes.leader import sole_scheduler

    settings, content, database = _process_parts()

    async def main() -> None:
        stop = _stop_on_signals()
        async with (
            sole_scheduler(database),
            scheduled_jobs(settings, database, content, tick_seconds=tick_seconds) as jobs,
        ):
            names = ", ".join(job.id for job in jobs.scheduler.get_jobs())
            typer.echo(f"scheduler running: {names}")
            await stop.wait()

    asyncio.run(main())
