"""A controllable SMTP server (aiosmtpd) on 127.0.0.1, for tests and ``intake demo``.

It records what it receives and can be told to misbehave on the next messages: answer the
data with a given code, drop the connection after the data without answering (the message
was received but never acknowledged: the case a client must not resend blindly), stall after
the data, or drop the connection at RCPT TO. Optionally it offers STARTTLS (or implicit TLS)
with a given certificate, and PLAIN/LOGIN and XOAUTH2 logins.

Run ``python -m intake.devtools.smtpserver`` for a server to poke at by hand.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import secrets
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from intake.devtools.certs import make_certificate
from intake.devtools.loopback import HOST, free_port

SERVER_NAME = "smtp.intake.test"
# How long a stalled DATA waits before answering (the client gives up first).
STALL_SECONDS = 30.0


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # as the client meant it: dot-unstuffed, CRLF line endings


class _State:
    """Everything shared between the test thread and the server's event loop thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.unacknowledged: list[Received] = []
        self.connections = 0
        self.data_failures: deque[tuple[int, str]] = deque()
        self.rcpt_failures: deque[tuple[int, str]] = deque()
        self.drops_after_data = 0
        self.stalls_after_data = 0
        self.drops_on_rcpt = 0

    def take(self, name: str) -> bool:
        """Consume one of the counters ``drops_after_data`` etc.; True if there was one."""
        with self.lock:
            left: int = getattr(self, name)
            if left <= 0:
                return False
            setattr(self, name, left - 1)
            return True

    def take_failure(self, queue: deque[tuple[int, str]]) -> tuple[int, str] | None:
        with self.lock:
            return queue.popleft() if queue else None


async def _drop(server: SMTP) -> None:
    """Close the connection without answering the command being handled."""
    transport = server.transport
    if transport is not None:
        transport.close()
    # connection_lost() cancels the session's task, and with it this coroutine, before the
    # caller could push a reply (which would go nowhere anyway).
    await asyncio.sleep(STALL_SECONDS)


