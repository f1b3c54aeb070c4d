"""`linli staff create`: make the first admin (and later accounts) from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli.settings import load_settings

staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@staff_app.command("create")
def create(
    username: Annotated[str, typer.Option(help="Sign-in name (letters, digits, ._-).")],
    sub_district: Annotated[str, typer.Option(help="The sub-district (街道), created if new.")],
    display_name: Annotated[str, typer.Option(help="Name shown in the console.")] = "",
    role: Annotated[
        str, typer.Option(help="subdistrict_admin, committee_staff or grid_worker.")
    ] = "subdistrict_admin",
    committee: Annotated[
        str, typer.Option(help="The committee (居委会), for committee roles; created if new.")
    ] = "",
    password: Annotated[
        str | None,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given."
        ),
    ] = None,
) -> None:
    """Create a staff account; the action is written to the audit log."""
    from store.db import make_engine, unit_of_work
    from store.errors import Refused
    from store.staff import accounts as staff
    from store.staff import audit

    settings = load_settings()
    try:
        with unit_of_work(make_engine(settings.database_url)) as session:
            district = staff.sub_district(session, sub_district.strip())
            home = staff.committee(session, district, committee.strip()) if committee else None
            account = staff.create(
                session, actor=audit.CLI, username=username, display_name=display_name,
                password=password or "", role=role, district=district, committee_of=home,
                now=datetime.now(UTC),
            )  # fmt: skip
            created = (account.id, account.username, account.role)
    except Refused as refused:
        typer.echo(f"refused: {refused.field}: {refused.reason}", err=True)
        raise typer.Exit(1) from refused
    typer.echo(f"staff account {created[1]} ({created[2]}) created, id {created[0]}")
