"""`linli demo load`: the simulator's residents, a demo committee and demo staff."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from bot.cli.settings import err, load_settings, out
from config.settings import Env

demo_app = typer.Typer(help="Demo data for the simulator.", no_args_is_help=True)
DEMO_RESIDENTS = ("demo-zhang", "demo-li", "demo-wang")


@demo_app.command("load")
def demo_load() -> None:
    """Create the demo residents, a demo committee with buildings, demo staff and a few hundred
    registry residents (safe to run twice)."""
    from bot.demo import data as demo_data
    from store.db import make_engine, unit_of_work
    from store.residents import users
    from store.sealing import Sealer

    settings = load_settings()
    if settings.env is Env.production:
        err.print("[red]refusing to load demo data with LINLI_ENV=production[/red]")
        raise typer.Exit(1)
    now = datetime.now(UTC)
    engine = make_engine(settings.database_url)
    out.print(f"demo data in {engine.url.render_as_string(hide_password=True)}")
    with unit_of_work(engine) as session:
        for openid in DEMO_RESIDENTS:
            if users.get(session, openid) is None:
                users.seen(session, openid, now, event="subscribe", own_message=False)
        accounts = demo_data.load(session, now)
        sealer = Sealer(settings.data_key, settings.previous_data_key_list)
        added = demo_data.load_residents(session, sealer, now)
    out.print(f"demo residents ready: {', '.join(DEMO_RESIDENTS)}")
    out.print(
        f"demo committee {demo_data.COMMITTEE} with buildings 1栋-6栋; console accounts "
        f"{', '.join(accounts)} (password {demo_data.ACCOUNTS[0][3]}, demo only)"
    )
    if added:
        out.print(f"registry: {added} generated residents added to {demo_data.COMMITTEE}")
    else:
        out.print(f"registry: {demo_data.COMMITTEE} already has residents; none added")
