"""Shared pytest fixtures, one section per backing service."""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from intake.config import ImapConfig, SmtpConfig
from intake.devtools.certs import make_certificate
from intake.devtools.dovecot import DovecotInstance
from intake.devtools.smtpserver import SmtpTestServer

from support import private_dovecot

# ---------------------------------------------------------------------------------------------
# Dovecot: one private IMAP server per test session, a fresh mailbox user per test.
# ---------------------------------------------------------------------------------------------

_user_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are printed as in a pipe (as wide as their content) unless a test sets COLUMNS."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotInstance]:
    with private_dovecot() as instance:
        yield instance


@pytest.fixture
def imap_user(dovecot: DovecotInstance) -> tuple[str, str]:
    username = f"user{next(_user_numbers)}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    dovecot.add_user(username, password)
    return username, password


@pytest.fixture
def imap_config(dovecot: DovecotInstance, imap_user: tuple[str, str]) -> ImapConfig:
    return ImapConfig(
        host=dovecot.host,
        port=dovecot.port,
        security="none",
        username=imap_user[0],
        connect_timeout=5.0,
        command_timeout=30.0,
    )


# ---------------------------------------------------------------------------------------------
# Databases: SQLite in a temp folder by default; PostgreSQL at 127.0.0.1:5432 (one fresh
# database per test, dropped afterwards).
# ---------------------------------------------------------------------------------------------

POSTGRES_ADMIN_URL = os.environ.get(
    "INTAKE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        message = f"PostgreSQL unavailable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}"
        if os.environ.get("INTAKE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message} (INTAKE_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    name = f"intake_test_{secrets.token_hex(6)}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends, for the tests that must hold on each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/intake.db"
    return str(request.getfixturevalue("postgres_url"))


# ---------------------------------------------------------------------------------------------
# SMTP: a fresh aiosmtpd server on 127.0.0.1 per test (intake.devtools.smtpserver), and the
# SmtpConfig pointing at it (no TLS, no login unless overridden).
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def make_smtp_server() -> Iterator[Callable[..., SmtpTestServer]]:
    """Start servers with options (TLS, logins); all are stopped after the test."""
    started: list[SmtpTestServer] = []

    def start(**options: Any) -> SmtpTestServer:
        server = SmtpTestServer(**options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def smtp_tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key); cert doubles as the CA file."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not found (needed for the self-signed certificate)")
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def make_smtp_config() -> Callable[..., SmtpConfig]:
    """``make_smtp_config(server, **overrides)``: an SmtpConfig for a test server."""

    def build(server: SmtpTestServer, **overrides: Any) -> SmtpConfig:
        values: dict[str, Any] = {
            "host": server.host,
            "port": server.port,
            "security": "none",
            "auth": "none",
            "from_address": "jimukyoku@example.jp",
            "timeout": 5.0,
            "max_per_minute": 10_000,
        }
        values.update(overrides)
        return SmtpConfig(**values)

    return build
