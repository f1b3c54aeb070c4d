"""Starting Linli fails safe: without LINLI_ENV it is production; dev and demo say loudly what
they are; the simulator never serves next to a real AppSecret; production refuses a database
seeded with the demo accounts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.demo import data as demo_data
from bot.main import create_app
from store.db import unit_of_work
from tests.chat import settings_for
from tests.production import PRODUCTION_SECRETS

REAL_APP_SECRET = "5f1c9a7e3b2d8046e1a9c7b5d3f20864"
BANNER = "NOT FOR REAL RESIDENTS"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _production_env(database: Engine) -> dict[str, str]:
    values = {f"LINLI_{name.upper()}": value for name, value in PRODUCTION_SECRETS.items()}
    return {**values, "LINLI_DATABASE_URL": database.url.render_as_string(hide_password=False)}


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `linli serve` would hand uvicorn (nothing is served)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def test_serve_without_linli_env_is_production_and_refuses_placeholders(
    database: Engine, uvicorn_runs: list[dict[str, Any]]
) -> None:
    url = database.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["serve"], env={"LINLI_ENV": None, "LINLI_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "LINLI_SECRET_KEY" in result.output and "production" in result.output
    assert uvicorn_runs == []


@pytest.mark.parametrize("env", ["dev", "demo"])
def test_dev_and_demo_print_a_warning_banner(
    database: Engine, env: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="linli"):
        create_app(settings_for(database, env=env), database=database)
    assert f"LINLI_ENV={env}" in capsys.readouterr().err
    assert BANNER in caplog.text and "/simulator" in caplog.text


def test_production_prints_no_banner(
    database: Engine, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    create_app(settings_for(database, **PRODUCTION_SECRETS), database=database)
    assert BANNER not in capsys.readouterr().err + caplog.text


@pytest.mark.parametrize("env", ["dev", "demo"])
def test_the_simulator_is_not_served_next_to_a_real_app_secret(database: Engine, env: str) -> None:
    placeholder = TestClient(create_app(settings_for(database, env=env), database=database))
    assert placeholder.get("/simulator").status_code == 200
    real = settings_for(database, env=env, wechat_app_secret=REAL_APP_SECRET)
    client = TestClient(create_app(real, database=database))
    assert client.get("/simulator").status_code == 404
    history = client.get("/simulator/api/history", params={"openid": "o_resident_0001"})
    assert history.status_code == 404
    sent = client.post("/simulator/api/send", json={"openid": "o_x", "kind": "subscribe"})
    assert sent.status_code == 404
    assert client.get("/sandbox/_sandbox/messages", params={"touser": "o_x"}).status_code == 404


def test_production_refuses_a_database_holding_the_demo_accounts(
    database: Engine, uvicorn_runs: list[dict[str, Any]]
) -> None:
    with unit_of_work(database) as session:
        demo_data.load(session, NOW)
    env = _production_env(database)
    for command in (["serve"], ["check-config"]):
        result = CliRunner().invoke(cli, command, env=env)
        assert result.exit_code == 1, command
        assert "demo-admin" in result.output and "demo.db" in result.output
    assert uvicorn_runs == []


def test_production_serves_a_clean_database_trusting_only_named_proxies(
    database: Engine, uvicorn_runs: list[dict[str, Any]]
) -> None:
    env = _production_env(database)
    assert CliRunner().invoke(cli, ["check-config"], env=env).exit_code == 0
    assert CliRunner().invoke(cli, ["serve"], env=env).exit_code == 0
    behind = CliRunner().invoke(cli, ["serve", "--forwarded-allow-ips", "10.0.0.5"], env=env)
    assert behind.exit_code == 0
    assert [call["forwarded_allow_ips"] for call in uvicorn_runs] == ["127.0.0.1", "10.0.0.5"]
    assert all(call["proxy_headers"] for call in uvicorn_runs)
