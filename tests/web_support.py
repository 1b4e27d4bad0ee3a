"""Test support for the web console: a configured desk without a mailbox, logging in with a
test client, a clock the tests move."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from starlette.testclient import TestClient

from support import CONFIG

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]*)"')

OPERATOR = ("tanaka", "operator-password-1")
VIEWER = ("sato", "viewer-password-12")

# The web settings of the console tests: a low failure limit, so lockouts are quick to reach.
WEB_SETTINGS = """\
secret_key_file = "data/web-secret.key"
login_max_failures = 3
login_window_minutes = 15
login_lockout_minutes = 15
"""


def write_console_config(
    path: Path,
    database_url: str,
    *,
    imap_port: int = 9,
    web_extra: str = "",
) -> Path:
    """The tests' usual config (support.CONFIG) with a [web] section; no mail server listens
    on ``imap_port`` unless the test starts one."""
    text = CONFIG.format(
        database_url=database_url,
        host="127.0.0.1",
        port=imap_port,
        user="scfn",
        imap_extra="connect_timeout = 3",
        smtp_port=9,
        smtp_extra="",
        ack="",
        cutoff="",
        limits="",
    )
    path.write_text(f"{text}\n[web]\n{WEB_SETTINGS}{web_extra}\n", encoding="utf-8")
    return path


@dataclass
class FakeClock:
    """The console's idea of now; tests move it forward."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def csrf_from(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def log_in(
    client: TestClient | httpx.Client,
    name: str,
    password: str,
    *,
    next_page: str | None = None,
) -> httpx.Response:
    form = client.get("/login")
    assert form.status_code == 200
    data = {"csrf_token": csrf_from(form.text), "username": name, "password": password}
    if next_page is not None:
        data["next"] = next_page
    return client.post("/login", data=data, follow_redirects=False)


def page_token(client: TestClient | httpx.Client, path: str = "/") -> str:
    """The session's CSRF token, as a page's forms carry it."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_from(page.text)


INTAKE = str(Path(sys.executable).with_name("intake"))


class ConsoleProcess:
    """`intake …` serving the console as a subprocess; its output is collected line by line
    so that a test can wait for what it prints (the URL, a password)."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self.process = subprocess.Popen(
            [INTAKE, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    @property
    def output(self) -> str:
        with self._seen:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        """The first output line matching ``pattern`` (a regular expression)."""
        wanted = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines:
                    found = wanted.search(line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line matching {pattern!r} in:\n" + self.output)
                self._seen.wait(min(left, 0.5))

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        self._reader.join(timeout=5)
        return code


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
