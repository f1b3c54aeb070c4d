"""The `linli` command: serve, migrate, check content, load demo data."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer
from pydantic import ValidationError
from rich.console import Console

from bot.cli_outbox import outbox_app, scheduler, worker
from bot.cli_reports import reports_app
from bot.cli_sandbox import sandbox_api
from bot.cli_staff import staff_app
from config.settings import DEMO_DATABASE_URL, Env, Settings

app = typer.Typer(
    help="邻里 Linli — WeChat assistant for neighbourhood committees.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for the simulator.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(outbox_app, name="outbox")
app.add_typer(staff_app, name="staff")
app.add_typer(reports_app, name="reports")
app.command()(worker)
app.command()(scheduler)
app.command("sandbox-api")(sandbox_api)
err = Console(stderr=True, soft_wrap=True)
out = Console()

DEMO_RESIDENTS = ("demo-zhang", "demo-li", "demo-wang")


def load_settings():
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

    from bot.demo_data import USERNAMES
    from store import demo_accounts
    from store.db import make_engine

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


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Web worker processes."),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="Proxies whose X-Forwarded-For names the client (comma-separated IPs or *); "
        "default LINLI_FORWARDED_ALLOW_IPS, 127.0.0.1.",
    ),
) -> None:
    """Run the web app (webhook, simulator in demo/dev) with uvicorn."""
    import uvicorn

    settings = load_settings()
    refuse_demo_accounts(settings, unreachable_is_fatal=True)
    trusted = forwarded_allow_ips or settings.forwarded_allow_ips
    out.print(
        f"Linli ({settings.env}) on http://{host}:{port}"
        + ("  — simulator: /simulator" if settings.simulator_enabled else "")
    )
    # Client addresses (the sign-in throttle counts per address) come from X-Forwarded-For only
    # when the peer is one of these proxies.
    uvicorn.run(
        "bot.main:app", host=host, port=port, workers=workers, log_level="info",
        proxy_headers=True, forwarded_allow_ips=trusted,
    )  # fmt: skip


@app.command("check-config")
def check_config() -> None:
    """Validate settings and every content file; report file, line and reason."""
    from config.content import ContentError, load_content

    settings = load_settings()
    try:
        content = load_content(settings.content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from exc
    out.print(f"content OK: {settings.content_dir} ({len(content.office.topics)} office topics)")
    refuse_demo_accounts(settings, unreachable_is_fatal=False)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to a revision (default: the newest); at the newest, also mask and
    seal personal numbers that older versions kept in clear."""
    from store.db import make_engine, unit_of_work
    from store.migrate import upgrade
    from store.protect import protect_existing
    from store.sealing import Sealer

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine, revision)
    out.print(f"database at {revision}: {engine.url.render_as_string(hide_password=True)}")
    if revision == "head":
        with unit_of_work(engine) as session:
            changed = protect_existing(session, Sealer(settings.data_key))
        if any(changed.values()):
            done = ", ".join(f"{count} {kind}" for kind, count in changed.items() if count)
            out.print(f"personal numbers masked and sealed in rows kept in clear: {done}")


@demo_app.command("load")
def demo_load() -> None:
    """Create the demo residents, a demo committee with buildings, and demo staff (safe to run
    twice)."""
    from bot import demo_data
    from store import users
    from store.db import make_engine, unit_of_work

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
    out.print(f"demo residents ready: {', '.join(DEMO_RESIDENTS)}")
    out.print(
        f"demo committee {demo_data.COMMITTEE} with buildings 1栋-6栋; console accounts "
        f"{', '.join(accounts)} (password {demo_data.ACCOUNTS[0][3]}, demo only)"
    )


def main() -> None:
    """Entry point for `python -m bot.cli`."""
    app(prog_name="linli")


if __name__ == "__main__":
    sys.exit(main())
