"""One logged-in IMAP session: connecting (with retries), TLS, logging in (a password or
XOAUTH2), logging out, and turning library errors into Japanese messages for the operator.

:class:`intake.adapters.imap.ImapMailbox` builds the mailbox operations on it.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from intake.adapters.mailauth import (
    MailSession,
    XOAuth2,
    access_token,
    certificate_refused,
    describe_failure,
    hide_secret,
    login_failed_midway,
    tls_context,
    unreachable,
)
from intake.config import ImapConfig

log = logging.getLogger(__name__)


class ImapError(Exception):
    """An IMAP problem; str() is a Japanese message for the operator."""


class ImapLoginError(ImapError):
    """The server rejected the credentials, or no access token could be had (not retried)."""


# imapclient: "store failed: [CANNOT] ..." (the server said NO).
_NO_ANSWER_RE = re.compile(r"\w+ failed: (.*)", re.DOTALL)
# imaplib: "UID command error: BAD [b'Error in IMAP command ...']".
_BAD_ANSWER_RE = re.compile(r"\w+ command error: (BAD|NO) \[b(['\"])(.*)\2\]", re.DOTALL)
# Dovecot appends its timing to every answer, e.g. " (0.001 + 0.000 secs)."
_TIMING_RE = re.compile(r"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)\.?$")


def _server_answer(exc: BaseException) -> str | None:
    """The server's refusal (e.g. "NO [TRYCREATE] ...") if ``exc`` reports one."""
    if isinstance(exc, OSError | IMAPClientAbortError) or not isinstance(exc, IMAPClientError):
        return None
    text = str(exc).strip()
    if m := _NO_ANSWER_RE.fullmatch(text):
        answer = f"NO {m.group(1)}"
    elif m := _BAD_ANSWER_RE.fullmatch(text):
        answer = f"{m.group(1)} {m.group(3).replace(chr(92) * 2, chr(92))}"
    else:
        return None
    return _TIMING_RE.sub("", answer).strip()


def _is_retryable(exc: BaseException) -> bool:
    # A bad certificate will not fix itself; refusals, resets and timeouts might.
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False
    return isinstance(exc, OSError | imaplib.IMAP4.abort)


class ImapSession(MailSession[ImapConfig]):
    """One IMAP connection, logged in; a context manager (connects on entry, logs out on exit)."""

    # Seconds for the first retry pause (doubles each time, capped at retry_wait_max).
    retry_wait_base: float = 1.0
    retry_wait_max: float = 30.0

    def __init__(self, config: ImapConfig, password: str | None) -> None:
        super().__init__(config)
        self._password = password
        self._client: IMAPClient | None = None

    def _open(self, context: ssl.SSLContext | None) -> IMAPClient:
        cfg = self.config
        timeout = SocketTimeout(connect=cfg.connect_timeout, read=cfg.command_timeout)
        use_ssl = cfg.security == "ssl"
        client = IMAPClient(
            cfg.host,
            port=cfg.effective_port,
            ssl=use_ssl,
            ssl_context=context if use_ssl else None,
            timeout=timeout,
        )
        try:
            if cfg.security == "starttls":
                client.starttls(context)
        except BaseException:
            client.shutdown()
            raise
        return client

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "IMAP %s: connection attempt %d failed (%s); retrying in %.1fs",
            self._where,
            state.attempt_number,
            describe_failure(exc) if exc else "?",
            pause,
        )

    def connect(self) -> None:
        """Connect (retrying connection errors with exponential backoff) and log in."""
        if self._client is not None:
            return
        cfg = self.config
        # A fresh token for every connection (reconnects too): one from an earlier one may have
        # expired. Fetched before connecting, so the server never waits on the token command.
        token = (
            access_token(cfg, cfg.username, protocol="IMAP", error=ImapLoginError)
            if cfg.auth == "xoauth2"
            else None
        )
        # Before connecting: a bad ca_file is reported as such, and not retried.
        context = (
            tls_context(cfg, protocol="IMAP", error=ImapError) if cfg.security != "none" else None
        )
        retrying = Retrying(
            stop=stop_after_attempt(cfg.connect_attempts),
            wait=wait_exponential(multiplier=self.retry_wait_base, max=self.retry_wait_max),
            retry=retry_if_exception(_is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            client = retrying(self._open, context)
        except ssl.SSLCertVerificationError as exc:
            raise ImapError(certificate_refused("IMAP", self._where, exc)) from exc
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise ImapError(unreachable("IMAP", self._where, describe_failure(exc))) from exc
        client.normalise_times = False  # keep INTERNALDATE's own offset (aware datetimes)
        try:
            if token is not None:
                self._xoauth2_login(client, token)
            else:
                client.login(cfg.username, self._password or "")
        except ImapLoginError:
            client.shutdown()
            raise
        except LoginError as exc:
            client.shutdown()
            raise ImapLoginError(f"IMAP ログインに失敗しました（ユーザー {cfg.username}）") from exc
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            client.shutdown()
            reason = hide_secret(describe_failure(exc), token)
            raise ImapError(login_failed_midway("IMAP", self._where, reason)) from exc
        self._client = client
        method = " (XOAUTH2)" if token is not None else ""
        log.info("IMAP %s: logged in as %s%s", self._where, cfg.username, method)

    def _xoauth2_login(self, client: IMAPClient, token: str) -> None:
        cfg = self.config
        mechanism = XOAuth2(cfg.username, token)
        try:
            client.sasl_login("XOAUTH2", mechanism)
        except LoginError as exc:
            answer = _TIMING_RE.sub("", str(exc)).strip()
            raise ImapLoginError(
                mechanism.refused("IMAP", cfg.username, self._where, answer)
            ) from exc

    def close(self) -> None:
        """Log out; safe to call more than once, never raises."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception as exc:  # the session is over either way
            log.debug("IMAP %s: logout failed (%s)", self._where, exc)
            with suppress(Exception):
                client.shutdown()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ImapError("IMAP サーバーに接続していません")
        return self._client

    @contextmanager
    def _command(self, what: str) -> Iterator[IMAPClient]:
        """Turn library/socket errors of one command into an ImapError for the operator."""
        client = self.client
        try:
            yield client
        except ImapError:
            raise
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            answer = _server_answer(exc)
            detail = (
                f"{self._where}: {describe_failure(exc)}"
                if answer is None
                else f"{self._where} の応答: {answer}"
            )
            space = "" if what.endswith("）") else " "
            raise ImapError(f"IMAP {what}{space}に失敗しました（{detail}）") from exc
