"""XOAUTH2 logins of ImapMailbox against a private Dovecot whose oauth2 passdb asks a local
token-introspection endpoint (RFC 7662 style) whether a token is valid, and for whom."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import shlex
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from intake.adapters.imap import ImapLoginError, ImapMailbox
from intake.config import ImapConfig
from intake.devtools.dovecot import DovecotInstance

from support import private_dovecot

pytestmark = pytest.mark.dovecot

INTROSPECTION_HOST = "127.0.0.1"


@dataclass
class Introspection:
    """Token introspection: ``{"active": true, "username": ...}`` for a granted token,
    ``{"active": false}`` for any other."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    # (path, Content-Type, form fields) of every request, in order.
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def grant(self, username: str) -> str:
        token = f"tok-{secrets.token_urlsafe(24)}"
        with self.lock:
            self.tokens[token] = username
        return token

    def seen_tokens(self) -> list[str]:
        with self.lock:
            return [form.get("token", [""])[0] for _, _, form in self.requests]

    def answer(self, path: str, content_type: str, body: str) -> dict[str, Any]:
        form = parse_qs(body)
        with self.lock:
            self.requests.append((path, content_type, form))
            username = self.tokens.get(form.get("token", [""])[0])
        if path != "/introspect" or username is None:
            return {"active": False}
        return {"active": True, "username": username, "scope": "mail"}


def _handler(state: Introspection) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            answer = state.answer(self.path, self.headers.get("Content-Type", ""), body)
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
            pass

    return Handler


