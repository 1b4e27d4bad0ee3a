"""What the IMAP and SMTP adapters share: TLS contexts, XOAUTH2 logins with access tokens from a
configured command, hiding secrets, and how connection problems are worded for the operator.

Access tokens: mail tools commonly delegate the OAuth2 dance to a helper (oama, mailctl, a cloud
CLI) that prints a current access token on stdout. It runs for every connection, so an expired
token is never reused. Its output is a secret: never logged, nor put in an error message.

Every function that can fail for a reason the operator must fix takes the adapter's own error
class (``ImapError``, ``SmtpError``) and raises it with a Japanese message that names the
protocol, so both adapters report the same problem in the same words.
"""

from __future__ import annotations

import logging
import shlex
import ssl
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Generic, Literal, Protocol, Self, TypeVar

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
# How much of a server's XOAUTH2 error challenge reaches the log.
_MAX_LOGGED_CHALLENGE = 300


class MailServerSettings(Protocol):
    """The parts of ``ImapConfig`` and ``SmtpConfig`` this module reads."""

    @property
    def host(self) -> str: ...
    @property
    def security(self) -> Security: ...
    @property
    def verify_certificate(self) -> bool: ...
    @property
    def ca_file(self) -> Path | None: ...
    @property
    def token_command(self) -> str | None: ...
    @property
    def token_timeout(self) -> float: ...
    @property
    def effective_port(self) -> int: ...


def server_address(config: MailServerSettings) -> str:
    """``host:port`` as the messages name the server."""
    return f"{config.host}:{config.effective_port}"


SettingsT = TypeVar("SettingsT", bound=MailServerSettings)


