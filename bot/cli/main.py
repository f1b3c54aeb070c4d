"""The `linli` command: its command groups, `serve` and `check-config`."""

from __future__ import annotations

import sys

import typer

from bot.cli.db import db_app
from bot.cli.demo import demo_app
from bot.cli.export import compare, export
from bot.cli.keys import keys_app
from bot.cli.outbox import outbox_app
from bot.cli.processes import scheduler, worker
from bot.cli.registry import import_app
from bot.cli.registry_quality import registry_app
from bot.cli.reports import reports_app
from bot.cli.reviews import reviews_app
from bot.cli.sandbox import sandbox_api
from bot.cli.settings import load_settings, out, refuse_demo_accounts
from bot.cli.staff import staff_app

app = typer.Typer(
    help="邻里 Linli — WeChat assistant for neighbourhood committees.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(keys_app, name="keys")
app.add_typer(outbox_app, name="outbox")
app.add_typer(staff_app, name="staff")
app.add_typer(reports_app, name="reports")
app.add_typer(reviews_app, name="reviews")
app.add_typer(import_app, name="import")
app.add_typer(registry_app, name="registry")
app.command("export")(export)
registry_app.command("compare")(compare)
app.command()(worker)
app.command()(scheduler)
app.command("sandbox-api")(sandbox_api)


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
    """Validate settings, every content file and the overlay of synonyms staff added; report
    file, line and reason."""
    from bot.understanding.provider import MatcherProvider
    from config.content import ContentError, load_content
    from config.understanding_overlay import load_overlay
    from flows.registry import build_flows

    settings = load_settings()
    try:
        content = load_content(settings.content_dir)
        matchers = MatcherProvider(content, settings.overlay_path, build_flows(content))
        # The running app leaves out a synonym whose intent is gone; here it is a problem.
        load_overlay(settings.overlay_path, matchers.known)
    except ContentError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from exc
    topics, services = len(content.office.topics), len(content.services.services)
    out.print(f"content OK: {settings.content_dir} ({topics} office topics, {services} services)")
    added = len(matchers.current().overlay.synonyms)
    out.print(f"overlay OK: {settings.overlay_path} ({added} synonyms staff added)")
    refuse_demo_accounts(settings, unreachable_is_fatal=False)


def main() -> None:
    """Entry point for `python -m bot.cli`."""
    app(prog_name="linli")


if __name__ == "__main__":
    sys.exit(main())
