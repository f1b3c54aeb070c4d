"""What every command needs before it works: the settings, read with a friendly error, and the
consoles it prints to. Imports no command, so command modules may import it freely."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from config.settings import DEMO_DATABASE_URL, Env, Settings

err = Console(stderr=True, soft_wrap=True)
out = Console()


def load_settings() -> Settings:
    """The settings from the environment; on a bad value, say which and exit 1."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = "LINLI_" + "_".join(str(p) for p in error["loc"]).upper()
            reason = error["msg"].removeprefix("Value error, ")
            err.print(f"[red]settings[/red] {where if error['loc'] else ''} {reason}".strip())
        raise typer.Exit(1) from exc


def refuse_demo_accounts(settings: Settings, *, unreachable_is_fatal: bool) -> None:
    """Exit 1 when production would run on a database holding the demo's accounts (their
    password is published), e.g. a file `make demo` seeded."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.demo.data import USERNAMES
    from store.db import make_engine
    from store.staff import demo_accounts

    if settings.env is not Env.production:
        return
    engine = make_engine(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        found = demo_accounts.present(engine, USERNAMES)
    except SQLAlchemyError as exc:
        if unreachable_is_fatal:
            err.print(f"[red]cannot reach {where} to check it for demo accounts[/red]")
            raise typer.Exit(1) from exc
        err.print(f"[yellow]database {where} not reachable: not checked for demo accounts[/yellow]")
        return
    finally:
        engine.dispose()
    if found:
        err.print(
            f"[red]refusing: {where} holds the demo accounts {', '.join(found)}, whose password "
            "is public. Production needs its own database: point LINLI_DATABASE_URL at a fresh "
            f"one (the demo's is {DEMO_DATABASE_URL}).[/red]"
        )
        raise typer.Exit(1)
