"""Shared fixtures: every store and webhook test runs on SQLite, and on PostgreSQL when
LINLI_TEST_DATABASE_URL names one (CI sets it)."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers every table)
from store.db import make_engine
from store.migrate import upgrade
from tests import plaintext
from tests.report_helpers import Neighbourhood, seed

# Linli defaults to production (which refuses placeholder secrets); the suite runs as dev, and
# so do the processes it starts. Tests of production say so in their settings.
os.environ.setdefault("LINLI_ENV", "dev")
BASE_POSTGRES_URL = os.environ.get("LINLI_TEST_DATABASE_URL", "")
# Under pytest-xdist each worker (gw0, gw1, …) gets a database of its own beside the named one.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
POSTGRES_URL = (
    make_url(BASE_POSTGRES_URL)
    .set(database=f"{make_url(BASE_POSTGRES_URL).database}_{WORKER}")
    .render_as_string(hide_password=False)
    if BASE_POSTGRES_URL and WORKER
    else BASE_POSTGRES_URL
)
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
# Debian's chromium (CI installs it in .ci/run); LINLI_TEST_CHROMIUM names another one.
CHROMIUM = Path(os.environ.get("LINLI_TEST_CHROMIUM", "/usr/bin/chromium"))
BROWSER_TESTS_LEFT_OUT = pytest.StashKey[int]()
# Hypothesis and schemathesis take seconds to import, and their pytest plugins import them on
# every run. pyproject's addopts switches the plugins off (-p no:hypothesispytest
# -p no:schemathesis); pytest_configure loads them when a test file of the run imports them.
FUZZ_PLUGINS = {  # package a test file imports -> (its plugin's entry point, the plugin module)
    "hypothesis": ("hypothesispytest", "_hypothesis_pytestplugin"),
    "schemathesis": ("schemathesis", "schemathesis.pytest.plugin"),
}
FUZZ_IMPORT = re.compile(r"^(?:from|import) (hypothesis|schemathesis)\b", re.MULTILINE)


RECORDER = plaintext.Recorder()
TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    """Record the run's personal numbers; load the fuzzing plugins if a test file this run
    reaches imports their package."""
    RECORDER.install()
    manager = config.pluginmanager
    wanted = {name for path in _reached(config) for name in FUZZ_IMPORT.findall(path.read_text())}
    for package in sorted(wanted):  # hypothesis's plugin before schemathesis's
        entry_point, module = FUZZ_PLUGINS[package]
        if not manager.has_plugin(entry_point):  # not already loaded at start-up
            manager.import_plugin(module)


def _reached(config: pytest.Config) -> Iterable[Path]:
    """The Python files under the paths this run was given."""
    for arg in config.args:
        path = config.invocation_params.dir / arg.split("::")[0]
        if path.is_dir():
            yield from path.rglob("*.py")
        elif path.suffix == ".py" and path.is_file():
            yield path


@pytest.fixture(scope="session", autouse=True)
def run_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every log record of this process, kept in a file the end-of-run search reads."""
    path = tmp_path_factory.getbasetemp() / "logs" / f"{WORKER or 'main'}.log"
    path.parent.mkdir(exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a personal number it used is in plaintext in a SQLite file or a log.

    Each xdist worker hands its numbers over; the process that started the run searches, once
    every worker is done, every file under the run's temporary directory.
    """
    factory: pytest.TempPathFactory = session.config._tmp_path_factory  # type: ignore[attr-defined]
    base = factory.getbasetemp()
    RECORDER.save(base / "numbers", WORKER or "main")
    if WORKER:
        return
    numbers = plaintext.saved_numbers(base) | plaintext.numbers_in_sources(TESTS)
    found = plaintext.leaks(plaintext.searched_files(base), numbers)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"Plaintext check: {len(numbers)} personal numbers of the run searched for in "
            f"{base}; {len(found)} found.",
            red=bool(found),
        )
        for path, masked in found[:50]:
            reporter.write_line(f"  plaintext {masked} in {path}", red=True)
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that asks for `backend` once per available database."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out PostgreSQL-only tests when no PostgreSQL is configured (CI always has one), and
    browser tests when there is no chromium (CI installs it)."""
    left_out = []
    if not POSTGRES_URL:
        left_out += [item for item in items if "postgres_only" in item.keywords]
    if not CHROMIUM.exists():
        browser = [item for item in items if "browser" in item.keywords]
        config.stash[BROWSER_TESTS_LEFT_OUT] = len(browser)
        left_out += browser
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        dropped = set(left_out)
        items[:] = [item for item in items if item not in dropped]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when PostgreSQL or the browser tests were not part of the run."""
    if terminalreporter.config.stash.get(BROWSER_TESTS_LEFT_OUT, 0):
        terminalreporter.write_line(
            f"NOTE: browser tests did not run: {CHROMIUM} missing "
            "(apt-get install chromium fonts-noto-cjk).",
            yellow=True,
        )
    if not POSTGRES_URL:
        terminalreporter.write_line(
            "NOTE: database tests ran on SQLite only; set LINLI_TEST_DATABASE_URL (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test) to run them on PostgreSQL too.",
            yellow=True,
        )


def _worker_database() -> None:
    """Create this xdist worker's PostgreSQL database (named after the configured one) if new."""
    if POSTGRES_URL == BASE_POSTGRES_URL:
        return
    wanted = make_url(POSTGRES_URL).database
    server = make_engine(BASE_POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": wanted}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{wanted}"'))
    server.dispose()


def _fresh_postgres(url: str) -> Engine:
    _worker_database()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(scope="session")
def migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of the given backend, built by running the migrations.

    For SQLite this is a template file each test copies (the audit log's append-only triggers
    forbid emptying it row by row).
    """
    if backend == "postgresql":
        engine = _fresh_postgres(POSTGRES_URL)
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database(migrated: Engine, tmp_path: Path) -> Iterator[Engine]:
    """The migrated database, empty, for one test."""
    if migrated.dialect.name == "postgresql":
        with migrated.begin() as connection:
            # TRUNCATE fires no row triggers, so the append-only audit log empties too.
            connection.execute(text(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE"))
        yield migrated
        return
    migrated.dispose()  # checkpoint the WAL into the template file before copying it
    copy = tmp_path / "linli.db"
    shutil.copyfile(migrated.url.database or "", copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The PostgreSQL test database, migrated and emptied (for postgres_only tests)."""
    _worker_database()
    engine = make_engine(POSTGRES_URL)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE"))
    return engine


def _tables() -> list[str]:
    return [t.name for t in reversed(SQLModel.metadata.sorted_tables)]


@pytest.fixture
def content_dir() -> Path:
    """The shipped zh-CN content."""
    return Path(__file__).resolve().parent.parent / "config" / "content" / "zh-CN"


@pytest.fixture
def place(database: Engine) -> Neighbourhood:
    """A committee with 3栋 (its grid worker wang), 5栋 and 小区东门."""
    return seed(database)
