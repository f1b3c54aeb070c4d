"""`linli reports …`: one-off runs of the report jobs the scheduler otherwise runs."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.settings import load_settings

reports_app = typer.Typer(help="Issue reports (报事).", no_args_is_help=True)


@reports_app.command("fetch-media")
def fetch_media() -> None:
    """Copy the report photos that are due from WeChat to the media directory, then exit."""
    from bot.reports.photos import photo_fetcher
    from store.db import make_engine

    settings = load_settings()
    database = make_engine(settings.database_url)

    async def main() -> dict[str, int]:
        async with photo_fetcher(settings, database) as fetcher:
            return dict(await fetcher.run_until_idle())

    tally = asyncio.run(main())
    typer.echo(
        f"report photos: {tally.get('stored', 0)} stored, {tally.get('retry', 0)} to retry, "
        f"{tally.get('failed', 0)} failed (in {settings.media_dir})"
    )
