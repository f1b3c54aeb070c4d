"""Run the webhook benchmark: bare, echo and Linli under wrk, three rounds, medians and ratios."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.machine import (
    NOISY_PCT,
    PG_ADMIN,
    RESULTS,
    ROOT,
    CpuMeter,
    closing_lines,
    command_line,
    fresh_database,
    log,
    machine,
    wait_quiet,
)
from bench.webhook.pushes import TURNS, Account, openid, write_requests

LUA = Path(__file__).resolve().parent / "pushes.lua"
PG_NAME = "linli_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"
PORT = 8731

TARGETS: dict[str, str] = {
    "bare": "bench.webhook.baselines:bare",
    "echo": "bench.webhook.baselines:echo",
    "linli": "bot.main:app",
}
# Linli runs first in each round, so its pushes are seconds old (inside the default 300 s skew).
RUN_ORDER = ("linli", "echo", "bare")
EXPECT = {"bare": "success", "echo": "<Encrypt>", "linli": "<Encrypt>"}


@dataclass
class Measured:
    """One wrk measurement of one target."""

    target: str
    round: int
    stats: dict[str, Any]
    cpu: dict[str, Any]
    rows: int | None = None  # inbound_message rows added during the measurement (Linli)
    problems: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Completed requests per second, as wrk computes it."""
        return self.stats["requests"] / (self.stats["duration_us"] / 1e6)

    @property
    def p50_ms(self) -> float:
        """Median latency in milliseconds."""
        return self.stats["p50_us"] / 1000

    @property
    def p99_ms(self) -> float:
        """99th-percentile latency in milliseconds."""
        return self.stats["p99_us"] / 1000


