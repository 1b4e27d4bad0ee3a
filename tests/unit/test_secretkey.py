"""The console's signing key: made once (0600), then the same on every start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from intake.adapters.secretkey import SecretKeyError, load_or_create_secret_key


def test_created_private_on_first_start_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "web-secret.key"
    first = load_or_create_secret_key(path)
    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret_key(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["web-secret.key"]  # no temp file left


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    load_or_create_secret_key(path)
    path.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        load_or_create_secret_key(path)


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("short\n", encoding="ascii")
    path.chmod(0o600)
    with pytest.raises(SecretKeyError, match="短すぎ"):
        load_or_create_secret_key(path)
