"""Run the registry benchmark: `linli import residents` of 25,000 and 100,000 XLSX rows (time,
peak RSS; the smaller as the baseline for flatness), and resident search on PostgreSQL with
1,000,000 residents (p50/p95 per kind, against a primary-key fetch)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bench.machine import RESULTS, closing_lines, command_line, log, machine, wait_quiet
from bench.registry import imports, search
from store.registry.search import COUNT_UP_TO

IMPORT_TARGET_S = 60.0
SEARCH_TARGET_MS = 50.0
FLAT = 1.10  # peak RSS of the large import over the small one's, at most


def _matched(count: int) -> str:
    """How many the last query matched; the search counts up to COUNT_UP_TO, then says more."""
    return f"> {COUNT_UP_TO:,}" if count > COUNT_UP_TO else f"{count:,}"


def import_lines(sizes: list[int], quiet: float, problems: list[str]) -> list[str]:
    """Import each size (and only read it, the floor); a table and the ratios."""
    runs = []
    for rows in sizes:
        wait_quiet(quiet)
        floor = imports.read_sheet(rows)
        done = imports.import_sheet(rows)
        log(f"  {rows:,} rows: import {done.seconds:.1f} s, peak RSS {done.peak_rss_mib:.1f} MiB"
            f" (read only {floor.seconds:.1f} s, {floor.peak_rss_mib:.1f} MiB)")  # fmt: skip
        if f"新增 {rows}" not in done.output:
            problems.append(f"{rows:,}-row import did not add every row: {done.output!r}")
        runs.append((rows, floor, done))
    lines = [
        "| rows | import s | rows/s | peak RSS MiB | CPU s | read only s | read only RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, floor, done in runs:
        lines.append(
            f"| {rows:,} | {done.seconds:.1f} | {rows / done.seconds:,.0f} | "
            f"{done.peak_rss_mib:.1f} | {done.cpu_seconds:.1f} | {floor.seconds:.1f} | "
            f"{floor.peak_rss_mib:.1f} |"
        )
    (small, _, first), (large, _, last) = runs[0], runs[-1]
    rss = last.peak_rss_mib / first.peak_rss_mib
    per_row = (last.seconds / large) / (first.seconds / small)
    lines += [
        "",
        f"- Peak RSS, {large:,} / {small:,} rows: **{rss:.2f}×** (flat: ≤ {FLAT:.2f}×).",
        f"- Time per row, {large:,} / {small:,} rows: {per_row:.2f}×.",
        f"- {large:,} rows in **{last.seconds:.1f} s** (target ≤ {IMPORT_TARGET_S:.0f} s).",
    ]
    if rss > FLAT:
        problems.append(f"import memory grew {rss:.2f}× from {small:,} to {large:,} rows")
    if large >= 100_000 and last.seconds > IMPORT_TARGET_S:
        problems.append(f"{large:,}-row import took {last.seconds:.1f} s")
    return lines


def search_lines(residents: int, queries: int, quiet: float, problems: list[str]) -> list[str]:
    """Seed (or reuse) the search database, then time each kind of search."""
    engine = search.seed(residents)
    try:
        wait_quiet(quiet)
        timings = search.measure(engine, residents, queries)
    finally:
        engine.dispose()
    base = timings[0].p50
    lines = [
        "| search | scope | p50 ms | p95 ms | p50 / primary key | matched (last query) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(f"| {t.kind} | {t.scope} | {t.p50:.2f} | {t.p95:.2f} | "
                     f"{t.p50 / base:.1f}× | {_matched(t.matched)} |")  # fmt: skip
        if t.p95 > SEARCH_TARGET_MS:
            problems.append(f"{t.kind} ({t.scope}) p95 {t.p95:.1f} ms")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write bench/results/registry-<date>-<time>.md; 1 if a check failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="25000,100000", help="import sizes, smallest first")
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="per kind of search")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="at most this long (s), wait for a quiet machine")  # fmt: skip
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    info = machine()
    problems: list[str] = []
    lines = [f"# Registry benchmark: {started:%Y-%m-%d %H:%M} UTC", "",
             f"`{command_line('bench.registry.run')}`", ""]  # fmt: skip
    if not args.skip_import:
        sizes = [int(size) for size in args.sizes.split(",")]
        lines += ["## Import (`linli import residents FILE --committee NAME`)", "",
                  *import_lines(sizes, args.quiet_wait, problems), ""]  # fmt: skip
    if not args.skip_search:
        found = search_lines(args.residents, args.queries, args.quiet_wait, problems)
        lines += [f"## Search ({args.residents:,} residents, {search.COMMITTEES} committees, "
                  f"{args.queries} queries a kind)", "", *found]  # fmt: skip
    lines += closing_lines(problems, "all targets met", info)
    report = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"registry-{started:%Y%m%d-%H%M%S}.md"
    path.write_text(report, encoding="utf-8")
    print(report)
    log(f"written to {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
