"""Two real processes share one access token through the database: one refresh, never ping-pong.

The sandbox runs standalone under uvicorn (`python -m bot.cli.sandbox`); two racing processes
(tests/bot/wechat/token_race.py) send through it against the test's database, released by a barrier.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from store.db import unit_of_work
from store.outbox import access_token as stored_tokens
from tests.bot.delivery.crash_rig import APP_ID, SECRET, sandbox_process
from tests.processes import until

ROOT = Path(__file__).resolve().parents[3]
DEADLINE_SECONDS = 60.0
RACERS = ("a", "b")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[str]:
    """The sandbox under uvicorn in its own process; yields its base URL."""
    with sandbox_process(tmp_path) as client:
        yield str(client.base_url)


def _racer(database: Engine, base: str, folder: Path, name: str) -> subprocess.Popen:
    url = database.url.render_as_string(hide_password=False)
    args = [url, base, APP_ID, SECRET, f"race-{name}", str(folder), name]
    log = (folder / f"racer-{name}.log").open("w")
    command = [sys.executable, "-m", "tests.bot.wechat.token_race", *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def test_two_processes_refresh_the_token_exactly_once(
    database: Engine, sandbox: str, tmp_path: Path
) -> None:
    control = httpx.Client(base_url=sandbox, timeout=10)
    for name in RACERS:
        control.post("/_sandbox/interactions", json={"openid": f"race-{name}"}).raise_for_status()
    racers = [_racer(database, sandbox, tmp_path, name) for name in RACERS]
    try:
        ready = [tmp_path / f"ready-{name}" for name in RACERS]
        until(
            lambda: all(p.exists() for p in ready),
            "both racers to start",
            racers,
            deadline=DEADLINE_SECONDS,
        )
        (tmp_path / "go1").touch()
        done = [tmp_path / f"done1-{name}" for name in RACERS]
        until(
            lambda: all(p.exists() for p in done),
            "the first round",
            racers,
            deadline=DEADLINE_SECONDS,
        )

        calls = control.get("/_sandbox/calls").json()
        assert calls["stable_token"] == 1
        assert calls["custom"] == 4

        control.post("/_sandbox/faults", json={"expire_tokens": True}).raise_for_status()
        (tmp_path / "go2").touch()
        for name, racer in zip(RACERS, racers, strict=True):
            log = tmp_path / f"racer-{name}.log"
            assert racer.wait(timeout=DEADLINE_SECONDS) == 0, log.read_text()
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.terminate()
                racer.wait(timeout=10)

    calls = control.get("/_sandbox/calls").json()
    assert calls["stable_token"] == 2
    assert calls["custom"] == 12  # 4 + 4 refused for the expired token + 4 retries
    sent = control.get("/_sandbox/messages", params={"channel": "custom"}).json()
    assert sorted(m["payload"]["text"]["content"] for m in sent) == sorted(
        f"{name}-{round}-{i}" for name in RACERS for round in (1, 2) for i in range(2)
    )
    with unit_of_work(database) as session:
        stored = stored_tokens.read(session, APP_ID)
    assert stored is not None and stored.refreshes == 2
