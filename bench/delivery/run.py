"""Run the delivery benchmark: one `linli worker` drains N pending customer-service messages
into the standalone sandbox over HTTP, on PostgreSQL; messages/s and the worker's peak RSS."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

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

PG_NAME = "linli_bench_delivery"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"
PG_DIRECT = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"
PORT = 8741
APP_ID, SECRET = "wxbenchdelivery01", "bench-delivery-secret"
PER_RESIDENT = 4  # under WeChat's 5 customer-service messages per 48-hour window
KIND = "reminder"  # not urgent; no template configured, so only the window can carry it
# High enough never to be the limit: the worker waits only when it runs ahead of this.
SEND_RATE = 100_000
SAMPLE_SECONDS = 0.5
# autovacuum's default analyze threshold (autovacuum_analyze_scale_factor) is 10 % of the rows.
VACUUM_EVERY = 0.1


@dataclass
class Measured:
    """One drain of N messages by one worker."""

    n: int
    launched: float  # wall clock when the worker was started
    first_sent: float  # sent_at of the first and last settled rows (the worker's clock)
    last_sent: float
    peak_rss_kib: int  # the worker's VmHWM just before it was stopped
    vacuums: int  # VACUUM ANALYZE runs the runner made in autovacuum's stead
    rss_curve: list[tuple[int, int]]  # (messages sent, worker VmRSS KiB) as it went
    cpu: dict[str, float]  # CPU seconds: worker, sandbox, postgres, other
    problems: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """From starting the worker process to the last row settled."""
        return self.last_sent - self.launched

    @property
    def rate(self) -> float:
        """Messages per second over `seconds`."""
        return self.n / self.seconds

    @property
    def steady_rate(self) -> float:
        """Messages per second between the first and the last settled row (no start-up)."""
        return (self.n - 1) / max(self.last_sent - self.first_sent, 1e-9)


# -- environment ------------------------------------------------------------------------------


def autovacuum_on() -> bool:
    """Whether the server runs autovacuum (the runner stands in for it when not)."""
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    return bool(row) and row[0] == "on"


def vacuum() -> None:
    """VACUUM ANALYZE the outbox, as autovacuum would after 10 % of its rows changed."""
    with psycopg.connect(PG_DIRECT, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE outbox_message")


def status_kib(pid: int, name: str) -> int:
    """A /proc/<pid>/status memory line (VmRSS, VmHWM) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise KeyError(name)


