"""A console over a real database (SQLite and PostgreSQL), with an operator and a viewer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from starlette.testclient import TestClient

from intake import bootstrap
from intake.adapters.passwords import Argon2Passwords
from intake.bootstrap import App, ConfigWatcher, build_app
from intake.config import load_settings
from intake.domain.accounts import Role
from intake.entrypoints.cli import main
from intake.entrypoints.web.app import create_app
from intake.services.users import add_user

from web_support import OPERATOR, VIEWER, FakeClock, write_console_config


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, at a cost a test suite on two cores can afford (the production cost
    is argon2-cffi's default, checked in tests/unit/test_passwords.py)."""
    cheap = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    monkeypatch.setattr(bootstrap, "_hasher", cheap)


@pytest.fixture
def console_config(tmp_path: Path, database_url: str) -> Path:
    path = write_console_config(tmp_path / "intake.toml", database_url)
    result = CliRunner().invoke(main, ["--config", str(path), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def console_desk(console_config: Path) -> Iterator[App]:
    desk = build_app(load_settings(console_config))
    for (name, password), role in ((OPERATOR, Role.OPERATOR), (VIEWER, Role.VIEWER)):
        add_user(desk.uow(), desk.passwords(), name, role, password, operator="test")
    yield desk
    desk.engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(
    console_desk: App, console_config: Path, clock: FakeClock
) -> Iterator[Callable[..., TestClient]]:
    """``make_client(client=("127.0.0.1", 5000), desk=...)``: a browser-like client of a
    console app (a new app each call: as after a restart)."""
    clients: list[TestClient] = []

    def build(
        *, client: tuple[str, int] = ("127.0.0.1", 50000), desk: App | None = None
    ) -> TestClient:
        target = desk or console_desk
        watcher = ConfigWatcher(target, console_config)
        app = create_app(target, clock=clock, refresh_settings=watcher.check)
        test_client = TestClient(app, client=client, raise_server_exceptions=False)
        clients.append(test_client)
        return test_client

    yield build
    for test_client in clients:
        test_client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
