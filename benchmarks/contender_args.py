"""The command line both script contenders share: which mailbox to take in.

Kept apart from harness.py so a contender imports nothing it does not need (its memory is
measured).
"""

from __future__ import annotations

import argparse


def mailbox_parser(description: str) -> argparse.ArgumentParser:
    """A parser with --host, --port, --user and --password-env (the variable holding it)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-env", default="BENCH_IMAP_PASSWORD")
    return parser
