"""The import benchmark: `linli import residents FILE --committee NAME` on PostgreSQL, in a
child process as a committee would run it; wall time and the child's own peak RSS (wait4)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.machine import RESULTS, ROOT, fresh_database, log
from bench.registry.people import BUILDINGS, write_sheet

DATABASE = "linli_bench"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
DATA_KEY = "bench-registry-data-key-0123456789abcdef"
DISTRICT, COMMITTEE = "基准街道", "基准社区"
POLL_S = 0.05


@dataclass(frozen=True)
class Run:
    """One child process: what it did, how long it took, its peak RSS, and what it printed."""

    what: str
    rows: int
    seconds: float
    peak_rss_mib: float
    cpu_seconds: float
    output: str


def sheet_of(rows: int) -> Path:
    """The generated sheet of this many rows (kept in bench/results/ between runs)."""
    path = RESULTS / f"registry-sheet-{rows}.xlsx"
    if not path.exists():
        started = time.monotonic()
        write_sheet(path, rows)
        log(f"  wrote {path.name} in {time.monotonic() - started:.0f} s")
    return path


def child(what: str, rows: int, argv: list[str]) -> Run:
    """Run a child process to the end; its wall time and its own rusage (not the runner's)."""
    env = {**os.environ, "LINLI_DATABASE_URL": URL, "LINLI_DATA_KEY": DATA_KEY,
           "LINLI_ENV": "dev"}  # fmt: skip
    with tempfile.TemporaryFile(mode="w+") as out:
        started = time.monotonic()
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)  # fmt: skip
        peak_kib, status, usage = 0, 0, None
        while usage is None:
            # The child's own high-water mark: rusage's ru_maxrss would also count the runner's
            # pages the child shared between fork and exec.
            peak_kib = max(peak_kib, _vm_hwm(process.pid))
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                usage = rusage
            else:
                time.sleep(POLL_S)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise RuntimeError(f"{what} failed ({process.returncode}):\n{output[-2000:]}")
    return Run(what, rows, seconds, peak_kib / 1024, usage.ru_utime + usage.ru_stime,
               output.strip())  # fmt: skip


def _vm_hwm(pid: int) -> int:
    """A live process's peak resident memory (KiB) since it exec'd; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines()
                 if line.startswith("VmHWM:")), 0)  # fmt: skip


def prepare_database() -> None:
    """A fresh, migrated `linli_bench` with one committee and its 40 buildings."""
    fresh_database(DATABASE)
    from store.db import make_engine, unit_of_work
    from store.places.lookup import add_missing
    from store.places.models import Place
    from store.staff import accounts

    engine = make_engine(URL)
    with unit_of_work(engine) as session:
        committee = accounts.committee(session, accounts.sub_district(session, DISTRICT), COMMITTEE)
        places = [Place(committee_id=committee.id or 0, kind="building", name=f"{n}栋")
                  for n in range(1, BUILDINGS + 1)]  # fmt: skip
        add_missing(session, committee.id or 0, places)
    engine.dispose()


def import_sheet(rows: int, *, dry_run: bool = False) -> Run:
    """`linli import residents` of an n-row sheet into a fresh database, as a child process."""
    sheet = sheet_of(rows)
    prepare_database()
    argv = [sys.executable, "-m", "bot.cli.main", "import", "residents", str(sheet),
            "--committee", COMMITTEE, *(["--dry-run"] if dry_run else [])]  # fmt: skip
    return child("dry run" if dry_run else "import", rows, argv)


READ_ONLY = """
import sys
from config.content import load_content
from bot.cli.settings import load_settings
from store.registry.sheet import Sheet
content = load_content(load_settings().content_dir).registry
sheet = Sheet(__import__("pathlib").Path(sys.argv[1]), content.imports.columns)
print(sum(1 for _ in sheet.rows()))
"""


def read_sheet(rows: int) -> Run:
    """The floor: only reading the sheet's rows (openpyxl, streamed), in a child process."""
    argv = [sys.executable, "-c", READ_ONLY, str(sheet_of(rows))]
    return child("read only", rows, argv)
