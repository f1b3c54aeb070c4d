"""`linli db …`: the database schema, only through Alembic migrations."""

from __future__ import annotations

import typer

from bot.cli.settings import load_settings, out

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


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
            changed = protect_existing(
                session, Sealer(settings.data_key, settings.previous_data_key_list)
            )
        if any(changed.values()):
            done = ", ".join(f"{count} {kind}" for kind, count in changed.items() if count)
            out.print(f"personal numbers masked and sealed in rows kept in clear: {done}")
