#!/usr/bin/env python3
"""Backlog benchmark: `intake poll --once` on a full mailbox, against the floor and a naive peer.

    .venv/bin/python benchmarks/backlog.py                     # 2,000 applications, 3 rounds
    .venv/bin/python benchmarks/backlog.py --messages 400
    .venv/bin/python benchmarks/backlog.py --big-mb 25         # one 25 MB attachment: memory
    .venv/bin/python benchmarks/backlog.py --flat --rounds 1   # memory at 2,000 vs 8,000

A private Dovecot on loopback is seeded with N applications (benchmarks/applications.py; the
mails are cached on disk, so only the first run at a size generates them). Each round then runs
every contender, in a rotating order, each on a fresh copy of the mailbox, as a child process
timed from spawn to exit (start-up included) with its memory sampled:

  floor   benchmarks/floor.py: imapclient batch FETCH (debug formatting off), the standard
          library's parser, openpyxl read-only; no database, no fsync
  naive   benchmarks/naive_peer.py: imap_tools one message at a time, mail-parser, openpyxl
          default mode, one SQLite commit per message
  intake  the real `intake poll --once` on SQLite, with its own config (db upgraded first,
          not timed)

It prints each contender's median wall time and spread over the rounds, the ratios, peak
memory, whether every message was recorded, and the hard targets of issue 15 with PASS/FAIL.
The exit status is 1 when a contender failed or did not record every message, 0 otherwise
(a target's FAIL is a figure, not an error).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from applications import DEFAULT_PDF_BYTES, cached_mails, default_cache_dir, received_at
from harness import (
    BENCH_DIR,
    MB,
    IntakeDesk,
    MailServer,
    Measured,
    Target,
    load_average,
    mb,
    median_spread,
    print_table,
    print_targets,
    run_measured,
    stop_cleanly_on_sigterm,
)

CONTENDERS = ("floor", "naive", "intake")
LARGEST_LIMIT = 200 * MB
TREE_LIMIT = 400 * MB
FLAT_TOLERANCE = 0.10


@dataclass
class Run:
    measured: Measured
    recorded: str  # what the contender recorded, for the table
    ok: bool  # every message recorded as expected


@dataclass
class Results:
    messages: int
    runs: dict[str, list[Run]] = field(default_factory=lambda: {c: [] for c in CONTENDERS})

    def walls(self, contender: str) -> list[float]:
        return [r.measured.wall for r in self.runs[contender]]

    def largest(self, contender: str) -> int:
        return max(r.measured.largest_peak for r in self.runs[contender])

    def tree(self, contender: str) -> int:
        return max(r.measured.tree_peak for r in self.runs[contender])

    def ratios(self, numerator: str, denominator: str) -> list[float]:
        """Per-round time ratios (rounds interleave the contenders, so load hits both)."""
        return [
            a.measured.wall / b.measured.wall
            for a, b in zip(self.runs[numerator], self.runs[denominator], strict=True)
        ]

    @property
    def all_ok(self) -> bool:
        return all(run.ok for runs in self.runs.values() for run in runs)


def _script(name: str) -> list[str]:
    return [sys.executable, str(BENCH_DIR / name)]


def run_script_contender(
    script: str, server: MailServer, user: str, messages: int, extra: Sequence[str] = ()
) -> Run:
    argv = [*_script(script), "--port", str(server.port), "--user", user, *extra]
    measured = run_measured(argv, env=server.env())
    if measured.returncode != 0:
        print(measured.stderr, file=sys.stderr)
        return Run(measured, f"exit {measured.returncode}", False)
    figures = json.loads(measured.stdout.strip().splitlines()[-1])
    ok = figures["messages"] == messages and figures["complete"] == messages
    return Run(measured, f"{figures['complete']}/{messages} complete", ok)


def run_floor(server: MailServer, user: str, messages: int) -> Run:
    return run_script_contender("floor.py", server, user, messages)


def run_naive(server: MailServer, user: str, messages: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="intake-bench-naive-") as folder:
        database = str(Path(folder) / "naive.db")
        return run_script_contender(
            "naive_peer.py", server, user, messages, ["--database", database]
        )


def run_intake(server: MailServer, user: str, messages: int, attachment_max_bytes: int) -> Run:
    desk = IntakeDesk.create(server, user, attachment_max_bytes=attachment_max_bytes)
    try:
        measured = run_measured(desk.argv("poll", "--once"), env=desk.env)
        if measured.returncode != 0:
            print(measured.stdout, measured.stderr, file=sys.stderr)
        outcomes = desk.outcomes()
    finally:
        desk.remove()
    accepted = outcomes.get("accepted", 0)
    others = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()) if k != "accepted")
    recorded = f"{accepted}/{messages} accepted" + (f" ({others})" if others else "")
    ok = measured.returncode == 0 and accepted == messages and sum(outcomes.values()) == messages
    return Run(measured, recorded, ok)


def seed_server(server: MailServer, paths: Sequence[Path], seed: int) -> str:
    def mails() -> Iterator[tuple[bytes, datetime]]:
        for path in paths:
            yield path.read_bytes(), received_at(seed, int(path.stem))

    print(f"seeding the private Dovecot with {len(paths)} mails", flush=True)
    return server.seed(mails())


def measure(
    server: MailServer,
    template: str,
    messages: int,
    rounds: int,
    contenders: Sequence[str],
    attachment_max_bytes: int,
) -> Results:
    runners: dict[str, Callable[[MailServer, str, int], Run]] = {
        "floor": run_floor,
        "naive": run_naive,
        "intake": lambda s, u, n: run_intake(s, u, n, attachment_max_bytes),
    }
    results = Results(messages)
    for round_no in range(rounds):
        # A rotating order: no contender always runs first, or right after the same one.
        order = [contenders[(i + round_no) % len(contenders)] for i in range(len(contenders))]
        for contender in order:
            user = server.clone(template)
            try:
                run = runners[contender](server, user, messages)
            finally:
                server.drop(user)
            results.runs[contender].append(run)
            m = run.measured
            print(
                f"round {round_no + 1}/{rounds} {contender:<6} {m.wall:7.2f} s  "
                f"largest {mb(m.largest_peak)}, tree {mb(m.tree_peak)}  {run.recorded}",
                flush=True,
            )
    return results


def report(results: Results, contenders: Sequence[str], *, timing: bool) -> None:
    n = results.messages
    print(f"\n{n} messages, {len(results.runs[contenders[0]])} round(s); {load_average()}")
    headers = ["contender", "wall s median [min-max]", "messages/s", "largest process", "tree"]
    rows = []
    for contender in contenders:
        walls = results.walls(contender)
        rows.append(
            [
                contender,
                median_spread(walls),
                f"{n / statistics.median(walls):.1f}",
                mb(results.largest(contender)),
                mb(results.tree(contender)),
            ]
        )
    print_table(
        [*headers, "recorded"],
        [[*r, results.runs[c][-1].recorded] for r, c in zip(rows, contenders, strict=True)],
    )
    print("  (memory: the highest peak over the rounds; tree = sampled sum over all processes)")
    if not timing or "intake" not in contenders:
        return
    print("\ntime ratios per round, median [min-max] (lower is better for intake):")
    for other in ("floor", "naive"):
        if other in contenders:
            print(f"  intake/{other:<5} {median_spread(results.ratios('intake', other))}")


def memory_targets(results: Results, label: str) -> list[Target]:
    largest, tree = results.largest("intake"), results.tree("intake")
    return [
        Target(f"largest process < 200 MB ({label})", largest < LARGEST_LIMIT, mb(largest)),
        Target(f"process tree < 400 MB ({label})", tree < TREE_LIMIT, mb(tree)),
    ]


def throughput_targets(results: Results) -> list[Target]:
    floor = statistics.median(results.ratios("floor", "intake"))  # = intake's throughput share
    naive = statistics.median(results.ratios("naive", "intake"))
    return [
        Target("intake throughput >= 0.8x floor", floor >= 0.8, f"{floor:.2f}x"),
        Target("intake throughput >= 1.0x floor", floor >= 1.0, f"{floor:.2f}x", kind="goal"),
        Target("intake throughput >= 3x naive", naive >= 3.0, f"{naive:.2f}x", kind="goal"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000, help="applications (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="which generated applications")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated subset of floor,naive,intake (default: all)",
    )
    parser.add_argument(
        "--big-mb",
        type=float,
        metavar="MB",
        help="instead: one application whose certificate is MB megabytes (memory targets only)",
    )
    parser.add_argument(
        "--flat",
        action="store_true",
        help="instead: intake's memory at --flat-small and --flat-large messages (within 10 %%)",
    )
    parser.add_argument("--flat-small", type=int, default=2000)
    parser.add_argument("--flat-large", type=int, default=8000)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=default_cache_dir(),
        help=f"where generated mails are kept between runs (default {default_cache_dir()})",
    )
    args = parser.parse_args()
    contenders = [c for c in args.contenders.split(",") if c]
    if unknown := set(contenders) - set(CONTENDERS):
        parser.error(f"unknown contenders: {', '.join(sorted(unknown))}")

    print(f"backlog benchmark, {load_average()}", flush=True)
    server = MailServer()
    try:
        if args.flat:
            return flat(server, args)
        pdf_bytes = int(args.big_mb * MB) if args.big_mb else DEFAULT_PDF_BYTES
        messages = 1 if args.big_mb else args.messages
        # The big certificate must be taken in, not rejected as ATTACHMENT_TOO_LARGE unread.
        limit = max(20 * 1024 * 1024, pdf_bytes + MB)
        paths = cached_mails(
            messages, seed=args.seed, pdf_bytes=pdf_bytes, cache_dir=args.cache_dir
        )
        size = sum(p.stat().st_size for p in paths)
        print(f"{messages} application(s), {size / MB:.0f} MB of mail", flush=True)
        template = seed_server(server, paths, args.seed)
        results = measure(server, template, messages, args.rounds, contenders, limit)
        report(results, contenders, timing=not args.big_mb)
        if "intake" in contenders:
            label = f"one {args.big_mb:g} MB attachment" if args.big_mb else f"{messages} messages"
            targets = memory_targets(results, label)
            if not args.big_mb and {"floor", "naive"} <= set(contenders):
                hard, *goals = throughput_targets(results)
                targets = [hard, *targets, *goals]
            print_targets("targets of issue 15 (intake):", targets)
        print(f"\nafter the run: {load_average()}")
        if not results.all_ok:
            print("\nCHECK FAILED: a contender failed or did not record every message")
            return 1
        return 0
    finally:
        server.stop()


def flat(server: MailServer, args: argparse.Namespace) -> int:
    """intake's peak memory at two backlog sizes: it must not grow with N."""
    sizes = (args.flat_small, args.flat_large)
    paths = cached_mails(max(sizes), seed=args.seed, cache_dir=args.cache_dir)
    peaks: list[Results] = []
    for size in sizes:
        template = seed_server(server, paths[:size], args.seed)
        results = measure(server, template, size, args.rounds, ["intake"], 20 * 1024 * 1024)
        server.drop(template)
        report(results, ["intake"], timing=False)
        peaks.append(results)
    small, large = peaks
    targets = []
    for what, get in (("largest process", Results.largest), ("process tree", Results.tree)):
        a, b = get(small, "intake"), get(large, "intake")
        growth = b / a - 1
        targets.append(
            Target(
                f"{what} flat in N ({sizes[0]} vs {sizes[1]} messages, within 10 %)",
                growth <= FLAT_TOLERANCE,
                f"{mb(a)} -> {mb(b)} ({growth:+.0%})",
            )
        )
    targets += memory_targets(large, f"{sizes[1]} messages")
    print_targets("targets of issue 15 (intake):", targets)
    print(f"\nafter the run: {load_average()}")
    return 0 if small.all_ok and large.all_ok else 1


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
