"""Run the reminder benchmark: N residents all due for one programme; the review planner plans
their reminders in a child process, then one `linli worker` delivers them as templates into the
standalone sandbox, on PostgreSQL; wall time and peak RSS of each, for N = 20,000 and 200,000."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.delivery.run import APP_ID, SECRET, profiled, sandbox, status_kib, stop
from bench.machine import (
    NOISY_PCT,
    PG_ADMIN,
    RESULTS,
    ROOT,
    closing_lines,
    command_line,
    cpu_times,
    fresh_database,
    log,
    machine,
    postgres_cpu,
    process_cpu,
    wait_quiet,
)
from bench.reviews.scene import FIELDS, content_copy, follow, openid, populate
from store.db import make_engine

PG_NAME = "linli_bench_reviews"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"
PG_DIRECT = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"
SEND_RATE = 100_000  # never the limit
SAMPLE_SECONDS = 0.5
VACUUM_EVERY = 0.1  # autovacuum's default analyze threshold: 10 % of the rows changed
TARGET_SECONDS = 30.0  # 20,000 planned and delivered
TARGET_TIME_RATIO = 10.0  # 200,000 in at most 10× the 20,000 time
TARGET_RSS_RATIO = 1.5  # memory flat: at most 1.5× between 20,000 and 200,000


@dataclass
class Child:
    """A child process run to its end: wall time, its own peak RSS, CPU, and what it printed."""

    seconds: float
    peak_rss_kib: int
    cpu_seconds: float
    output: str


@dataclass
class Measured:
    """One N: the planner's run, then one worker's drain."""

    n: int
    planner: Child
    planned: dict[str, Any]
    launched: float  # wall clock when the worker was started
    first_sent: float  # sent_at of the first and last settled rows
    last_sent: float
    worker_rss_kib: int
    rss_curve: list[tuple[int, int]]  # (templates sent, worker VmRSS KiB)
    cpu: dict[str, float]  # CPU seconds over the drain: worker, sandbox, postgres, other
    vacuums: int
    problems: list[str] = field(default_factory=list)

    @property
    def worker_seconds(self) -> float:
        """From starting the worker process to the last row settled."""
        return self.last_sent - self.launched

    @property
    def seconds(self) -> float:
        """Planned and delivered: the planner's wall time plus the worker's."""
        return self.planner.seconds + self.worker_seconds

    @property
    def steady_rate(self) -> float:
        """Templates per second between the first and the last settled row."""
        return (self.n - 1) / max(self.last_sent - self.first_sent, 1e-9)


# -- environment ------------------------------------------------------------------------------


def autovacuum_on() -> bool:
    """Whether the server runs autovacuum (the runner stands in for it when not)."""
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    return bool(row) and row[0] == "on"


def vacuum(*tables: str) -> None:
    """VACUUM ANALYZE tables, as autovacuum would after 10 % of their rows changed."""
    with psycopg.connect(PG_DIRECT, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def env(base: str, content: Path) -> dict[str, str]:
    """The children's settings: this database, sandbox and content; no quiet hours."""
    return {
        **os.environ, "LINLI_ENV": "dev", "LINLI_DATABASE_URL": PG_URL,
        "LINLI_WECHAT_API_BASE": base, "LINLI_WECHAT_APP_ID": APP_ID,
        "LINLI_WECHAT_APP_SECRET": SECRET, "LINLI_CONTENT_DIR": str(content),
        "LINLI_QUIET_HOURS": "00:00-00:00", "LINLI_SEND_RATE_PER_SECOND": str(SEND_RATE),
        "PYTHONDONTWRITEBYTECODE": "1",
    }  # fmt: skip


def child(argv: list[str], environ: dict[str, str]) -> Child:
    """Run a child to its end; its wall time and its own rusage and VmHWM (not the runner's)."""
    log_path = RESULTS / "reviews-planner.log"
    with log_path.open("w") as out:
        started = time.monotonic()
        process = subprocess.Popen(argv, cwd=ROOT, env=environ, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        peak, usage, status = 0, None, 0
        while usage is None:
            # Once it has exited, its last VmHWM was read at the poll before.
            with contextlib.suppress(OSError, KeyError):
                peak = max(peak, status_kib(process.pid, "VmHWM"))
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                usage = rusage
            else:
                time.sleep(0.02)
        seconds = time.monotonic() - started
    output = log_path.read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"the planner failed:\n{output[-3000:]}")
    return Child(seconds, peak, usage.ru_utime + usage.ru_stime, output.strip())


