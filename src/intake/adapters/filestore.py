"""Content-addressed file store: raw messages and attachments, written durably.

A file's name is the sha256 of its bytes, so writing the same content twice is harmless, and a
file left behind by a crash before its database row was committed is simply reused next time.
Names from mail never become paths here.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    relpath: str  # relative to the store root, with forward slashes


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, *, kind: str = "raw") -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        relpath = f"{kind}/{digest[:2]}/{digest[2:4]}/{digest}"
        target = self.root / relpath
        if target.exists() and target.stat().st_size == len(data):
            # Possibly left by a crash before it was synced: make it durable before trusting it.
            _fsync_file(target)
            _fsync_dir(target.parent)
            return StoredFile(digest, len(data), relpath)
        self._make_dirs(target.parent)
        write_atomically(target, data)
        return StoredFile(digest, len(data), relpath)

    def _make_dirs(self, directory: Path) -> None:
        # A new folder's own entry must reach the disk too, up to the store root.
        missing = [d for d in (directory, *directory.parents) if not d.exists()]
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for created in missing:
            _fsync_dir(created.parent)

    def path(self, relpath: str) -> Path:
        resolved = (self.root / relpath).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError(f"path outside the store: {relpath}")
        return resolved

    def read(self, relpath: str) -> bytes:
        return self.path(relpath).read_bytes()


@contextmanager
def atomic_target(path: Path, *, mode: int = 0o600) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; on success it is synced and renamed over
    ``path`` (a file or a symlink itself, never through a link), and the folder synced."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.fchmod(fd, mode)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    with atomic_target(path, mode=mode) as tmp:
        tmp.write_bytes(data)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry itself is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
