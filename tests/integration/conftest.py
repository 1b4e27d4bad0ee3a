"""An intake installation per test: config file, database, store, and its own IMAP user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intake.devtools.dovecot import DovecotInstance

from support import Desk


@pytest.fixture
def make_desk(
    dovecot: DovecotInstance,
    imap_user: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Desk]:
    def build(database_url: str | None = None, **options: Any) -> Desk:
        url = database_url or f"sqlite:///{tmp_path}/data/intake.db"
        desk = Desk(dovecot, imap_user[0], imap_user[1], tmp_path, url, monkeypatch, **options)
        desk.cli("db", "upgrade")
        return desk

    return build


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk()