# -- environment ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    log("wrk is missing: installing it with apt-get")
    subprocess.run([*sudo, "apt-get", "update"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk is still missing after apt-get install")


def webhook_machine() -> dict[str, str]:
    """The machine, with the server and the load generator this benchmark uses."""
    import uvicorn

    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return machine(
        uvicorn=f"{uvicorn.__version__} (asyncio loop, h11)",
        wrk=(version.stdout or version.stderr).split("[")[0].strip().removeprefix("wrk "),
    )


def count_rows() -> tuple[int, int]:
    """inbound_message rows once the server has drained, and how many carry an error."""
    query = "SELECT count(*), count(*) FILTER (WHERE error IS NOT NULL) FROM inbound_message"
    last: tuple[int, int] = (-1, -1)
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        for _ in range(100):  # requests wrk left in flight may still be running
            row = conn.execute(query).fetchone()
            now = (int(row[0]), int(row[1])) if row else (0, 0)
            if now == last:
                break
            last = now
            time.sleep(0.5)
    return last


def pg_sessions() -> int:
    """How many connections PostgreSQL has accepted into linli_bench so far."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (PG_NAME,)
        ).fetchone()
    return int(row[0]) if row else 0


# -- servers ----------------------------------------------------------------------------------


@contextmanager
def server(target: str, cpu: int, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """Run one target under uvicorn (one worker, pinned to `cpu`); yields its URL and pid."""
    command = ["taskset", "-c", str(cpu), sys.executable, "-m", "uvicorn", TARGETS[target]]
    command += ["--host", "127.0.0.1", "--port", str(PORT), "--workers", "1"]
    command += ["--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                sys.exit(f"{target} server exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"{target} server did not come up")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def verify(target: str, base: str, account: Account) -> str:
    """One fresh push must come back 200 with the expected (encrypted) reply; returns it."""
    pusher = account.pusher()
    sent = TURNS[0]
    pushed = pusher.build(pusher.text(openid(999_999), sent))
    response = httpx.post(f"{base}/wechat", params=pushed.params, content=pushed.body, timeout=10)
    if response.status_code != 200:
        sys.exit(f"{target}: verification push got {response.status_code}: {response.text[:200]}")
    if target == "bare":
        if response.text != "success":
            sys.exit(f"bare: expected 'success', got {response.text[:200]!r}")
        return "success"
    if "<Encrypt>" not in response.text:
        sys.exit(f"{target}: the reply is not encrypted: {response.text[:200]!r}")
    fields = pusher.read_reply(response.text) or {}
    content = str(fields.get("Content", ""))
    if target == "echo" and content != sent:
        sys.exit(f"echo: expected {sent!r} back, got {content!r}")
    if target == "linli" and not content:
        sys.exit(f"linli: empty reply content: {fields}")
    return content


# -- wrk --------------------------------------------------------------------------------------


@dataclass
class Load:
    """One wrk run: which lines of the request file, for how long, what a good reply holds."""

    data: Path
    first: int
    last: int
    seconds: int
    expect: str
    label: str


def wrk(args: argparse.Namespace, base: str, load: Load, raw: list[str]) -> dict[str, Any]:
    """Run wrk on the client CPU over lines first..last of the request file; its summary."""
    command = ["taskset", "-c", str(args.client_cpu), "wrk", f"-t{args.threads}"]
    command += [f"-c{args.connections}", f"-d{load.seconds}s", "--latency", "-s", str(LUA)]
    command += [f"{base}/wechat", "--", str(load.data), str(args.threads)]
    command += [str(load.first), str(load.last), load.expect]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    raw.append(f"### {load.label}\n$ {' '.join(command)}\n{done.stdout}{done.stderr}")
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"wrk printed no BENCH line:\n{done.stdout}")
    return json.loads(line.removeprefix("BENCH "))


@contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """Sample the server with py-spy (GIL holder only) while the block runs, if asked to."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if out is None or not Path(spy).exists():
        yield
        return
    command = [spy, "record", "-p", str(pid), "--gil", "-r", "100", "-f", "raw", "-o", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def measure(
    args: argparse.Namespace, target: str, number: int, data: Path, account: Account, raw: list[str]
) -> Measured:
    """Verify, warm up and measure one target in one round."""
    env = {**account.env(), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("LINLI_WECHAT_MAX_CLOCK_SKEW", None)  # keep the production default (300 s)
    if target == "linli":
        fresh_database(PG_NAME)
        env |= {"LINLI_DATABASE_URL": PG_URL, "LINLI_ENV": "dev"}
    expect = EXPECT[target]
    warm_load = Load(data, 1, args.warmup_requests, args.warmup, expect, f"{number} {target} warm")
    load = Load(
        data, args.warmup_requests + 1, args.requests, args.duration, expect, f"{number} {target}"
    )
    spy = RESULTS / f"profile-{target}-{number}.raw" if args.profile else None
    with server(target, args.server_cpu, env) as (base, pid):
        reply = verify(target, base, account)
        log(f"  {target}: verified (reply {reply[:24]!r}…)")
        wait_quiet()
        warm = wrk(args, base, warm_load, raw)
        before = count_rows() if target == "linli" else (0, 0)
        sessions = pg_sessions() if target == "linli" else 0
        with profiled(pid, spy), CpuMeter(pid) as meter:
            stats = wrk(args, base, load, raw)
        after = count_rows() if target == "linli" else (0, 0)
        sessions = pg_sessions() - sessions if target == "linli" else 0
    requests, seconds = max(stats["requests"], 1), stats["duration_us"] / 1e6
    cpu = {
        "server_pct": 100 * meter.used["server"] / seconds,
        "server_ms": 1000 * meter.used["server"] / requests,
        "pg_ms": 1000 * meter.used["postgres"] / requests,
        "wrk_pct": 100 * meter.used["wrk"] / seconds,
        "other_pct": 100 * meter.other / seconds,
        "busy": {name: round(100 * share) for name, share in meter.busy.items()},
        "pg_connections": sessions,
    }
    result = Measured(target, number, stats, cpu)
    check(result, warm, after, before)
    log(
        f"  {target}: {result.rps:8.1f} req/s  p50 {result.p50_ms:6.2f} ms  "
        f"p99 {result.p99_ms:6.2f} ms  server {cpu['server_pct']:.0f}% CPU "
        f"({cpu['server_ms']:.2f} ms/req)  pg {cpu['pg_ms']:.2f} ms/req  "
        f"other {cpu['other_pct']:.0f}%  busy {cpu['busy']}"
        + (f"  rows {result.rows}  new pg connections {sessions}" if target == "linli" else "")
        + (f"  PROBLEMS: {'; '.join(result.problems)}" if result.problems else "")
    )
    return result


def check(
    result: Measured, warm: dict[str, Any], after: tuple[int, int], before: tuple[int, int]
) -> None:
    """Note everything that makes a measurement untrustworthy in result.problems."""
    stats, problems = result.stats, result.problems
    errors = sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    if stats["bad_status"] or stats["status_errors"]:
        problems.append(f"{stats['bad_status']} non-200 responses")
    if stats["bad_body"]:
        problems.append(f"{stats['bad_body']} replies without {EXPECT[result.target]!r}")
    if errors:
        problems.append(f"{errors} socket errors or timeouts")
    if result.cpu["other_pct"] > NOISY_PCT:
        problems.append(f"noisy: other processes used {result.cpu['other_pct']:.0f}% of a CPU")
    if result.target != "linli":
        return
    result.rows = after[0] - before[0]
    if warm["wraps"] or stats["wraps"]:
        problems.append("the request pool wrapped (MsgIds reused): raise --requests")
    if not stats["requests"] <= result.rows <= stats["sent"]:
        problems.append(f"{result.rows} rows stored for {stats['requests']} completed requests")
    if after[1]:
        problems.append(f"{after[1]} messages stored with a flow error")


# -- report -----------------------------------------------------------------------------------


def median(results: list[Measured], target: str, attr: str) -> float:
    """The median of one figure over the rounds."""
    return statistics.median(getattr(r, attr) for r in results if r.target == target)


def report(
    args: argparse.Namespace,
    results: list[Measured],
    info: dict[str, str],
    command: str,
    started: datetime,
) -> str:
    """The Markdown report."""
    lines = [
        f"# Webhook benchmark, {started:%Y-%m-%d %H:%M}",
        "",
        f"Command: `{command}`",
        "",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency after a "
        f"{args.warmup} s warm-up; server on CPU {args.server_cpu} (uvicorn, one worker), wrk on "
        f"CPU {args.client_cpu}, PostgreSQL unpinned; {args.rounds} rounds, every server "
        "restarted per round; Linli on a freshly migrated PostgreSQL database per round.",
        "",
        "| round | target | req/s | p50 ms | p99 ms | requests | non-200 | rows stored "
        "| server CPU | server ms/req | PG ms/req | other CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: (r.round, list(TARGETS).index(r.target))):
        c = r.cpu
        lines.append(
            f"| {r.round} | {r.target} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {r.stats['requests']} | {r.stats['bad_status'] + r.stats['status_errors']} "
            f"| {'' if r.rows is None else r.rows} | {c['server_pct']:.0f}% "
            f"| {c['server_ms']:.2f} | {c['pg_ms']:.2f} | {c['other_pct']:.0f}% |"
        )
    lines += ["", "**Median of the rounds**", "", "| target | req/s | p50 ms | p99 ms |"]
    lines.append("|---|---:|---:|---:|")
    for target in TARGETS:
        rps, p50, p99 = (median(results, target, a) for a in ("rps", "p50_ms", "p99_ms"))
        lines.append(f"| {target} | {rps:.0f} | {p50:.2f} | {p99:.2f} |")
    linli, echo, bare = (median(results, t, "rps") for t in ("linli", "echo", "bare"))
    p99 = median(results, "linli", "p99_ms")
    met = linli >= 0.6 * echo and p99 <= 50
    problems = [f"round {r.round} {r.target}: {p}" for r in results for p in r.problems]
    sessions = [r.cpu["pg_connections"] for r in results if r.target == "linli"]
    lines += [
        "",
        f"- Linli / echo (req/s): **{linli / echo:.2f}×** (target ≥ 0.60×)",
        f"- echo / bare (req/s): **{echo / bare:.2f}×**",
        f"- Linli / bare (req/s): {linli / bare:.2f}×",
        f"- Linli p99 at {args.connections} connections: **{p99:.2f} ms** (target ≤ 50 ms)",
        f"- Target {'met' if met else 'NOT met'}.",
        f"- New PostgreSQL connections opened by Linli while measured: {sessions}",
        *closing_lines(
            problems,
            "every response was 200 with the expected body; no MsgId was reused; Linli "
            "stored one inbound_message row per request (rows may exceed completed requests "
            "by those wrk left in flight), none with an error; no other load on the machine.",
            info,
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse options, run every round, print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per target")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--requests", type=int, default=75_000, help="pushes built per round")
    parser.add_argument(
        "--warmup-requests", type=int, default=15_000, help="of which the warm-up uses the first"
    )
    parser.add_argument("--residents", type=int, default=3_000, help="distinct openids")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated subset")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the servers into bench/results/"
    )
    args = parser.parse_args()
    targets = [t for t in RUN_ORDER if t in args.targets.split(",")]

    ensure_wrk()
    command = command_line("bench.webhook.run")
    info = webhook_machine()
    account = Account.random()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.now()
    raw: list[str] = []
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        data = Path(tmp) / "pushes.txt"
        for number in range(1, args.rounds + 1):
            log(f"round {number}/{args.rounds}: building {args.requests} pushes")
            write_requests(data, account, args.requests, args.residents)
            for target in targets:
                results.append(measure(args, target, number, data, account, raw))
    stamp = f"{started:%Y-%m-%d-%H%M}"
    (RESULTS / f"webhook-{stamp}.log").write_text("\n".join(raw), encoding="utf-8")
    if set(targets) != set(TARGETS):
        return  # a partial run has no ratios; the per-run lines above are the output
    text = report(args, results, info, command, started)
    out = RESULTS / f"webhook-{stamp}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    log(f"written to {out.relative_to(ROOT)} (raw wrk output: {out.with_suffix('.log').name})")
    if any(r.problems for r in results):
        sys.exit("some measurements are not trustworthy: see Checks")


if __name__ == "__main__":
    main()