class _Handler:
    def __init__(
        self,
        state: _State,
        *,
        require_auth: bool,
        users: Mapping[str, str],
        xoauth2_tokens: Mapping[str, str],
    ) -> None:
        self._state = state
        self._require_auth = require_auth
        self._users = dict(users)
        self._tokens = dict(xoauth2_tokens)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        # Checked here rather than with aiosmtpd's auth_required, which warns when combined
        # with auth_require_tls=False (tests log in over plain connections too).
        if self._require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self._state.take("drops_on_rcpt"):
            await _drop(server)
            return "421 4.4.2 connection dropped"
        failure = self._state.take_failure(self._state.rcpt_failures)
        if failure is not None:
            return f"{failure[0]} {failure[1]}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        state = self._state
        message = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or b""),
        )
        if state.take("drops_after_data"):
            with state.lock:
                state.unacknowledged.append(message)
            await _drop(server)
            return "421 4.4.2 connection dropped"
        if state.take("stalls_after_data"):
            with state.lock:
                state.unacknowledged.append(message)
            await asyncio.sleep(STALL_SECONDS)
            return "421 4.4.2 stalled too long"
        failure = state.take_failure(state.data_failures)
        if failure is not None:
            return f"{failure[0]} {failure[1]}"
        with state.lock:
            state.received.append(message)
            number = len(state.received)
        return f"250 2.0.0 OK queued as TEST{number:05d}"

    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """PLAIN and LOGIN (aiosmtpd's built-in mechanisms) against ``users``."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        expected = self._users.get(user)
        if expected is None or not secrets.compare_digest(
            expected.encode("utf-8"), auth_data.password
        ):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=user)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Gmail does it, refusals included (a JSON error challenge first)."""
        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                return AuthResult(
                    success=False, handled=False, message="501 5.5.2 Can't decode base64"
                )
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)  # aiosmtpd already replied
            blob = answer
        fields = dict(
            part.split("=", 1)
            for part in blob.decode("utf-8", "replace").split("\x01")
            if "=" in part
        )
        user = fields.get("user")
        bearer = fields.get("auth", "")
        token = bearer[len("Bearer ") :] if bearer.startswith("Bearer ") else None
        if user is not None and token is not None and self._tokens.get(token) == user:
            return AuthResult(success=True, auth_data=user)
        error = json.dumps(
            {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
        )
        answer = await server.challenge_auth(error)  # the client answers with an empty line
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    """A Controller that counts the connections it accepts."""

    def __init__(self, handler: _Handler, state: _State, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._state = state

    def factory(self) -> SMTP:
        with self._state.lock:
            self._state.connections += 1
        return SMTP(self.handler, **self.SMTP_kwargs)


class SmtpTestServer:
    """An aiosmtpd server on 127.0.0.1 (a free port) in a thread; a context manager.

    ``tls_cert`` (cert, key) offers STARTTLS, required before MAIL unless
    ``require_starttls=False``; with ``implicit_tls`` the port speaks TLS from the start
    (SMTPS) instead. ``users`` (user -> password) allows PLAIN/LOGIN, ``xoauth2_tokens``
    (token -> user) XOAUTH2; with ``require_auth`` MAIL FROM needs a login.
    Behaviours can be set at any time from any thread; each applies to the next messages.
    When several are pending for the same message, a drop wins over a stall, a stall over a
    failure reply.
    """

    def __init__(
        self,
        *,
        tls_cert: tuple[Path, Path] | None = None,
        require_starttls: bool = True,
        implicit_tls: bool = False,
        require_auth: bool = False,
        users: Mapping[str, str] | None = None,
        xoauth2_tokens: Mapping[str, str] | None = None,
    ) -> None:
        if implicit_tls and tls_cert is None:
            raise ValueError("implicit_tls needs tls_cert")
        self.host = HOST
        self.port = 0
        self._tls_cert = tls_cert
        self._require_starttls = require_starttls
        self._implicit_tls = implicit_tls
        self._state = _State()
        self._handler = _Handler(
            self._state,
            require_auth=require_auth,
            users=users or {},
            xoauth2_tokens=xoauth2_tokens or {},
        )
        self._controller: _Controller | None = None

    # -- what happened -----------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Messages accepted with 250, oldest first (a copy)."""
        with self._state.lock:
            return list(self._state.received)

    @property
    def received_unacknowledged(self) -> list[Received]:
        """Messages whose data arrived complete but were never answered (a copy)."""
        with self._state.lock:
            return list(self._state.unacknowledged)

    @property
    def connections(self) -> int:
        """Connections accepted from clients (not counting the start-up self-check)."""
        with self._state.lock:
            return self._state.connections

    # -- behaviours --------------------------------------------------------------------------

    def fail_next(
        self, count: int = 1, code: int = 451, text: str = "4.3.0 try again later"
    ) -> None:
        """The next ``count`` messages get ``code text`` as the answer to their data."""
        with self._state.lock:
            self._state.data_failures.extend([(code, text)] * count)

    def fail_rcpt_next(
        self, count: int = 1, code: int = 451, text: str = "4.2.0 mailbox busy"
    ) -> None:
        """The next ``count`` RCPT TO commands get ``code text``."""
        with self._state.lock:
            self._state.rcpt_failures.extend([(code, text)] * count)

    def drop_after_data_next(self, count: int = 1) -> None:
        """The next ``count`` messages: receive the data, then close without answering."""
        with self._state.lock:
            self._state.drops_after_data += count

    def stall_after_data_next(self, count: int = 1) -> None:
        """The next ``count`` messages: receive the data, then answer only after a long wait."""
        with self._state.lock:
            self._state.stalls_after_data += count

    def drop_on_rcpt_next(self, count: int = 1) -> None:
        """The next ``count`` RCPT TO commands: close the connection without answering."""
        with self._state.lock:
            self._state.drops_on_rcpt += count

    # -- running -----------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext | None:
        if self._tls_cert is None:
            return None
        cert, key = self._tls_cert
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context

    def _controller_for(self, port: int) -> _Controller:
        context = self._tls_context()
        options: dict[str, Any] = {
            "hostname": HOST,
            "port": port,
            "server_hostname": SERVER_NAME,
            "ready_timeout": 10.0,
            "authenticator": self._handler.authenticate,
            "auth_require_tls": False,
        }
        if self._implicit_tls:
            options["ssl_context"] = context
        elif context is not None:
            options["tls_context"] = context
            options["require_starttls"] = self._require_starttls
        return _Controller(self._handler, self._state, **options)

    def start(self) -> None:
        """Start listening; after a stop(), on the same port again."""
        if self._controller is not None:
            raise RuntimeError("the SMTP test server is already running")
        reuse = self.port != 0
        last_error: OSError | None = None
        for _ in range(1 if reuse else 5):
            port = self.port if reuse else free_port()
            controller = self._controller_for(port)
            with self._state.lock:
                before = self._state.connections
            try:
                controller.start()
            except OSError as exc:  # someone took the free port first
                last_error = exc
                with contextlib.suppress(Exception):
                    controller.stop(no_assert=True)
                continue
            with self._state.lock:
                self._state.connections = before  # the Controller's own start-up check
            self._controller = controller
            self.port = port
            return
        assert last_error is not None
        raise last_error

    def stop(self) -> None:
        """Stop the server (open connections are cut); safe to call twice."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpTestServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="intake-smtp-") as folder:
        cert, key = make_certificate(Path(folder))
        password = secrets.token_urlsafe(8)
        server = SmtpTestServer(
            tls_cert=(cert, key), require_starttls=False, users={"demo": password}
        )
        with server:
            print(f"SMTP   {server.host}:{server.port}  (STARTTLS offered, CA file {cert})")
            print(f"  user demo / {password}")
            print("Ctrl-C stops it.", flush=True)
            shown = 0
            try:
                while True:
                    time.sleep(0.5)
                    for message in server.received[shown:]:
                        shown += 1
                        print(
                            f"#{shown} {message.mail_from} -> {', '.join(message.rcpt_tos)}"
                            f" ({len(message.data)} bytes)",
                            flush=True,
                        )
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
