"""`linli outbox …`: queue a message, and list who could not be reached (the call list)."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.settings import load_settings

outbox_app = typer.Typer(help="Outbound messages.", no_args_is_help=True)


class SheetFormat(StrEnum):
    """Formats the call list can be written in."""

    xlsx = "xlsx"
    csv = "csv"


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
    from bot.web.sheet_cells import csv_row, keep_as_text
    from config.content import load_content
    from store.db import make_engine, unit_of_work
    from store.outbox import call_list

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

    from store.db import make_engine, unit_of_work
    from store.outbox import messages as outbox

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
