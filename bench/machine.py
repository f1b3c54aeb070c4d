"""What both benchmarks share: the machine they describe, a fresh database, and CPU accounting
from /proc (who used the CPU while a measurement ran, and waiting for a quiet machine)."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path

import psycopg

from store.db import make_engine
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")
NOISY_PCT = 15  # other processes using more than this share of one CPU make a round noisy


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def fresh_database(name: str) -> None:
    """Drop and recreate a benchmark database, then migrate it to head."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def machine(**extra: str) -> dict[str, str]:
    """What the numbers were measured on (plus the benchmark's own tools in `extra`)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "cpu": f"{cpu} × {os.cpu_count()}",
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", platform.system()),
        "python": platform.python_version(),
        **extra,
        "postgresql": str(row[0]) if row else "?",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def command_line(module: str) -> str:
    """The command that ran this benchmark, as the report quotes it."""
    given = os.environ.get("BENCH_COMMAND")
    return (given or f"python -m {module} " + " ".join(sys.argv[1:])).strip()


def closing_lines(problems: list[str], all_good: str, info: dict[str, str]) -> list[str]:
    """The report's last lines: the checks (or what failed) and the machine."""
    checks = "; ".join(problems) if problems else all_good
    machine_line = "; ".join(f"{k} {v}" for k, v in info.items())
    return ["", f"Checks: {checks}", "", f"Machine: {machine_line}.", ""]


# -- CPU accounting ---------------------------------------------------------------------------


def _stat(pid: int | str) -> list[str]:
    """/proc/<pid>/stat fields from the third (state) on."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def process_cpu(pid: int) -> float:
    """CPU seconds a live process has used (user + system)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_cpu() -> float:
    """CPU seconds used by PostgreSQL: its live processes plus the backends it has reaped."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = _stat(entry.name)
            parent = Path(f"/proc/{fields[1]}/comm").read_text().strip()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
        if parent != "postgres":  # the postmaster: add the backends that have exited
            total += (int(fields[13]) + int(fields[14])) / TICK
    return total


def cpu_times() -> dict[str, tuple[float, float]]:
    """(busy, total) seconds per CPU, from /proc/stat."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(v) for v in values[:8]]
            idle = ticks[3] + ticks[4]
            times[name] = ((sum(ticks) - idle) / TICK, sum(ticks) / TICK)
    return times


class CpuMeter:
    """Where the CPU went while wrk ran: server, PostgreSQL, wrk, and anything else."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.used: dict[str, float] = {}
        self.busy: dict[str, float] = {}
        self.other = 0.0

    def _now(self) -> dict[str, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
        return {
            "server": process_cpu(self.server_pid),
            "postgres": postgres_cpu(),
            "wrk": children.ru_utime + children.ru_stime,
        }

    def __enter__(self) -> CpuMeter:
        self._start, self._cpus = self._now(), cpu_times()
        return self

    def __exit__(self, *_exc: object) -> None:
        end, cpus = self._now(), cpu_times()
        self.used = {k: end[k] - self._start[k] for k in end}
        self.busy = {
            name: (cpus[name][0] - busy) / max(cpus[name][1] - total, 1e-9)
            for name, (busy, total) in self._cpus.items()
        }
        spent = sum(cpus[name][0] - self._cpus[name][0] for name in cpus)
        self.other = max(spent - sum(self.used.values()), 0.0)


def wait_quiet(limit: float = 300) -> float:
    """Wait (up to `limit` s) until the machine is idle for 3 s; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_times()
        time.sleep(3)
        after = cpu_times()
        busy = sum(after[n][0] - before[n][0] for n in after) / 3
        if busy < NOISY_PCT / 100:
            break
        log(f"  waiting for a quiet machine ({100 * busy:.0f}% of a CPU busy elsewhere)")
    return time.monotonic() - started