@pytest.fixture(scope="module")
def introspection() -> Iterator[Introspection]:
    state = Introspection(url="")
    server = ThreadingHTTPServer((INTROSPECTION_HOST, 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://{INTROSPECTION_HOST}:{server.server_port}/introspect"
    thread = threading.Thread(target=server.serve_forever, name="introspection", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def oauth_dovecot(introspection: Introspection) -> Iterator[DovecotInstance]:
    """A private Dovecot of its own (the session ``dovecot`` stays password-only)."""
    with private_dovecot(oauth2_introspection_url=introspection.url) as instance:
        yield instance


@pytest.fixture
def oauth_user(oauth_dovecot: DovecotInstance) -> tuple[str, str]:
    username = f"oauth-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    oauth_dovecot.add_user(username, password)
    return username, password


def oauth_config(
    dovecot: DovecotInstance, username: str, token_command: str, **options: Any
) -> ImapConfig:
    return ImapConfig(
        host=dovecot.host,
        port=dovecot.port,
        security="none",
        username=username,
        auth="xoauth2",
        token_command=token_command,
        token_timeout=10.0,
        connect_timeout=5.0,
        command_timeout=30.0,
        **options,
    )


def printing(token: str) -> str:
    return f"printf %s {shlex.quote(token)}"


def xoauth2_payloads(username: str, token: str) -> list[str]:
    """Forms in which a token could leak into a log: raw, the SASL string, its base64."""
    sasl = f"user={username}\x01auth=Bearer {token}\x01\x01"
    return [token, sasl, base64.b64encode(sasl.encode()).decode()]


def test_xoauth2_login_selects_inbox(
    oauth_dovecot: DovecotInstance, introspection: Introspection, oauth_user: tuple[str, str]
) -> None:
    username = oauth_user[0]
    token = introspection.grant(username)
    config = oauth_config(oauth_dovecot, username, printing(token))

    with ImapMailbox(config, None) as mailbox:
        uidvalidity = mailbox.select()
        assert uidvalidity > 0
        assert mailbox.search_unprocessed() == []

    # Dovecot really asked the endpoint: a form POST with the token, as configured.
    matching = [r for r in introspection.requests if r[2].get("token") == [token]]
    assert matching, introspection.requests
    path, content_type, _ = matching[-1]
    assert path == "/introspect"
    assert content_type == "application/x-www-form-urlencoded"
    log = oauth_dovecot.log_file.read_text(encoding="utf-8", errors="replace")
    assert f"Login: user=<{username}>, method=XOAUTH2" in log


def test_xoauth2_works_with_a_token_for_the_same_user_only(
    oauth_dovecot: DovecotInstance, introspection: Introspection, oauth_user: tuple[str, str]
) -> None:
    other = introspection.grant("somebody-else")
    config = oauth_config(oauth_dovecot, oauth_user[0], printing(other))
    with pytest.raises(ImapLoginError):
        ImapMailbox(config, None).connect()
    assert other in introspection.seen_tokens()


def test_every_connection_fetches_a_fresh_token(
    oauth_dovecot: DovecotInstance,
    introspection: Introspection,
    oauth_user: tuple[str, str],
    tmp_path: Path,
) -> None:
    username = oauth_user[0]
    tokens = [introspection.grant(username) for _ in range(3)]
    (tmp_path / "tokens").write_text("\n".join(tokens), encoding="utf-8")
    # Prints the next unused token of the list: a stand-in for a helper that refreshes.
    script = tmp_path / "next_token.py"
    script.write_text(
        "import pathlib, sys\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        "used = folder / 'used'\n"
        "n = int(used.read_text()) if used.exists() else 0\n"
        "used.write_text(str(n + 1))\n"
        "print((folder / 'tokens').read_text().split()[n])\n",
        encoding="utf-8",
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {tmp_path}"
    mailbox = ImapMailbox(oauth_config(oauth_dovecot, username, command), None)
    for _ in range(3):
        mailbox.connect()
        mailbox.select()
        mailbox.close()
    assert (tmp_path / "used").read_text() == "3"
    seen = introspection.seen_tokens()
    assert all(token in seen for token in tokens)


def test_refused_token_is_a_login_error(
    oauth_dovecot: DovecotInstance,
    introspection: Introspection,
    oauth_user: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    username = oauth_user[0]
    token = f"wrong-{secrets.token_urlsafe(24)}"
    config = oauth_config(oauth_dovecot, username, printing(token))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ImapLoginError) as raised:
        ImapMailbox(config, None).connect()

    message = str(raised.value)
    assert "XOAUTH2" in message
    assert username in message
    for secret in xoauth2_payloads(username, token):
        assert secret not in message
        assert secret not in caplog.text
    assert token in introspection.seen_tokens()  # refused by the endpoint, not before
    # Dovecot's JSON error challenge was received (and answered with an empty response).
    assert '"status":"401"' in caplog.text


@pytest.mark.parametrize(
    "command",
    [
        # Prints something token-like, then fails: stdout must not be shown.
        "sh -c 'printf LEAKED-TOKEN-123; echo ヘルパーが失敗 >&2; exit 3'",
        "/nonexistent/token-helper --account desk",
        "sh -c 'printf \"two words\"'",
    ],
)
def test_failing_token_command_is_a_login_error(
    oauth_dovecot: DovecotInstance,
    introspection: Introspection,
    oauth_user: tuple[str, str],
    command: str,
) -> None:
    before = len(introspection.requests)
    config = oauth_config(oauth_dovecot, oauth_user[0], command)

    with pytest.raises(ImapLoginError) as raised:
        ImapMailbox(config, None).connect()

    message = str(raised.value)
    assert "トークン" in message
    assert "LEAKED-TOKEN-123" not in message
    assert "two words" not in message
    assert len(introspection.requests) == before  # no login was even tried


def test_token_never_logged_at_debug(
    oauth_dovecot: DovecotInstance,
    introspection: Introspection,
    oauth_user: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    username = oauth_user[0]
    token = introspection.grant(username)
    caplog.set_level(logging.DEBUG)

    with ImapMailbox(oauth_config(oauth_dovecot, username, printing(token)), None) as mailbox:
        mailbox.select()

    # imapclient's protocol log was on (so this proves something) and redacted the command.
    assert "AUTHENTICATE **REDACTED**" in caplog.text
    assert "write literal size" in caplog.text
    for secret in xoauth2_payloads(username, token):
        assert secret not in caplog.text


def test_passwords_still_work_next_to_oauth2(
    oauth_dovecot: DovecotInstance, oauth_user: tuple[str, str]
) -> None:
    username, password = oauth_user
    config = ImapConfig(
        host=oauth_dovecot.host,
        port=oauth_dovecot.port,
        security="none",
        username=username,
        connect_timeout=5.0,
    )
    with ImapMailbox(config, password) as mailbox:
        assert mailbox.select() > 0
    with pytest.raises(ImapLoginError):
        ImapMailbox(config, "not-the-password").connect()


def test_a_password_is_not_an_access_token(
    oauth_dovecot: DovecotInstance, introspection: Introspection, oauth_user: tuple[str, str]
) -> None:
    """The passdbs are filtered by mechanism: XOAUTH2 with the user's password fails."""
    username, password = oauth_user
    config = oauth_config(oauth_dovecot, username, printing(password))
    with pytest.raises(ImapLoginError):
        ImapMailbox(config, None).connect()
    assert password in introspection.seen_tokens()