def sent_so_far(base: str) -> int:
    """Template calls the sandbox has answered."""
    return int(httpx.get(f"{base}/_sandbox/calls", timeout=10).json()["template"])


def settled() -> tuple[int, float, float]:
    """Rows not yet final, and the first and last sent_at (epoch seconds)."""
    query = (
        "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')), "
        "extract(epoch FROM min(sent_at)), extract(epoch FROM max(sent_at)) FROM outbox_message"
    )
    with psycopg.connect(PG_DIRECT, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0]), float(row[1] or 0), float(row[2] or 0)


def _cpu(worker_pid: int | None, sandbox_pid: int) -> dict[str, float]:
    used = {
        "worker": process_cpu(worker_pid) if worker_pid else 0.0,
        "sandbox": process_cpu(sandbox_pid),
        "postgres": postgres_cpu(),
    }
    busy = sum(b for b, _ in cpu_times().values())
    used["other"] = busy - sum(used.values())
    return used


# -- one measurement --------------------------------------------------------------------------


def _scene(n: int, base: str) -> None:
    started = time.monotonic()
    engine = make_engine(PG_URL)
    try:
        populate(engine, n)
    finally:
        engine.dispose()
    asyncio.run(follow(base, n))
    vacuum("resident", "resident_tag", "resident_binding", "wechat_user")
    log(f"  {n:,} due residents, bound and following ({time.monotonic() - started:.0f} s)")


