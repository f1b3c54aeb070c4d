"""Run the webhook benchmark: bare, echo and Linli under wrk, three rounds, medians and ratios."""

from __future__ import annotations

import argparse
import json
import os
import platform
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

import httpx
import psycopg

from bench.webhook.pushes import TURNS, Account, openid, write_requests
from store.db import make_engine
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "bench" / "results"
LUA = HERE / "pushes.lua"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
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
    rps: float
    p50_ms: float
    p99_ms: float
    stats: dict
    rows: int | None = None  # inbound_message rows added during the measurement (Linli)
    problems: list[str] = field(default_factory=list)


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


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


def fresh_database() -> None:
    """Drop and recreate linli_bench, then migrate it to head."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_NAME}")
    engine = make_engine(PG_URL)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def count_rows() -> tuple[int, int]:
    """inbound_message rows once the server has drained, and how many were stored with an error."""
    query = "SELECT count(*), count(*) FILTER (WHERE error IS NOT NULL) FROM inbound_message"
    last = (-1, -1)
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        for _ in range(100):  # requests wrk left in flight are still being handled
            now = conn.execute(query).fetchone()
            if now == last:
                break
            last = now
            time.sleep(0.5)
    return int(last[0]), int(last[1])


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    with psycopg.connect(PG_ADMIN) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    import uvicorn

    return {
        "cpu": f"{cpu} × {os.cpu_count()}",
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", platform.system()),
        "python": platform.python_version(),
        "uvicorn": uvicorn.__version__,
        "postgresql": pg,
        "wrk": (wrk.stdout or wrk.stderr).split("[")[0].strip(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- servers ----------------------------------------------------------------------------------


@contextmanager
def server(target: str, cpu: int, env: dict[str, str]) -> Iterator[str]:
    """Run one target under uvicorn (one worker, pinned to `cpu`); yields its base URL."""
    command = [
        "taskset",
        "-c",
        str(cpu),
        sys.executable,
        "-m",
        "uvicorn",
        TARGETS[target],
        "--host",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
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
        yield base
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


def wrk(
    args: argparse.Namespace,
    base: str,
    data: Path,
    first: int,
    last: int,
    duration: int,
    expect: str,
    raw: list[str],
    label: str,
) -> dict:
    """Run wrk on the client CPU over lines first..last of `data`; its BENCH summary."""
    command = [
        "taskset",
        "-c",
        str(args.client_cpu),
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(LUA),
        f"{base}/wechat",
        "--",
        str(data),
        str(args.threads),
        str(first),
        str(last),
        expect,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    raw.append(f"### {label}\n$ {' '.join(command)}\n{done.stdout}{done.stderr}")
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"wrk printed no BENCH line:\n{done.stdout}")
    return json.loads(line.removeprefix("BENCH "))


def measure(
    args: argparse.Namespace, target: str, number: int, data: Path, account: Account, raw: list[str]
) -> Measured:
    """Verify, warm up and measure one target in one round."""
    env = {**account.env(), "PYTHONDONTWRITEBYTECODE": "1"}
    if target == "linli":
        fresh_database()
        env |= {"LINLI_DATABASE_URL": PG_URL, "LINLI_ENV": "dev"}
        env.pop("LINLI_WECHAT_MAX_CLOCK_SKEW", None)  # keep the production default (300 s)
    expect = EXPECT[target]
    with server(target, args.server_cpu, env) as base:
        reply = verify(target, base, account)
        log(f"  {target}: verified (reply {reply[:24]!r}…)")
        warm = wrk(
            args,
            base,
            data,
            1,
            args.warmup_requests,
            args.warmup,
            expect,
            raw,
            f"round {number} {target} warm-up",
        )
        before = count_rows() if target == "linli" else (0, 0)
        stats = wrk(
            args,
            base,
            data,
            args.warmup_requests + 1,
            args.requests,
            args.duration,
            expect,
            raw,
            f"round {number} {target}",
        )
        after = count_rows() if target == "linli" else (0, 0)
    rps = stats["requests"] / (stats["duration_us"] / 1e6)
    result = Measured(target, number, rps, stats["p50_us"] / 1000, stats["p99_us"] / 1000, stats)
    errors = sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    if stats["bad_status"] or stats["status_errors"]:
        result.problems.append(f"{stats['bad_status']} non-200 responses")
    if stats["bad_body"]:
        result.problems.append(f"{stats['bad_body']} replies without {expect!r}")
    if errors:
        result.problems.append(f"{errors} socket errors or timeouts")
    if target == "linli":
        result.rows = after[0] - before[0]
        if warm["wraps"] or stats["wraps"]:
            result.problems.append("the request pool wrapped (MsgIds reused): raise --requests")
        if not stats["requests"] <= result.rows <= stats["sent"]:
            result.problems.append(
                f"{result.rows} rows stored for {stats['requests']} completed requests"
            )
        if after[1]:
            result.problems.append(f"{after[1]} messages stored with a flow error")
    log(
        f"  {target}: {rps:8.1f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
        + (f"  rows {result.rows}" if result.rows is not None else "")
        + (f"  PROBLEMS: {'; '.join(result.problems)}" if result.problems else "")
    )
    return result


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
) -> tuple[str, bool]:
    """The Markdown report, and whether every check passed."""
    lines = [
        f"# Webhook benchmark, {started:%Y-%m-%d %H:%M}",
        "",
        f"Command: `{command}`",
        "",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency (after a "
        f"{args.warmup} s warm-up); server on CPU {args.server_cpu} (uvicorn, one worker), wrk on "
        f"CPU {args.client_cpu}; {args.rounds} rounds, each target restarted per round; Linli on "
        f"a freshly migrated PostgreSQL database per round.",
        "",
        "| round | target | req/s | p50 ms | p99 ms | requests | non-200 | rows stored |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: (r.round, list(TARGETS).index(r.target))):
        rows = "" if r.rows is None else str(r.rows)
        lines.append(
            f"| {r.round} | {r.target} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.stats['requests']} | {r.stats['bad_status'] + r.stats['status_errors']} | {rows} |"
        )
    lines += [
        "",
        "**Median of the rounds**",
        "",
        "| target | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for target in TARGETS:
        lines.append(
            f"| {target} | {median(results, target, 'rps'):.0f} | "
            f"{median(results, target, 'p50_ms'):.2f} | {median(results, target, 'p99_ms'):.2f} |"
        )
    linli, echo, bare = (median(results, t, "rps") for t in ("linli", "echo", "bare"))
    p99 = median(results, "linli", "p99_ms")
    met = linli >= 0.6 * echo and p99 <= 50
    problems = [f"round {r.round} {r.target}: {p}" for r in results for p in r.problems]
    lines += [
        "",
        f"- Linli / echo (req/s): **{linli / echo:.2f}×** (target ≥ 0.60×)",
        f"- echo / bare (req/s): **{echo / bare:.2f}×**",
        f"- Linli / bare (req/s): {linli / bare:.2f}×",
        f"- Linli p99 at {args.connections} connections: **{p99:.2f} ms** (target ≤ 50 ms)",
        f"- Target {'MET' if met else 'NOT MET'}.",
        "",
        "Checks: "
        + (
            "; ".join(problems)
            if problems
            else "every response was 200 with the expected body; no MsgId reused; Linli "
            "stored one inbound_message row per request (rows may exceed completed "
            "requests by the few wrk left in flight at the end), none with an error."
        ),
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "",
    ]
    return "\n".join(lines), not problems


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
    parser.add_argument("--requests", type=int, default=60_000, help="pushes built per round")
    parser.add_argument(
        "--warmup-requests", type=int, default=10_000, help="of which the warm-up uses the first N"
    )
    parser.add_argument("--residents", type=int, default=3_000, help="distinct openids")
    parser.add_argument("--targets", default=",".join(RUN_ORDER))
    args = parser.parse_args()
    targets = [t for t in RUN_ORDER if t in args.targets.split(",")]

    ensure_wrk()
    started = datetime.now()
    command = (
        "make -C bench webhook"
        if os.environ.get("BENCH_FROM_MAKE")
        else " ".join(["python -m bench.webhook.run", *sys.argv[1:]])
    )
    info = machine()
    account = Account.random()
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw: list[str] = []
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        data = Path(tmp) / "pushes.txt"
        for number in range(1, args.rounds + 1):
            log(f"round {number}/{args.rounds}: building {args.requests} pushes")
            write_requests(data, account, args.requests, args.residents)
            for target in targets:
                results.append(measure(args, target, number, data, account, raw))
    if set(targets) != set(TARGETS):
        for r in results:
            log(f"{r.round} {r.target} {r.rps:.0f} req/s p50 {r.p50_ms:.2f} p99 {r.p99_ms:.2f}")
        return
    text_, ok = report(args, results, info, command, started)
    stamp = f"{started:%Y-%m-%d-%H%M}"
    out = RESULTS / f"webhook-{stamp}.md"
    out.write_text(text_, encoding="utf-8")
    (RESULTS / f"webhook-{stamp}.log").write_text("\n".join(raw), encoding="utf-8")
    print(text_)
    log(f"written to {out.relative_to(ROOT)} (raw wrk output in {out.with_suffix('.log').name})")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
