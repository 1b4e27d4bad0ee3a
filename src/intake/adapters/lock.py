"""One poller at a time: an advisory lock held for the whole poll cycle.

A file lock in the store folder serves every database (pollers sharing a database must share
the store); on PostgreSQL an advisory lock also covers pollers on other hosts.
"""

from __future__ import annotations

import fcntl
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

# An arbitrary base that, with the lock name, names intake's PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x1A7A_4E01


class LockBusy(Exception):
    """Another process holds the lock."""


@contextmanager
def exclusive(
    engine: Engine, folder: Path, name: str = "poll", *, wait: float = 0.0
) -> Iterator[None]:
    """Hold the named lock, waiting up to ``wait`` seconds for it; LockBusy otherwise."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / f".{name}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise LockBusy(name) from exc
                time.sleep(0.2)
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                key = _PG_LOCK_KEY + zlib.crc32(name.encode())
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                ).scalar()
                if not got:
                    raise LockBusy(name)
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        else:
            yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
