"""`linli keys rotate`: seal every personal value again with the current LINLI_DATA_KEY."""

from __future__ import annotations

import typer

from bot.cli.settings import load_settings, out

keys_app = typer.Typer(
    help="The key that seals personal data (LINLI_DATA_KEY).", no_args_is_help=True
)


@keys_app.command("rotate")
def rotate(
    batch: int = typer.Option(500, min=1, max=10_000, help="Values sealed again per transaction."),
) -> None:
    """After setting a new LINLI_DATA_KEY (the old one in LINLI_PREVIOUS_DATA_KEYS): seal every
    value again with the new key, a batch per transaction; safe to stop and run again."""
    from store.db import make_engine, unit_of_work
    from store.protect import reseal
    from store.sealing import Sealer

    settings = load_settings()
    sealer = Sealer(settings.data_key, settings.previous_data_key_list)
    engine = make_engine(settings.database_url)
    total = 0
    while True:
        with unit_of_work(engine) as session:
            done = reseal(session, sealer, batch=batch)
        if not done:
            break
        total += done
        out.print(f"sealed again with key {sealer.key_id}: {total}")
    out.print(
        f"every sealed value uses key {sealer.key_id} ({total} sealed again); "
        "LINLI_PREVIOUS_DATA_KEYS may now be emptied"
    )
