#!/usr/bin/env python3
"""Start-up benchmark: how long intake's commands take before they do anything.

    .venv/bin/python benchmarks/startup.py            # 10 runs of each command
    .venv/bin/python benchmarks/startup.py --runs 30

Times, as child processes from spawn to exit, `python -c pass` (the interpreter alone) and
`intake --help`, `intake poll --help`, and `intake status` / `intake rejections list` on an empty
SQLite database (created with `intake db upgrade` first, not timed). The commands take turns
within each run, after an untimed warm-up run of each (--warm-up). Prints the median and spread
of each, its difference from `python -c pass`, and the start-up targets of issue 15 (point 3) with
PASS/FAIL: every `--help` within 0.3 s of `python -c pass`, `status` and `rejections list`
within 1.0 s (wall time of the whole command).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from harness import (
    IntakeDesk,
    Target,
    load_average,
    median_spread,
    print_table,
    print_targets,
    stop_cleanly_on_sigterm,
)

HELP_MARGIN = 0.3  # seconds over `python -c pass`
COMMAND_LIMIT = 1.0  # seconds, whole command


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(list(argv), env=env, capture_output=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode(errors='replace')}"
        )
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10)")
    parser.add_argument(
        "--warm-up", type=int, default=1, help="untimed runs of each first (default 1)"
    )
    args = parser.parse_args()

    print(f"start-up benchmark, {load_average()}", flush=True)
    desk = IntakeDesk.create(None)
    try:
        commands: dict[str, list[str]] = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "intake --help": desk.argv("--help"),
            "intake poll --help": desk.argv("poll", "--help"),
            "intake status": desk.argv("status"),
            "intake rejections list": desk.argv("rejections", "list"),
        }
        for _ in range(args.warm_up):  # the page cache and .pyc files, as on a used host
            for argv in commands.values():
                timed(argv, desk.env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, desk.env))
    finally:
        desk.remove()

    base = statistics.median(times["python -c pass"])
    rows = []
    for name, values in times.items():
        delta = statistics.median(values) - base
        rows.append(
            [
                name,
                median_spread(values, "{:.3f}"),
                "" if name.startswith("python") else f"{delta:+.3f}",
            ]
        )
    print(f"\n{args.runs} run(s) each; {load_average()}")
    print_table(["command", "wall s median [min-max]", "vs python -c pass"], rows)

    targets = []
    for name in ("intake --help", "intake poll --help"):
        delta = statistics.median(times[name]) - base
        targets.append(
            Target(
                f"`{name}` within {HELP_MARGIN} s of `python -c pass`",
                delta <= HELP_MARGIN,
                f"{delta:+.3f} s",
                "target",
            )
        )
    for name in ("intake status", "intake rejections list"):
        wall = statistics.median(times[name])
        targets.append(
            Target(
                f"`{name}` on an empty SQLite database within {COMMAND_LIMIT} s",
                wall <= COMMAND_LIMIT,
                f"{wall:.3f} s",
                "target",
            )
        )
    print_targets("targets of issue 15, point 3 (median wall time):", targets)
    return 0


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    sys.exit(main())