def _drain(args: argparse.Namespace, n: int, base: str, content: Path,
           sandbox_pid: int) -> tuple[float, Any, int, list[tuple[int, int]], dict[str, float],
                                      int]:  # fmt: skip
    before = _cpu(None, sandbox_pid)
    command = ["taskset", "-c", str(args.worker_cpu), sys.executable, "-m", "bot.cli", "worker",
               "--idle-seconds", "0.2"]  # fmt: skip
    worker_log = RESULTS / f"reviews-worker-{n}.log"
    launched = time.time()
    with worker_log.open("w") as out:
        worker = subprocess.Popen(command, cwd=ROOT, env=env(base, content), stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    spy = RESULTS / f"profile-reviews-worker-{n}.raw" if args.profile else None
    curve: list[tuple[int, int]] = []
    vacuums, every = 0, n * VACUUM_EVERY if args.vacuum else float("inf")
    try:
        with profiled(worker.pid, spy):
            next_mark, next_vacuum = n / 10, every
            deadline = time.monotonic() + args.timeout
            while (done := sent_so_far(base)) < n:
                if worker.poll() is not None:
                    sys.exit(f"the worker exited with {worker.returncode}: see {worker_log}")
                if time.monotonic() > deadline:
                    sys.exit(f"N = {n}: not delivered after {args.timeout} s ({done} sent)")
                if done >= next_mark:
                    curve.append((done, status_kib(worker.pid, "VmRSS")))
                    next_mark += n / 10
                if done >= next_vacuum:
                    vacuum("outbox_message")
                    vacuums, next_vacuum = vacuums + 1, next_vacuum + every
                time.sleep(SAMPLE_SECONDS)
            while (left := settled())[0] > 0:
                time.sleep(0.05)
        curve.append((n, status_kib(worker.pid, "VmRSS")))
        peak = status_kib(worker.pid, "VmHWM")
        after = _cpu(worker.pid, sandbox_pid)
    finally:
        stop(worker)
    cpu = {name: after[name] - before.get(name, 0.0) for name in after}
    cpu["other"] = max(cpu["other"], 0.0)
    return launched, left, peak, curve, cpu, vacuums


def measure(args: argparse.Namespace, n: int) -> Measured:
    """Fresh database and sandbox, the scene for N, the planner, then one worker."""
    log(f"N = {n:,}: fresh database {PG_NAME}, sandbox on CPU {args.sandbox_cpu}")
    fresh_database(PG_NAME)
    with sandbox(args.sandbox_cpu) as (base, sandbox_pid):
        _scene(n, base)
        waited = wait_quiet(args.quiet_wait)
        if waited > 3.5:
            log(f"  waited {waited:.0f} s for a quiet machine")
        # Copied now, not before the scene: the content must match the code the children run.
        content = content_copy(RESULTS / "reviews")
        planner = child(["taskset", "-c", str(args.worker_cpu), sys.executable, "-m",
                         "bench.reviews.plan", str(content)], env(base, content))  # fmt: skip
        planned = json.loads(planner.output.splitlines()[-1])
        log(
            f"  planned in {planner.seconds:.1f} s (plan() {planned['plan_seconds']:.1f} s, "
            f"commit {planned['commit_seconds']:.1f} s), peak RSS "
            f"{planner.peak_rss_kib / 1024:.1f} MiB: {planned['reminders']:,} reminders"
        )
        if args.vacuum:
            vacuum("outbox_message", "review_record", "review_transition")
        launched, left, peak, curve, cpu, vacuums = _drain(args, n, base, content, sandbox_pid)
        result = Measured(n, planner, planned, launched, left[1], left[2], peak, curve, cpu,
                          vacuums)  # fmt: skip
        check(result, base)
    log(
        f"  N = {n:,}: planned {result.planner.seconds:.1f} s + delivered "
        f"{result.worker_seconds:.1f} s = {result.seconds:.1f} s; steady "
        f"{result.steady_rate:.0f}/s; peak RSS planner {planner.peak_rss_kib / 1024:.1f} MiB, "
        f"worker {peak / 1024:.1f} MiB"
        + (f"  PROBLEMS: {'; '.join(result.problems)}" if result.problems else "")
    )
    return result


def check(result: Measured, base: str) -> None:
    """Note everything that makes a measurement untrustworthy in result.problems."""
    problems, n, planned = result.problems, result.n, result.planned
    if (planned["created"], planned["reminders"], planned["reminded"]) != (n, n, n):
        problems.append(
            f"the planner created {planned['created']} records, queued "
            f"{planned['reminders']} reminders, reminded {planned['reminded']}"
        )
    calls = httpx.get(f"{base}/_sandbox/calls", timeout=30).json()
    if calls["template"] != n:
        problems.append(f"{calls['template']} template calls for {n} reminders")
    received = httpx.get(f"{base}/_sandbox/messages", params={"channel": "template"}, timeout=600)
    messages = received.json()
    got = Counter(m["touser"] for m in messages)
    if set(got) != {openid(i) for i in range(n)} or any(c != 1 for c in got.values()):
        problems.append(f"the sandbox holds {len(messages)} templates, not one for each of {n}")
    [field_name] = FIELDS
    if any("独生子女年审" not in m["payload"]["data"][field_name]["value"] for m in messages):
        problems.append("a template does not carry the reminder's text")
    query = "SELECT status, channel, count(*) FROM outbox_message GROUP BY status, channel"
    with psycopg.connect(PG_DIRECT, autocommit=True) as conn:
        rows = conn.execute(query).fetchall()
    if [(s, c, k) for s, c, k in rows] != [("sent", "template", n)]:
        problems.append(f"outbox rows by status and channel: {rows}")
    share = 100 * result.cpu["other"] / max(result.worker_seconds, 1e-9)
    if share > NOISY_PCT:
        problems.append(f"noisy: other processes used {share:.0f}% of a CPU during the drain")


# -- report -----------------------------------------------------------------------------------


def report(args: argparse.Namespace, results: list[Measured], info: dict[str, str],
           command: str, started: datetime) -> str:  # fmt: skip
    """The Markdown report."""
    upkeep = (
        "the runner ran VACUUM ANALYZE on the outbox after planning and after every 10 % of N "
        "sent, standing in for autovacuum"
        if args.vacuum
        else "no VACUUM or ANALYZE after planning or during the drain"
    ) + ("" if autovacuum_on() else "; the server's autovacuum is off")
    lines = [
        f"# Reminder benchmark, {started:%Y-%m-%d %H:%M}",
        "",
        f"Command: `{command}`",
        "",
        f"N residents due for 独生子女年审 (window open, bound herself, following, no 48-hour "
        f"window). `python -m bench.reviews.plan` (CPU {args.worker_cpu}) runs the planner once "
        f"and commits; then one `linli worker` (CPU {args.worker_cpu}) sends every reminder as a "
        f"template into the standalone sandbox (CPU {args.sandbox_cpu}); PostgreSQL unpinned, "
        f"database {PG_NAME} recreated per N; {upkeep}.",
        "",
        "| N | planner s | plan() s | planner peak RSS MiB | worker s | steady/s "
        "| worker peak RSS MiB | planned + delivered s | worker CPU ms/msg | PG CPU ms/msg "
        "| other CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c = {k: 1000 * v / r.n for k, v in r.cpu.items()}
        lines.append(
            f"| {r.n:,} | {r.planner.seconds:.1f} | {r.planned['plan_seconds']:.1f} "
            f"| {r.planner.peak_rss_kib / 1024:.1f} | {r.worker_seconds:.1f} "
            f"| {r.steady_rate:.0f} | {r.worker_rss_kib / 1024:.1f} | **{r.seconds:.1f}** "
            f"| {c['worker']:.2f} | {c['postgres']:.2f} "
            f"| {100 * r.cpu['other'] / max(r.worker_seconds, 1e-9):.0f}% |"
        )
    lines += ["", "Worker RSS as it went (templates sent: MiB):", ""]
    for r in results:
        curve = ", ".join(f"{done:,}: {kib / 1024:.1f}" for done, kib in r.rss_curve)
        lines.append(f"- N = {r.n:,}: {curve}")
    lines += ["", "The planner's slowest statements (seconds, rows):", ""]
    for r in results:
        slowest = "; ".join(f"`{s['sql'][:60]}…` {s['seconds']:.2f} s, {s['rows']:,}"
                            for s in r.planned["slowest"][:4])  # fmt: skip
        lines.append(f"- N = {r.n:,} ({r.planned['statements']} statements): {slowest}")
    lines.append("")
    small = next((r for r in results if r.n == 20_000), None)
    if small is not None:
        met = "met" if small.seconds <= TARGET_SECONDS else "**not met**"
        lines.append(f"- 20,000 planned and delivered: **{small.seconds:.1f} s** "
                     f"(target ≤ {TARGET_SECONDS:.0f} s: {met})")  # fmt: skip
    if len(results) >= 2:
        a, b = results[0], results[-1]
        ratio = b.seconds / a.seconds
        met = "met" if ratio <= TARGET_TIME_RATIO else "**not met**"
        lines.append(f"- time ratio N={b.n:,} / N={a.n:,}: **{ratio:.2f}×** "
                     f"(target ≤ {TARGET_TIME_RATIO:.0f}×: {met})")  # fmt: skip
        for name, x, y in (("planner", a.planner.peak_rss_kib, b.planner.peak_rss_kib),
                           ("worker", a.worker_rss_kib, b.worker_rss_kib)):  # fmt: skip
            met = "met" if y / x <= TARGET_RSS_RATIO else "**not met**"
            lines.append(f"- {name} peak RSS ratio: **{y / x:.2f}×** "
                         f"(target ≤ {TARGET_RSS_RATIO}×: {met})")  # fmt: skip
    problems = [f"N={r.n}: {p}" for r in results for p in r.problems]
    lines += closing_lines(
        problems,
        "the planner created one record and queued one reminder per resident; the sandbox got "
        "exactly one template per resident, carrying the reminder's text (no retries); every "
        "outbox row ended `sent` by template; other processes used under 15 % of a CPU.",
        info,
    )
    return "\n".join(lines)


def main() -> None:
    """Parse options, measure each N, print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,200000", help="comma-separated N")
    parser.add_argument("--worker-cpu", type=int, default=0)
    parser.add_argument("--sandbox-cpu", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per drain")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="seconds to wait at most for a quiet machine")  # fmt: skip
    parser.add_argument("--vacuum", choices=("auto", "always", "never"), default="auto",
                        help="stand in for autovacuum (auto: if the server has none)")  # fmt: skip
    args = parser.parse_args()
    args.vacuum = args.vacuum == "always" or (args.vacuum == "auto" and not autovacuum_on())
    sizes = [int(s) for s in args.sizes.split(",")]
    command = command_line("bench.reviews.run")
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine(httpx=httpx.__version__)
    started = datetime.now()
    out = RESULTS / f"reviews-{started:%Y-%m-%d-%H%M}.md"
    results: list[Measured] = []
    for n in sizes:
        results.append(measure(args, n))
        text = report(args, results, info, command, started)
        out.write_text(text, encoding="utf-8")  # each N as soon as it is measured
    print(text)
    log(f"written to {out.relative_to(ROOT)}")
    if any(r.problems for r in results):
        sys.exit("some measurements are not trustworthy: see Checks")


if __name__ == "__main__":
    main()
