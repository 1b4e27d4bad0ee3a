from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from intake.adapters.filestore import FileStore


def test_put_is_content_addressed_and_private(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    data = "受講申込".encode()
    stored = store.put(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    path = store.path(stored.relpath)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.name == stored.sha256


def test_put_twice_is_harmless(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first, second = store.put(b"x"), store.put(b"x")
    assert first == second
    leftovers = [p for p in tmp_path.rglob(".tmp-*")]
    assert leftovers == []


def test_truncated_file_from_a_crash_is_rewritten(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = store.put(b"complete content")
    store.path(stored.relpath).write_bytes(b"comp")  # as if cut short
    store.put(b"complete content")
    assert store.read(stored.relpath) == b"complete content"


def test_paths_cannot_escape_the_store(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
