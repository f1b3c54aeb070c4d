"""A real Linli server (the `linli` CLI, uvicorn, SQLite) and headless Debian chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import CHROMIUM
from tests.processes import free_port, until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright's own browser download cannot reach the internet; Debian's chromium needs these.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ADMIN_PASSWORD = "lantern by the east gate"
CLERK_PASSWORD = "kettle on the west stove"
SUB_DISTRICT = "示例街道"
COMMITTEE = "东风社区居委会"
FAILED = pytest.StashKey[bool]()


@dataclass(frozen=True)
class Server:
    """A running `linli serve` and the directory holding its database and log."""

    url: str
    home: Path


def _linli(home: Path, env: dict[str, str], *args: str, stdin: str = "") -> str:
    # A new session has no controlling terminal, so the password prompt reads stdin.
    done = subprocess.run(
        [str(Path(sys.executable).with_name("linli")), *args], cwd=home, env=env, input=stdin,
        capture_output=True, text=True, timeout=60, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`linli db upgrade`, the first admin and a clerk by `linli staff create`, `linli serve`."""
    home = tmp_path_factory.mktemp("linli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env.update(LINLI_ENV="dev", LINLI_DATABASE_URL=f"sqlite:///{home / 'linli.db'}")
    _linli(home, env, "db", "upgrade")
    created = _linli(home, env, "staff", "create", "--username", "admin",
                     "--sub-district", SUB_DISTRICT, stdin=f"{ADMIN_PASSWORD}\n" * 2)  # fmt: skip
    assert "staff account admin (subdistrict_admin) created" in created
    _linli(home, env, "staff", "create", "--username", "clerk1", "--sub-district", SUB_DISTRICT,
           "--role", "committee_staff", "--committee", COMMITTEE, "--display-name", "王文员",
           stdin=f"{CLERK_PASSWORD}\n" * 2)  # fmt: skip
    port = free_port()
    log = home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("linli")), "serve", "--port", str(port)],
            cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _ready(url), "linli serve to answer", [process], deadline=30, log=log)
        yield Server(url, home)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium, for one test file: Playwright's sync API keeps an event loop
    running in this thread while it is open, which later asyncio.run() calls of the same pytest
    worker would trip over."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    """Keep each phase's report on the test, so `page` knows whether the test failed."""
    report = yield
    item.stash.setdefault(FAILED, False)
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies); a screenshot in test-artifacts/ if the test fails."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() else "_" for c in request.node.name)
        opened.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    context.close()
