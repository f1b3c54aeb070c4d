"""`linli staff create` makes the first admin; its password never appears anywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app as cli

PASSWORD = "a long enough secret"


def test_the_first_admin_is_created_with_a_prompted_password(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(
        cli, ["staff", "create", "--username", "admin", "--sub-district", "示例街道"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "staff account admin (subdistrict_admin) created" in result.output
    with database.connect() as connection:
        role = connection.execute(text("SELECT role FROM staff_user WHERE username='admin'"))
        assert role.scalar_one() == "subdistrict_admin"
        actions = connection.execute(text("SELECT action, actor FROM audit_entry")).all()
        dump = str(connection.execute(text("SELECT * FROM staff_user")).all())
    assert [tuple(a) for a in actions] == [("staff.create", "cli")]
    assert PASSWORD not in dump and PASSWORD not in result.output.replace("Password", "")


def test_a_weak_password_is_refused_with_the_reason(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(
        cli, ["staff", "create", "--username", "clerk", "--sub-district", "示例街道",
              "--role", "committee_staff", "--committee", "示例社区居委会", "--password", "short"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "password: at least 10 characters" in result.output


@pytest.mark.parametrize(
    ("password", "reason"),
    [("woaini1314", "too common"), ("qwertyuiop", "too common"), ("bbbbbbbbbbbb", "repeated")],
)
def test_a_common_or_repeated_password_is_refused(
    database: Engine, monkeypatch: pytest.MonkeyPatch, password: str, reason: str
) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(
        cli, ["staff", "create", "--username", "admin", "--sub-district", "示例街道",
              "--password", password],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "password:" in result.output and reason in result.output
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM staff_user")).scalar_one() == 0