# -- the sandbox and the scene ----------------------------------------------------------------


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/_sandbox/calls", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def stop(process: subprocess.Popen[bytes], grace: float = 15) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def sandbox(cpu: int) -> Iterator[tuple[str, int]]:
    """The standalone sandbox under uvicorn, pinned to `cpu`; yields its URL and pid."""
    env = {**os.environ, "LINLI_WECHAT_APP_ID": APP_ID, "LINLI_WECHAT_APP_SECRET": SECRET}
    command = ["taskset", "-c", str(cpu), sys.executable, "-m", "bot.cli.sandbox"]
    command += ["--port", str(PORT)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(base):
            if process.poll() is not None:
                sys.exit(f"the sandbox exited with {process.returncode}")
            if time.monotonic() > deadline:
                sys.exit("the sandbox did not come up")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        stop(process)


def openid(i: int) -> str:
    """The i-th resident's openid (28 characters, like WeChat's)."""
    return f"oBench{i:022d}"


def notice(round_: int, i: int) -> str:
    """The notice resident i gets in round `round_`: unique, so the sandbox's copy is checked."""
    return f"【邻里】{round_ + 1}号通知：3号楼明天9:00-12:00停水，请提前储水。（{i}）"


async def open_windows(base: str, residents: int) -> None:
    """Every resident wrote to the account: a fresh 48-hour window in the sandbox."""
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(residents):
            queue.put_nowait(i)

        async def one() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                response = await client.post("/_sandbox/interactions", json={"openid": openid(i)})
                response.raise_for_status()

        await asyncio.gather(*(one() for _ in range(16)))


def scene(n: int) -> int:
    """N/4 residents who wrote an hour ago, and N pending messages, four rounds of one each.

    Rows are written with COPY, with exactly the values `outbox.enqueue` gives a new message.
    """
    residents = n // PER_RESIDENT
    now = datetime.now(UTC)
    wrote = now - timedelta(hours=1)
    with psycopg.connect(PG_DIRECT) as conn, conn.cursor() as cur:
        users = "openid, subscribed, first_seen, last_seen, last_message_at, subscribed_at"
        with cur.copy(f"COPY wechat_user ({users}) FROM STDIN") as copy:
            for i in range(residents):
                copy.write_row((openid(i), True, wrote, wrote, wrote, wrote))
        columns = "idempotency_key, audience, recipient, kind, payload, urgent, status, attempts, "
        columns += "next_attempt_at, created_at"
        with cur.copy(f"COPY outbox_message ({columns}) FROM STDIN") as copy:
            # Round after round, as four broadcasts would come: each claim meets 50 residents.
            for round_ in range(PER_RESIDENT):
                for i in range(residents):
                    payload = json.dumps({"text": notice(round_, i)}, ensure_ascii=False)
                    key = f"bench:{round_}:{i}"
                    copy.write_row(
                        (key, "resident", openid(i), KIND, payload, False, "pending", 0, now, now)
                    )
        conn.commit()
        cur.execute("ANALYZE")
    return residents


# -- one measurement --------------------------------------------------------------------------


def worker_env(base: str) -> dict[str, str]:
    """The worker's settings: this database and sandbox, no quiet hours, no rate limit."""
    return {
        **os.environ,
        "LINLI_ENV": "dev",
        "LINLI_DATABASE_URL": PG_URL,
        "LINLI_WECHAT_API_BASE": base,
        "LINLI_WECHAT_APP_ID": APP_ID,
        "LINLI_WECHAT_APP_SECRET": SECRET,
        "LINLI_QUIET_HOURS": "00:00-00:00",
        "LINLI_SEND_RATE_PER_SECOND": str(SEND_RATE),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def sent_so_far(base: str) -> int:
    """Customer-service calls the sandbox has answered."""
    return int(httpx.get(f"{base}/_sandbox/calls", timeout=10).json()["custom"])


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


@contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """Sample the worker with py-spy (every thread, waiting ones too: wall time) if asked to."""
    spy = Path(sys.executable).with_name("py-spy")
    if out is None or not spy.exists():
        yield
        return
    command = [str(spy), "record", "-p", str(pid), "--idle", "--threads", "-r", "100", "-f", "raw"]
    command += ["-o", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def measure(args: argparse.Namespace, n: int) -> Measured:
    """Fresh database and sandbox, the scene for N, then one worker drains it."""
    log(f"N = {n}: fresh database {PG_NAME}, sandbox on CPU {args.sandbox_cpu}")
    fresh_database(PG_NAME)
    with sandbox(args.sandbox_cpu) as (base, sandbox_pid):
        started = time.monotonic()
        residents = scene(n)
        asyncio.run(open_windows(base, residents))
        took = time.monotonic() - started
        log(f"  {residents} residents × {PER_RESIDENT} messages ready ({took:.0f} s)")
        waited = wait_quiet()
        if waited > 3.5:
            log(f"  waited {waited:.0f} s for a quiet machine")
        before = _cpu(None, sandbox_pid)
        command = ["taskset", "-c", str(args.worker_cpu), sys.executable, "-m", "bot.cli"]
        command += ["worker", "--idle-seconds", "0.2"]
        worker_log = RESULTS / f"delivery-worker-{n}.log"
        launched = time.time()
        with worker_log.open("w") as out:
            worker = subprocess.Popen(
                command, cwd=ROOT, env=worker_env(base), stdout=out, stderr=subprocess.STDOUT
            )
        spy = RESULTS / f"profile-delivery-{n}.raw" if args.profile else None
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
                        sys.exit(f"N = {n}: not drained after {args.timeout} s ({done} sent)")
                    if done >= next_mark:
                        curve.append((done, status_kib(worker.pid, "VmRSS")))
                        next_mark += n / 10
                    if done >= next_vacuum:
                        vacuum()
                        vacuums, next_vacuum = vacuums + 1, next_vacuum + every
                    time.sleep(SAMPLE_SECONDS)
                while (left := settled())[0] > 0:  # the last sends' rows are being settled
                    time.sleep(0.05)
            curve.append((n, status_kib(worker.pid, "VmRSS")))
            peak = status_kib(worker.pid, "VmHWM")
            after = _cpu(worker.pid, sandbox_pid)
        finally:
            stop(worker)
        cpu = {name: after[name] - before.get(name, 0.0) for name in after}
        # /proc/stat and the per-process counts tick separately: "other" can dip just below 0.
        cpu["other"] = max(cpu["other"], 0.0)
        result = Measured(n, launched, left[1], left[2], peak, vacuums, curve, cpu)
        check(result, base, residents)
    log(
        f"  N = {n}: {result.seconds:.1f} s, {result.rate:.0f} msg/s "
        f"(steady {result.steady_rate:.0f}), peak RSS {peak / 1024:.1f} MiB, CPU ms/msg "
        + ", ".join(f"{k} {1000 * v / n:.2f}" for k, v in cpu.items())
        + (f"  PROBLEMS: {'; '.join(result.problems)}" if result.problems else "")
    )
    return result


def _cpu(worker_pid: int | None, sandbox_pid: int) -> dict[str, float]:
    """CPU seconds so far: worker, sandbox, PostgreSQL, this runner, and the machine's total."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    used = {
        "worker": process_cpu(worker_pid) if worker_pid else 0.0,
        "sandbox": process_cpu(sandbox_pid),
        "postgres": postgres_cpu(),
        "runner": me.ru_utime + me.ru_stime,
    }
    busy = sum(b for b, _ in cpu_times().values())
    used["other"] = busy - sum(used.values())
    return used


def check(result: Measured, base: str, residents: int) -> None:
    """Note everything that makes a measurement untrustworthy in result.problems."""
    problems, n = result.problems, result.n
    calls = httpx.get(f"{base}/_sandbox/calls", timeout=30).json()
    if calls["custom"] != n:
        problems.append(f"{calls['custom']} customer-service calls for {n} messages")
    received = httpx.get(f"{base}/_sandbox/messages", params={"channel": "custom"}, timeout=600)
    messages = received.json()
    got = Counter((m["touser"], m["payload"]["text"]["content"]) for m in messages)
    want = {(openid(i), notice(r, i)) for r in range(PER_RESIDENT) for i in range(residents)}
    if set(got) != want or any(count != 1 for count in got.values()):
        problems.append(f"the sandbox holds {len(messages)} messages, not the {n} expected once")
    query = "SELECT status, channel, count(*) FROM outbox_message GROUP BY status, channel"
    with psycopg.connect(PG_DIRECT, autocommit=True) as conn:
        rows = conn.execute(query).fetchall()
    if [(s, c, k) for s, c, k in rows] != [("sent", "custom", n)]:
        problems.append(f"outbox rows by status and channel: {rows}")
    if 100 * result.cpu["other"] / result.seconds > NOISY_PCT:
        share = 100 * result.cpu["other"] / result.seconds
        problems.append(f"noisy: other processes used {share:.0f}% of a CPU")


# -- report -----------------------------------------------------------------------------------


def report(
    args: argparse.Namespace, results: list[Measured], info: dict[str, str], command: str,
    started: datetime,
) -> str:  # fmt: skip
    """The Markdown report."""
    upkeep = (
        "the runner ran `VACUUM ANALYZE outbox_message` after every 10 % of N sent, standing in "
        "for autovacuum (whose default analyze threshold is 10 % of the rows)"
        if args.vacuum
        else "no VACUUM or ANALYZE during the drain"
    ) + ("" if autovacuum_on() else "; the server's autovacuum is off")
    lines = [
        f"# Delivery benchmark, {started:%Y-%m-%d %H:%M}",
        "",
        f"Command: `{command}`",
        "",
        f"One `linli worker` (CPU {args.worker_cpu}) drains N pending customer-service messages "
        f"into the standalone sandbox (`python -m bot.cli_sandbox`, CPU {args.sandbox_cpu}) over "
        f"HTTP; PostgreSQL unpinned, database {PG_NAME} recreated per N. N/4 residents with open "
        f"windows × 4 messages, in four rounds; LINLI_SEND_RATE_PER_SECOND={SEND_RATE}, batch "
        f"and lease at their defaults (50, 120 s); {upkeep}.",
        "",
        "| N | seconds | msg/s | steady msg/s | peak RSS MiB | worker CPU ms/msg "
        "| sandbox CPU ms/msg | PG CPU ms/msg | other CPU | VACUUMs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c = {k: 1000 * v / r.n for k, v in r.cpu.items()}
        lines.append(
            f"| {r.n:,} | {r.seconds:.1f} | {r.rate:.0f} | {r.steady_rate:.0f} "
            f"| {r.peak_rss_kib / 1024:.1f} | {c['worker']:.2f} | {c['sandbox']:.2f} "
            f"| {c['postgres']:.2f} | {100 * r.cpu['other'] / r.seconds:.0f}% | {r.vacuums} |"
        )
    lines += ["", "Worker RSS as it went (messages sent: MiB):", ""]
    for r in results:
        curve = ", ".join(f"{done:,}: {kib / 1024:.1f}" for done, kib in r.rss_curve)
        lines.append(f"- N = {r.n:,}: {curve}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        lines += [
            "",
            f"- time ratio N={large.n:,} / N={small.n:,}: **{large.seconds / small.seconds:.2f}×** "
            f"(N ratio {large.n / small.n:.0f}×; steady-rate ratio "
            f"{small.steady_rate / large.steady_rate:.2f}×)",
            f"- peak RSS ratio: **{large.peak_rss_kib / small.peak_rss_kib:.2f}×**",
        ]
    problems = [f"N={r.n}: {p}" for r in results for p in r.problems]
    lines += [
        *closing_lines(
            problems,
            "every message reached the sandbox exactly once with its own text (one call "
            "each, no retries), every outbox row ended `sent` by customer service, and other "
            "processes used under 15 % of a CPU.",
            info,
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse options, measure each N, print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,200000", help="comma-separated N")
    parser.add_argument("--worker-cpu", type=int, default=0)
    parser.add_argument("--sandbox-cpu", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per N")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker")
    parser.add_argument(
        "--vacuum",
        choices=("auto", "always", "never"),
        default="auto",
        help="VACUUM ANALYZE the outbox every 10%% of N (auto: if the server has no autovacuum)",
    )
    args = parser.parse_args()
    args.vacuum = args.vacuum == "always" or (args.vacuum == "auto" and not autovacuum_on())
    sizes = [int(s) for s in args.sizes.split(",")]
    command = command_line("bench.delivery.run")
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine(httpx=httpx.__version__)
    started = datetime.now()
    results = [measure(args, n) for n in sizes]
    text = report(args, results, info, command, started)
    out = RESULTS / f"delivery-{started:%Y-%m-%d-%H%M}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    log(f"written to {out.relative_to(ROOT)}")
    if any(r.problems for r in results):
        sys.exit("some measurements are not trustworthy: see Checks")


if __name__ == "__main__":
    main()
