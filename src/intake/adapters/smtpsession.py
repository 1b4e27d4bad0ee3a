"""One SMTP connection: connecting, TLS, EHLO, logging in (a password or XOAUTH2), QUIT, and the
Japanese wording of connection problems. :class:`intake.adapters.smtp.SmtpSender` sends on it.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl

from intake.adapters.mailauth import (
    MailSession,
    XOAuth2,
    access_token,
    certificate_refused,
    hide_secret,
    login_failed_midway,
    timed_out,
    tls_context,
    unreachable,
)
from intake.config import ConfigError, SmtpConfig

log = logging.getLogger(__name__)

_MAX_SERVER_TEXT = 300


class SmtpError(Exception):
    """Connecting or logging in failed; str() is a Japanese message for the operator."""


def server_text(code: int, text: bytes | str) -> str:
    """A server reply as the messages quote it: code and text on one line, cut when long."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = " ".join(text.split())
    if len(message) > _MAX_SERVER_TEXT:
        message = message[:_MAX_SERVER_TEXT] + "…"
    return f"{code} {message}".strip()


_CONNECTION_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "接続を拒否されました"),
    (ConnectionResetError, "接続がリセットされました"),
    (BrokenPipeError, "接続が切れました"),
    (smtplib.SMTPServerDisconnected, "接続が切れました"),
)


def smtp_reason(exc: BaseException) -> str:
    """A short Japanese description of a connection-level exception."""
    if timed_out(exc):
        return "タイムアウト"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"証明書の検証に失敗しました: {exc.verify_message}"
    for kind, reason in _CONNECTION_REASONS:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, smtplib.SMTPResponseException):
        return server_text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def close_quietly(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):  # close() on a broken socket
        smtp.close()


class SmtpSession(MailSession[SmtpConfig]):
    """One SMTP connection, logged in as configured; a context manager."""

    def __init__(self, config: SmtpConfig, *, password: str | None = None) -> None:
        super().__init__(config)
        self._password = password
        self._smtp: smtplib.SMTP | None = None
        self._local_hostname: str | None = None

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    def connect(self) -> None:
        """Open a fresh connection (closing any current one), say EHLO and log in."""
        self.close()
        cfg = self.config
        # Credentials first: the server never waits on a token command, and a missing
        # password is reported without touching the network.
        secret = self._secret()
        smtp = self._open()
        try:
            if cfg.auth != "none":
                assert secret is not None and cfg.username is not None
                self._login(smtp, cfg.username, secret)
        except BaseException:
            close_quietly(smtp)
            raise
        self._smtp = smtp
        method = "" if cfg.auth == "none" else f", logged in as {cfg.username} ({cfg.auth})"
        log.info("SMTP %s: connected (%s%s)", self._where, cfg.security, method)

    def _secret(self) -> str | None:
        cfg = self.config
        if cfg.auth == "none":
            return None
        if not cfg.username:
            raise SmtpError(f'SMTP: auth = "{cfg.auth}" には username の設定が必要です')
        if cfg.auth == "xoauth2":
            return access_token(cfg, cfg.username, protocol="SMTP", error=SmtpError)
        password = self._password
        if password is None:
            try:
                password = cfg.read_secret("[smtp]")
            except ConfigError as exc:
                raise SmtpError(str(exc)) from None
        if password is None:
            raise SmtpError(
                "SMTP のパスワードが設定されていません"
                "（[smtp] に password_env か password_file を指定してください）"
            )
        return password

    def _open(self) -> smtplib.SMTP:
        cfg = self.config
        context = (
            tls_context(cfg, protocol="SMTP", error=SmtpError) if cfg.security != "none" else None
        )
        smtp: smtplib.SMTP | None = None
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    cfg.host,
                    cfg.effective_port,
                    local_hostname=self._local_hostname,
                    timeout=cfg.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    cfg.host,
                    cfg.effective_port,
                    local_hostname=self._local_hostname,
                    timeout=cfg.timeout,
                )
            self._local_hostname = smtp.local_hostname  # getfqdn() only once per sender
            smtp.ehlo_or_helo_if_needed()
            if cfg.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SmtpError(
                        f"SMTP サーバー {self._where} が STARTTLS に対応していません"
                        "（security の設定を確認してください）"
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
        except SmtpError:
            if smtp is not None:
                close_quietly(smtp)
            raise
        except ssl.SSLCertVerificationError as exc:
            if smtp is not None:
                close_quietly(smtp)
            raise SmtpError(certificate_refused("SMTP", self._where, exc)) from exc
        except smtplib.SMTPConnectError as exc:
            raise SmtpError(
                f"SMTP サーバー {self._where} が接続を受け付けませんでした"
                f"（{server_text(exc.smtp_code, exc.smtp_error)}）"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                close_quietly(smtp)
            raise SmtpError(unreachable("SMTP", self._where, smtp_reason(exc))) from exc
        return smtp

    def _login(self, smtp: smtplib.SMTP, username: str, secret: str) -> None:
        cfg = self.config
        if not smtp.has_extn("auth"):
            hint = "。security を starttls か ssl にしてください" if cfg.security == "none" else ""
            raise SmtpError(
                f"SMTP サーバー {self._where} がログイン（AUTH）を受け付けていません{hint}"
            )
        mechanism = XOAuth2(username, secret) if cfg.auth == "xoauth2" else None
        if mechanism is not None and not username.isascii():
            raise SmtpError(f"SMTP の username {username} に ASCII 以外の文字が含まれています")
        # Raised after the except blocks, so no exception that saw the secret (a
        # UnicodeEncodeError holds the whole string) hangs on as __context__.
        failure: SmtpError | None = None
        try:
            if mechanism is not None:
                smtp.auth("XOAUTH2", mechanism, initial_response_ok=True)
            else:
                smtp.login(username, secret)
        except smtplib.SMTPAuthenticationError as exc:
            answer = server_text(exc.smtp_code, exc.smtp_error)
            if mechanism is not None:
                failure = SmtpError(mechanism.refused("SMTP", username, self._where, answer))
            else:
                failure = SmtpError(
                    f"SMTP ログインに失敗しました（ユーザー {username}、{self._where} の応答: "
                    f"{hide_secret(answer, secret)}）。username とパスワードを確認してください"
                )
        except smtplib.SMTPNotSupportedError:
            offered = smtp.esmtp_features.get("auth", "").strip() or "なし"
            failure = SmtpError(
                f"SMTP サーバー {self._where} が対応するログイン方式がありません"
                f"（サーバーの方式: {offered}）"
            )
        except UnicodeEncodeError:  # smtplib sends credentials as ASCII
            failure = SmtpError(
                "SMTP のユーザー名かパスワードに ASCII 以外の文字が含まれているため、"
                "ログインできません"
            )
        except (OSError, smtplib.SMTPException) as exc:
            reason = hide_secret(smtp_reason(exc), secret)
            failure = SmtpError(login_failed_midway("SMTP", self._where, reason))
        if failure is not None:
            raise failure

    def close(self) -> None:
        """QUIT and close; safe to call more than once, never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException) as exc:
            log.debug("SMTP %s: QUIT failed (%s)", self._where, smtp_reason(exc))
        finally:
            close_quietly(smtp)

    def _discard(self) -> None:
        """Forget a connection that is broken or out of step (no QUIT)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            close_quietly(smtp)
