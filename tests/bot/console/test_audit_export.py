"""The console's audit.csv opens in a spreadsheet as text: a username like `=1+1` is never a
formula, and the file is never kept by a browser or proxy."""

from __future__ import annotations

import csv
import io

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.main import create_app
from bot.web.sheet_cells import csv_cell
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for


def test_a_formula_like_username_reaches_the_audit_csv_as_text(database: Engine) -> None:
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    sly = create_staff(database, "=1+1", committee="东风社区居委会")
    token_for(database, sly)  # issuing a token is audited under the account's name
    client = TestClient(create_app(settings_for(database), database=database))
    exported = client.get("/console/audit.csv", headers=token_for(database, admin))
    assert exported.status_code == 200
    assert exported.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    actors = {row[1] for row in rows[1:]}
    assert "'=1+1" in actors and "=1+1" not in actors
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


def test_every_formula_start_gets_an_apostrophe_and_nothing_else_changes() -> None:
    for risky in ("=1+1", "+86 138", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(risky) == "'" + risky
    for plain in ("王", "3栋", "", "a=b", 12, None):
        assert csv_cell(plain) == plain
