"""Real processes for crash tests: the standalone sandbox and `linli worker`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy.engine import Engine

from tests.processes import free_port, until

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_CONTENT = ROOT / "config" / "content" / "zh-CN"
APP_ID, SECRET = "wxcrashtest000001", "crash-test-secret"


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/_sandbox/calls", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def stop(process: subprocess.Popen[Any], *, grace: float = 10.0) -> int:
    """SIGTERM, then SIGKILL if it has not exited after `grace` seconds; the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextmanager
def sandbox_process(folder: Path) -> Iterator[httpx.Client]:
    """`python -m bot.cli.sandbox` in its own process; yields a client for its base URL."""
    port = free_port()
    env = {**os.environ, "LINLI_WECHAT_APP_ID": APP_ID, "LINLI_WECHAT_APP_SECRET": SECRET}
    command = [sys.executable, "-m", "bot.cli.sandbox", "--port", str(port)]
    log_path = folder / "sandbox.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            until(
                lambda: _answers(base),
                "the sandbox to answer",
                [process],
                deadline=60,
                log=log_path,
            )
            with httpx.Client(base_url=base, timeout=30) as client:
                yield client
        finally:
            # A held (faulted) request may keep uvicorn's graceful shutdown waiting.
            stop(process, grace=5)


def content_with_template(
    folder: Path, kind: str, template_id: str, fields: dict[str, str]
) -> Path:
    """A copy of the shipped content in which `kind` falls back to the given template."""
    target = folder / "content"
    shutil.copytree(SHIPPED_CONTENT, target)
    path = target / "notifications.yaml"
    notifications = yaml.safe_load(path.read_text(encoding="utf-8"))
    notifications["kinds"][kind]["template"] = {"template_id": template_id, "fields": fields}
    path.write_text(yaml.safe_dump(notifications, allow_unicode=True), encoding="utf-8")
    return target


def worker_process(
    database: Engine, sandbox: str, content: Path, log: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """`linli worker` against the database and the sandbox; `settings` are LINLI_ overrides."""
    env = {
        **os.environ,
        "LINLI_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "LINLI_WECHAT_API_BASE": sandbox,
        "LINLI_WECHAT_APP_ID": APP_ID,
        "LINLI_WECHAT_APP_SECRET": SECRET,
        "LINLI_CONTENT_DIR": str(content),
        # Whatever the time of day, nothing is held for the quiet period.
        "LINLI_QUIET_HOURS": "00:00-00:00",
        # A dead worker's claims come back after 5 s instead of 2 minutes.
        "LINLI_DELIVERY_LEASE_SECONDS": "5",
        "LINLI_SEND_RATE_PER_SECOND": "10000",
        **{f"LINLI_{name.upper()}": value for name, value in settings.items()},
    }
    command = [sys.executable, "-m", "bot.cli", "worker", "--idle-seconds", "0.2"]
    with log.open("a") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL: no handler runs, nothing is settled or rolled back by the process itself."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
