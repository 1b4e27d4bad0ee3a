#!/usr/bin/env python3
"""Benchmark one poll cycle: throughput and peak memory, against a private Dovecot + SQLite.

    .venv/bin/python scripts/bench_poll.py --messages 500
    .venv/bin/python scripts/bench_poll.py --messages 3 --attachment-mb 15

Each run is a fresh process, so the peak RSS it prints belongs to that run alone. Nothing here
is asserted: the figures are for the issue notes and for spotting regressions by eye.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from intake.adapters.orm import make_engine
from intake.adapters.schema import upgrade
from intake.config import load_settings
from intake.devtools.demo import demo_mails, jst
from intake.devtools.dovecot import start_dovecot
from intake.devtools.samplemail import SampleAttachment, build_mail

CONFIG = """\
[database]
url = "sqlite:///data/intake.db"
[storage]
dir = "data/store"
[imap]
host = "127.0.0.1"
port = {port}
security = "none"
username = "bench"
password_env = "BENCH_IMAP_PASSWORD"
[limits]
attachment_max_bytes = {attachment_limit}
[[terms]]
id = 1
name = "第1期"
opens_at = "2025-03-10T10:00:00+09:00"
closes_at = "2025-05-07T17:00:00+09:00"
training_starts_on = "2025-06-02"
"""


def messages(count: int, attachment_mb: float) -> list[bytes]:
    if attachment_mb:
        payload = os.urandom(int(attachment_mb * 1024 * 1024))
        return [
            build_mail(
                subject="受講申込_YAMADA Taro",
                message_id=f"big-{n}@bench.example.jp",
                date=jst(2025, 4, 1),
                attachments=[
                    SampleAttachment("在職証明書_YAMADA Taro.pdf", payload, "application/pdf")
                ],
                style="outlook_jis",
            )
            for n in range(count)
        ]
    samples = [m.raw for m in demo_mails()[:-1]]  # the last one is a deliberate duplicate
    out = []
    for n in range(count):
        raw = samples[n % len(samples)]
        # A new Message-ID makes each copy a new message (not a duplicate of the sample).
        out.append(re.sub(rb"(?im)^(Message-ID:\s*<)", f"\\g<1>bench{n}.".encode(), raw, count=1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--attachment-mb", type=float, default=0.0)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="intake-bench-", dir="/tmp"))
    base.chmod(0o755)
    work = Path(tempfile.mkdtemp(prefix="intake-bench-data-"))
    server = start_dovecot(base)
    try:
        password = secrets.token_urlsafe(12)
        server.add_user("bench", password)
        os.environ["BENCH_IMAP_PASSWORD"] = password
        limit = max(int((args.attachment_mb + 1) * 1024 * 1024), 20 * 1024 * 1024)
        (work / "intake.toml").write_text(
            CONFIG.format(port=server.port, attachment_limit=limit), encoding="utf-8"
        )
        settings = load_settings(work / "intake.toml")
        engine = make_engine(settings.database_url)
        (work / "data").mkdir()
        upgrade(engine)

        raws = messages(args.messages, args.attachment_mb)
        client = server.client("bench", password)
        for raw in raws:
            client.append("INBOX", raw, msg_time=jst(2025, 4, 1))
        client.logout()
        total_bytes = sum(len(r) for r in raws)
        engine.dispose()

        # The poll runs as the real command in a child process, so its peak RSS is its own.
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "intake.entrypoints.cli",
                "--config",
                str(work / "intake.toml"),
                "poll",
                "--once",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
        child = resource.getrusage(resource.RUSAGE_CHILDREN)

        print(f"messages          {len(raws)} ({total_bytes / 1024 / 1024:.1f} MiB in all)")
        print(f"intake says       {result.stdout.strip()}")
        print(f"wall time         {elapsed:.2f} s (process start included)")
        print(f"throughput        {len(raws) / elapsed:.1f} messages/s")
        print(f"peak RSS          {child.ru_maxrss / 1024:.0f} MiB (intake poll --once)")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
