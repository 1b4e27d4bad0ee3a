"""Test support: an intake installation driven through the real CLI."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from intake.config import Settings, load_settings
from intake.devtools.dovecot import DovecotInstance, dovecot_unavailable_reason, start_dovecot
from intake.devtools.smtpserver import Received
from intake.entrypoints.cli import main

# The one term (募集期) a minimal config needs (a config without terms is refused).
ONE_TERM = """
[[terms]]
id = 1
name = "第1期"
opens_at = "2025-03-10T10:00:00+09:00"
closes_at = "2025-05-07T17:00:00+09:00"
training_starts_on = "2025-06-02"
"""

CONFIG = """\
[database]
url = "{database_url}"
[storage]
dir = "data/store"
[imap]
host = "{host}"
port = {port}
security = "none"
username = "{user}"
password_env = "INTAKE_TEST_IMAP_PASSWORD"
folder = "INBOX"
connect_attempts = 1
{imap_extra}
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "scfn@example.jp"
{smtp_extra}
[ack]
{ack}
[cutoff]
{cutoff}
[limits]
{limits}
[[terms]]
id = 1
name = "第1期"
opens_at = "2025-03-10T10:00:00+09:00"
closes_at = "2025-05-07T17:00:00+09:00"
capacity = 60
training_starts_on = "2025-06-02"
[[terms]]
id = 2
name = "第2期"
opens_at = "2025-05-02T10:00:00+09:00"
closes_at = "2025-07-01T17:00:00+09:00"
capacity = 60
training_starts_on = "2025-08-01"
"""

# The first term's capacity line (the first in CONFIG): Desk.term1 takes its place.
FIRST_TERM_CAPACITY = "capacity = 60\n"


@dataclass
class Desk:
    """One configured intake against one Dovecot user, driven through the real CLI."""

    dovecot: DovecotInstance
    user: str
    password: str
    root: Path
    database_url: str
    monkeypatch: pytest.MonkeyPatch
    imap_extra: str = ""
    limits: str = ""
    smtp_port: int = 10025
    smtp_extra: str = ""
    ack: str = ""
    cutoff: str = ""
    term1: str = ""  # in place of the first term's `capacity = 60` (capacity, selection keys)
    config_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config_path = self.root / "intake.toml"
        self.monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", self.password)
        self.write_config()

    def write_config(self, **changes: str) -> None:
        for key, value in changes.items():
            setattr(self, key, value)
        self.config_path.write_text(
            CONFIG.format(
                database_url=self.database_url,
                host=self.dovecot.host,
                port=self.dovecot.port,
                user=self.user,
                imap_extra=self.imap_extra,
                limits=self.limits,
                smtp_port=self.smtp_port,
                smtp_extra=self.smtp_extra,
                ack=self.ack,
                cutoff=self.cutoff,
            ).replace(FIRST_TERM_CAPACITY, f"{self.term1 or 'capacity = 60'}\n", 1),
            encoding="utf-8",
        )

    @property
    def settings(self) -> Settings:
        return load_settings(self.config_path)

    def cli(self, *args: str, expect: int | None = 0) -> Result:
        result = CliRunner().invoke(main, ["--config", str(self.config_path), *args])
        if expect is not None:
            assert result.exit_code == expect, (result.output, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def append(self, raw: bytes, received_at: datetime, folder: str = "INBOX") -> int:
        return self.dovecot.append(
            self.user, self.password, raw, folder=folder, internaldate=received_at
        )

    def server_flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        client = self.dovecot.client(self.user, self.password)
        try:
            client.select_folder(self.dovecot_folder(folder), readonly=True)
            fetched = client.fetch(client.search("ALL"), ["FLAGS"])
            return {
                uid: {f.decode() if isinstance(f, bytes) else str(f) for f in data[b"FLAGS"]}
                for uid, data in fetched.items()
            }
        finally:
            client.logout()

    def dovecot_folder(self, folder: str) -> str:
        return folder.replace("/", ".")


# The installed `intake` console script, as cron or an operator runs it.
INTAKE = str(Path(sys.executable).with_name("intake"))


def run_intake(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the installed `intake` in a process of its own (its real stdout and stderr)."""
    return subprocess.run(
        [INTAKE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def require_dovecot() -> None:
    """Skip the test where Dovecot is missing, except that CI (INTAKE_REQUIRE_DOVECOT=1) fails
    instead of going green on skipped IMAP tests."""
    reason = dovecot_unavailable_reason()
    if reason is not None:
        message = f"private Dovecot unavailable: {reason}"
        if os.environ.get("INTAKE_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"{message} (INTAKE_REQUIRE_DOVECOT=1)", pytrace=False)
        pytest.skip(message)


@contextmanager
def private_dovecot(**options: Any) -> Iterator[DovecotInstance]:
    """A private Dovecot for a fixture (see require_dovecot)."""
    require_dovecot()
    # Not pytest's tmp folders: they are 0700, and Dovecot's dovecot/dovenull users must
    # traverse the base folder.
    base = Path(tempfile.mkdtemp(prefix="intake-dovecot-", dir="/tmp"))
    base.chmod(0o755)
    instance = start_dovecot(base, **options)
    try:
        yield instance
    finally:
        instance.stop()
        shutil.rmtree(base, ignore_errors=True)


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Whether ``check()`` became true within ``timeout`` seconds (a daemon's work, a server's
    start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def parse_mail(received: Received) -> tuple[EmailMessage, str]:
    """A mail the private SMTP server received, and its plain-text body."""
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return message, body.get_content()