class MailSession(Generic[SettingsT]):
    """One connection to a mail server; a context manager (connects on entry, closes on exit)."""

    def __init__(self, config: SettingsT) -> None:
        self.config = config

    def connect(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _where(self) -> str:
        return server_address(self.config)


def hide_secret(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (a server could echo what it was sent)."""
    return text.replace(secret, "***") if secret else text


# ---------------------------------------------------------------------------------------------
# TLS
# ---------------------------------------------------------------------------------------------


def tls_context(
    config: MailServerSettings, *, protocol: str, error: type[Exception]
) -> ssl.SSLContext:
    """The TLS context for ``config``: the system's CAs, or ``ca_file`` when set.

    A ``ca_file`` that cannot be read, or holds no certificate, raises ``error`` before any
    connection is tried (retrying would not fix it).
    """
    cafile = str(config.ca_file) if config.ca_file else None
    try:
        context = ssl.create_default_context(cafile=cafile)
    except ssl.SSLError as exc:  # first: an SSLError is an OSError too
        raise error(
            f"{protocol} の ca_file {config.ca_file} を証明書として読めません（{exc}）"
        ) from exc
    except OSError as exc:
        raise error(
            f"{protocol} の ca_file {config.ca_file} を読めません（{describe_failure(exc)}）"
        ) from exc
    if not config.verify_certificate:
        log.warning(
            "%s %s: certificate verification is switched off", protocol, server_address(config)
        )
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def certificate_refused(protocol: str, where: str, exc: ssl.SSLCertVerificationError) -> str:
    return (
        f"{protocol} サーバー {where} の証明書を検証できません"
        f"（certificate verify failed: {exc.verify_message}）。ca_file の設定を確認してください"
    )


# ---------------------------------------------------------------------------------------------
# Wording
# ---------------------------------------------------------------------------------------------


def timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a timeout (smtplib wraps a read timeout
    in SMTPServerDisconnected)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__context__
    return False


def describe_failure(exc: BaseException) -> str:
    """A short description of a connection-level exception (the OS's words when it has some)."""
    if timed_out(exc):
        return "タイムアウト"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text or type(exc).__name__


def unreachable(protocol: str, where: str, reason: str) -> str:
    return f"{protocol} サーバー {where} に接続できません（{reason}）"


def login_failed_midway(protocol: str, where: str, reason: str) -> str:
    return f"{protocol} サーバー {where} でログイン中にエラーが発生しました（{reason}）"


# ---------------------------------------------------------------------------------------------
# Access tokens and XOAUTH2
# ---------------------------------------------------------------------------------------------


class TokenError(Exception):
    """The token command failed; the message says how, without the token."""


def fetch_token(command: str, *, timeout: float = 30.0) -> str:
    """Run the token command and return the access token it printed."""
    try:
        completed = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise TokenError(f"トークン取得コマンドが見つかりません（{exc.filename}）") from None
    except subprocess.TimeoutExpired:
        raise TokenError(f"トークン取得コマンドが {timeout:g} 秒以内に終わりませんでした") from None
    if completed.returncode != 0:
        # stderr may explain the failure; stdout may hold a (partial) token and is not shown.
        detail = completed.stderr.strip().splitlines()[-1:] or ["（エラー出力なし）"]
        raise TokenError(
            f"トークン取得コマンドが終了コード {completed.returncode} で失敗しました: "
            f"{detail[0][:200]}"
        )
    token = completed.stdout.strip()
    if not token or any(ch.isspace() for ch in token):
        raise TokenError("トークン取得コマンドの出力がアクセストークンの形ではありません")
    return token


def access_token(
    config: MailServerSettings, username: str, *, protocol: str, error: type[Exception]
) -> str:
    """A fresh access token for an XOAUTH2 login, or ``error`` saying why there is none."""
    if not config.token_command:  # LoginConfig requires it; checked again for type safety
        raise error(f'{protocol}: auth = "xoauth2" には token_command が必要です')
    try:
        token = fetch_token(config.token_command, timeout=config.token_timeout)
    except TokenError as exc:
        raise error(
            f"{protocol} ログイン用のアクセストークンを取得できません（ユーザー {username}）: {exc}"
        ) from None
    if not (token.isascii() and token.isprintable()):
        raise error(
            f"{protocol} ログイン用のアクセストークンに使えない文字が含まれています"
            "（token_command の出力を確認してください）"
        )
    return token


class XOAuth2:
    """The SASL XOAUTH2 client (Google, Microsoft 365) for ``IMAPClient.sasl_login`` and
    ``smtplib.SMTP.auth``.

    The first call returns the initial response, which carries the token (SMTP asks for it with
    no challenge, IMAP with an empty one). When the server refuses the token it sends a JSON
    error as a challenge, which the client must answer with an empty response (as Google and
    Microsoft document); the server then ends the exchange with its refusal.
    """

    def __init__(self, username: str, token: str) -> None:
        self._response = f"user={username}\x01auth=Bearer {token}\x01\x01"
        self._token = token
        self._sent = False
        self.error: bytes | None = None  # the server's JSON error challenge, if any

    def __call__(self, challenge: bytes | None = None, /) -> str:
        if not self._sent:
            self._sent = True
            return self._response
        self.error = challenge
        return ""

    def __repr__(self) -> str:
        return "<XOAuth2 (token hidden)>"

    def refused(self, protocol: str, username: str, where: str, answer: str) -> str:
        """The operator's message for a refused login; the server's error challenge is logged."""
        if self.error:
            challenge = self.error.decode("utf-8", "replace")[:_MAX_LOGGED_CHALLENGE]
            log.info(
                "%s %s: XOAUTH2 refused, server said %s",
                protocol,
                where,
                hide_secret(challenge, self._token),
            )
        return (
            f"{protocol} の XOAUTH2 ログインに失敗しました（ユーザー {username}、{where} の応答: "
            f"{hide_secret(answer, self._token) or '不明'}）。アクセストークンの期限切れ・"
            f"権限（スコープ）不足や、アカウントで {protocol} が無効になっていないか"
            "確認してください"
        )
