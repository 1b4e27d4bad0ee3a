"""SMTP adapter over smtplib: one connection per batch, every send classified precisely.

SMTP cannot deliver exactly once: if the connection is lost after the final "." of the data
was sent but before the server's reply was read, the server may or may not have accepted the
message. ``send`` therefore drives MAIL FROM / RCPT TO / DATA itself (smtplib's low-level
``putcmd``/``getreply``/``send``, not ``sendmail``) so it knows at which point a failure
happened, and reports one of:

* ``SENT`` – the server answered 2xx to the data;
* ``TEMPORARY`` – a 4xx reply, or the connection was lost before the final "." went out:
  nothing was delivered, sending again later is safe;
* ``PERMANENT`` – a 5xx reply, or a recipient this adapter refuses to write to;
* ``UNKNOWN`` – the final "." went out but no reply came: the server may have accepted it.
  The caller must hold the message for an operator and never resend it blindly.

``send`` does not raise for delivery or connection problems (a caller that marked the message
as "sending" must always get an answer); only ``connect`` raises ``SmtpError``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from intake.adapters.oauth import TokenError, fetch_token
from intake.config import ConfigError, SmtpConfig
from intake.domain.lifecycle import SendOutcome as SendOutcome  # the answer, in domain terms

log = logging.getLogger(__name__)

# The rate limit's rolling window.
RATE_WINDOW_SECONDS = 60.0
# After a failed (re)connection inside send(), later sends fail fast for this long instead of
# each waiting for its own connection timeout (the whole batch would stall on a dead server).
RECONNECT_PAUSE_SECONDS = 60.0
# Local parts never written to: the mail system's own mailboxes (RFC 5321 4.5.1, RFC 3834).
REFUSED_LOCAL_PARTS = frozenset({"postmaster", "mailer-daemon"})

_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_CRLF = b"\r\n"
_END_OF_DATA = b".\r\n"
_MAX_SERVER_TEXT = 300


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    # Japanese, for the operator; includes the server's code and text when there was one.
    detail: str


class SmtpError(Exception):
    """Connecting or logging in failed; str() is a Japanese message for the operator."""


def prepare_data(message: bytes) -> bytes:
    """The DATA payload for ``message``: CRLF line endings, dot-stuffed, ending in CRLF.CRLF.

    Bare LF and bare CR become CRLF (servers reject bare line feeds), every line starting with
    "." gets a second one (RFC 5321 4.5.2), as smtplib's ``data`` does.
    """
    data = _LEADING_DOT.sub(b"..", _LINE_END.sub(_CRLF, message))
    if not data.endswith(_CRLF):
        data += _CRLF
    return data + _END_OF_DATA


def address_problem(address: str, *, role: str) -> str | None:
    """Why ``address`` must not be used as an envelope address (Japanese), or None."""
    if not address or not address.strip():
        return f"{role}のメールアドレスが空です"
    if any(ch in address for ch in "\r\n\0"):
        return (
            f"{role}のメールアドレス {address!r} に改行などの制御文字が含まれています"
            "（ヘッダー・インジェクションの疑い）"
        )
    if any(ch.isspace() or ch in "<>" or ord(ch) < 32 or ord(ch) == 127 for ch in address):
        return f"{role}のメールアドレス {address!r} に使えない文字（空白や < >）が含まれています"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return f"{role}のアドレス {address} はメールアドレスの形ではありません"
    return None


def _recipient_problem(recipient: str) -> str | None:
    problem = address_problem(recipient, role="宛先")
    if problem is not None:
        return problem
    local = recipient.rpartition("@")[0].strip('"').lower()
    if local in REFUSED_LOCAL_PARTS:
        return (
            f"宛先 {recipient} はメールシステムの管理用アドレスのため、自動送信の宛先にできません"
        )
    return None


def _server_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = " ".join(text.split())
    if len(message) > _MAX_SERVER_TEXT:
        message = message[:_MAX_SERVER_TEXT] + "…"
    return f"{code} {message}".strip()


def _reason(exc: BaseException) -> str:
    """A short Japanese description of a connection-level exception."""
    seen: BaseException | None = exc
    while seen is not None:  # smtplib wraps a read timeout in SMTPServerDisconnected
        if isinstance(seen, TimeoutError):
            return "タイムアウト"
        seen = seen.__context__
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"証明書の検証に失敗しました: {exc.verify_message}"
    if isinstance(exc, ConnectionRefusedError):
        return "接続を拒否されました"
    if isinstance(exc, ConnectionResetError):
        return "接続がリセットされました"
    if isinstance(exc, BrokenPipeError | smtplib.SMTPServerDisconnected):
        return "接続が切れました"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _server_text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _XOAuth2:
    """The SASL XOAUTH2 client for ``smtplib.SMTP.auth``.

    The initial response carries the token. A refused token comes back as a 334 challenge
    holding a JSON error, which must be answered with an empty response (Google, Microsoft);
    the server then sends 535.
    """

    def __init__(self, username: str, token: str) -> None:
        self._response = f"user={username}\x01auth=Bearer {token}\x01\x01"
        self.error: bytes | None = None

    def __call__(self, challenge: bytes | None = None, /) -> str:
        if challenge is None:
            return self._response
        self.error = challenge
        return ""

    def __repr__(self) -> str:
        return "<_XOAuth2 (token hidden)>"


class _StaleConnection(Exception):
    """A reused connection turned out dead at MAIL FROM (nothing of the message was sent)."""


class SmtpSender:
    """Sends messages over one SMTP connection, reused for a batch (a context manager).

    ``clock`` and ``sleep`` drive the rate limit (at most ``max_per_minute`` sends in any 60
    seconds) and can be replaced in tests.
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        password: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._password = password
        self._clock = clock
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None
        self._sent_at: deque[float] = deque()
        self._connect_failure: tuple[float, str] | None = None
        self._local_hostname: str | None = None

    def __enter__(self) -> SmtpSender:
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
    def connected(self) -> bool:
        return self._smtp is not None

    @property
    def _where(self) -> str:
        return f"{self.config.host}:{self.config.effective_port}"

    # -- connecting ------------------------------------------------------------------------

    def connect(self) -> None:
        """Open a fresh connection (closing any current one), say EHLO and log in."""
        self.close()
        self._connect_failure = None
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
            _close_quietly(smtp)
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
            if not cfg.token_command:  # LoginConfig requires it; checked again for typing
                raise SmtpError('SMTP: auth = "xoauth2" には token_command が必要です')
            try:
                token = fetch_token(cfg.token_command, timeout=cfg.token_timeout)
            except TokenError as exc:
                raise SmtpError(
                    f"SMTP ログイン用のアクセストークンを取得できません"
                    f"（ユーザー {cfg.username}）: {exc}"
                ) from None
            if not (token.isascii() and token.isprintable()):
                raise SmtpError(
                    "SMTP ログイン用のアクセストークンに使えない文字が含まれています"
                    "（token_command の出力を確認してください）"
                )
            return token
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

    def _ssl_context(self) -> ssl.SSLContext:
        cfg = self.config
        cafile = str(cfg.ca_file) if cfg.ca_file else None
        try:
            context = ssl.create_default_context(cafile=cafile)
        except OSError as exc:
            raise SmtpError(
                f"SMTP の ca_file {cfg.ca_file} を読めません（{_reason(exc)}）"
            ) from exc
        except ssl.SSLError as exc:
            raise SmtpError(
                f"SMTP の ca_file {cfg.ca_file} を証明書として読めません（{exc}）"
            ) from exc
        if not cfg.verify_certificate:
            log.warning("SMTP %s: certificate verification is switched off", self._where)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self) -> smtplib.SMTP:
        cfg = self.config
        context = self._ssl_context() if cfg.security != "none" else None
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
                _close_quietly(smtp)
            raise
        except ssl.SSLCertVerificationError as exc:
            if smtp is not None:
                _close_quietly(smtp)
            raise SmtpError(
                f"SMTP サーバー {self._where} の証明書を検証できません"
                f"（{exc.verify_message}）。ca_file の設定を確認してください"
            ) from exc
        except smtplib.SMTPConnectError as exc:
            raise SmtpError(
                f"SMTP サーバー {self._where} が接続を受け付けませんでした"
                f"（{_server_text(exc.smtp_code, exc.smtp_error)}）"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                _close_quietly(smtp)
            raise SmtpError(
                f"SMTP サーバー {self._where} に接続できません（{_reason(exc)}）"
            ) from exc
        return smtp

    def _login(self, smtp: smtplib.SMTP, username: str, secret: str) -> None:
        cfg = self.config
        if not smtp.has_extn("auth"):
            hint = "。security を starttls か ssl にしてください" if cfg.security == "none" else ""
            raise SmtpError(
                f"SMTP サーバー {self._where} がログイン（AUTH）を受け付けていません{hint}"
            )
        mechanism = _XOAuth2(username, secret) if cfg.auth == "xoauth2" else None
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
            answer = _hide(_server_text(exc.smtp_code, exc.smtp_error), secret)
            if mechanism is not None:
                if mechanism.error:
                    log.info(
                        "SMTP %s: XOAUTH2 refused, server said %s",
                        self._where,
                        _hide(mechanism.error.decode("utf-8", "replace")[:300], secret),
                    )
                failure = SmtpError(
                    f"SMTP の XOAUTH2 ログインに失敗しました（ユーザー {username}、"
                    f"{self._where} の応答: {answer}）。アクセストークンの期限切れや"
                    "権限（スコープ）不足がないか確認してください"
                )
            else:
                failure = SmtpError(
                    f"SMTP ログインに失敗しました（ユーザー {username}、{self._where} の応答: "
                    f"{answer}）。username とパスワードを確認してください"
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
            failure = SmtpError(
                f"SMTP サーバー {self._where} でログイン中にエラーが発生しました"
                f"（{_hide(_reason(exc), secret)}）"
            )
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
            log.debug("SMTP %s: QUIT failed (%s)", self._where, _reason(exc))
        finally:
            _close_quietly(smtp)

    def _discard(self) -> None:
        """Forget a connection that is broken or out of step (no QUIT)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _close_quietly(smtp)

    # -- sending ---------------------------------------------------------------------------

    def send(self, message_bytes: bytes, *, sender: str, recipient: str) -> SendResult:
        """Send one message to one recipient and say precisely what became of it."""
        problem = address_problem(sender, role="送信者") or _recipient_problem(recipient)
        if problem is not None:
            return SendResult(SendOutcome.PERMANENT, f"{problem}。送信しませんでした")
        if self._connect_failure is not None:
            failed_at, detail = self._connect_failure
            if self._clock() - failed_at < RECONNECT_PAUSE_SECONDS:
                return SendResult(SendOutcome.TEMPORARY, detail)
            self._connect_failure = None
        payload = prepare_data(message_bytes)
        self._respect_rate_limit()
        reused = self._smtp is not None
        if not reused:
            failure = self._reconnect()
            if failure is not None:
                return failure
        self._sent_at.append(self._clock())
        try:
            return self._transaction(payload, sender, recipient, reused=reused)
        except _StaleConnection as exc:
            log.info(
                "SMTP %s: the reused connection was closed (%s); reconnecting",
                self._where,
                exc,
            )
        failure = self._reconnect()
        if failure is not None:
            return failure
        try:
            return self._transaction(payload, sender, recipient, reused=False)
        except _StaleConnection:  # pragma: no cover - only raised for reused connections
            raise AssertionError("stale connection on a fresh connection") from None

    def _reconnect(self) -> SendResult | None:
        try:
            self.connect()
        except SmtpError as exc:
            detail = f"{exc}。メールは送っていません"
            self._connect_failure = (self._clock(), detail)
            log.warning("SMTP %s: reconnecting failed: %s", self._where, exc)
            return SendResult(SendOutcome.TEMPORARY, detail)
        except Exception as exc:
            log.exception("SMTP %s: unexpected error while connecting", self._where)
            return SendResult(
                SendOutcome.TEMPORARY,
                f"SMTP サーバーへの接続中に想定外のエラーが発生しました（{_reason(exc)}）",
            )
        return None

    def _respect_rate_limit(self) -> None:
        limit = self.config.max_per_minute
        sent_at = self._sent_at
        while True:
            now = self._clock()
            while sent_at and now - sent_at[0] >= RATE_WINDOW_SECONDS:
                sent_at.popleft()
            if len(sent_at) < limit:
                return
            pause = sent_at[0] + RATE_WINDOW_SECONDS - now
            log.info(
                "SMTP %s: %d messages in the last minute (limit %d); waiting %.1fs",
                self._where,
                len(sent_at),
                limit,
                pause,
            )
            self._sleep(pause)
            # That send has now left the window (sleep never returns early): dropping it here
            # also keeps a clock that does not move from looping forever.
            sent_at.popleft()

    def _transaction(
        self, payload: bytes, sender: str, recipient: str, *, reused: bool
    ) -> SendResult:
        smtp = self._smtp
        assert smtp is not None
        stage = "MAIL FROM コマンド"
        try:
            smtp.command_encoding = "ascii"
            options = self._mail_options(smtp, payload, sender, recipient)
            if isinstance(options, SendResult):
                return options
            code, text = smtp.mail(sender, options)
            if code == 421 and reused:
                # An idle connection the server timed out: its 421 was waiting for us.
                self._discard()
                raise _StaleConnection(_server_text(code, text))
            if code != 250:
                return self._refused(code, text, f"送信者 {sender}")
            stage = "RCPT TO コマンド"
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(code, text, f"宛先 {recipient}")
            stage = "DATA コマンド"
            smtp.putcmd("data")
            code, text = smtp.getreply()
            if code != 354:
                return self._refused(code, text, "DATA コマンド")
            stage = "本文"
            # One sendall(), which either hands every byte to the kernel or raises with some
            # left over; the final CRLF.CRLF comes last, so until it returns the server cannot
            # have seen the end of the data. (Two writes would meet Nagle's algorithm and
            # delayed ACKs: ~40 ms a message.)
            smtp.send(payload)
        except _StaleConnection:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self._discard()
            if stage == "MAIL FROM コマンド" and reused:
                raise _StaleConnection(_reason(exc)) from exc
            return SendResult(
                SendOutcome.TEMPORARY,
                f"SMTP サーバーとの接続が切れました（{stage}の送信中、{_reason(exc)}）。"
                "メールは届いていないため、再送して問題ありません",
            )
        except Exception as exc:
            # A bug rather than the network; still, nothing was delivered.
            log.exception("SMTP %s: unexpected error at %s", self._where, stage)
            self._discard()
            return SendResult(
                SendOutcome.TEMPORARY,
                f"SMTP の送信中に想定外のエラーが発生しました（{stage}、{_reason(exc)}）。"
                "メールは届いていません",
            )
        # The final "." is out: from here on, a lost answer means the outcome is unknown.
        try:
            code, text = smtp.getreply()
        except Exception as exc:
            self._discard()
            log.warning(
                "SMTP %s: no answer after the data (%s): outcome unknown",
                self._where,
                _reason(exc),
            )
            return SendResult(
                SendOutcome.UNKNOWN,
                f"本文を送り終えた後、SMTP サーバーの応答を受け取る前に接続が切れました"
                f"（{_reason(exc)}）。サーバーが受け付けた可能性があるため、自動では再送しません。"
                "相手に届いたかどうか確認してください",
            )
        if 200 <= code < 300:
            return SendResult(SendOutcome.SENT, f"送信しました（{_server_text(code, text)}）")
        if 400 <= code < 600:
            if code == 421:
                self._discard()
            return self._classified(code, text, "")
        self._discard()
        return SendResult(
            SendOutcome.UNKNOWN,
            f"本文を送り終えた後の SMTP サーバーの応答が想定外でした"
            f"（{_server_text(code, text)}）。受け付けられた可能性があるため、"
            "自動では再送しません。相手に届いたかどうか確認してください",
        )

    def _mail_options(
        self, smtp: smtplib.SMTP, payload: bytes, sender: str, recipient: str
    ) -> list[str] | SendResult:
        options: list[str] = []
        if smtp.has_extn("size"):
            options.append(f"SIZE={len(payload)}")
        if smtp.has_extn("8bitmime") and not payload.isascii():
            options.append("BODY=8BITMIME")
        if not (sender.isascii() and recipient.isascii()):
            if not smtp.has_extn("smtputf8"):
                return SendResult(
                    SendOutcome.PERMANENT,
                    f"SMTP サーバー {self._where} が SMTPUTF8 に対応していないため、"
                    f"ASCII 以外の文字を含むアドレス（{sender} → {recipient}）には送れません",
                )
            options.append("SMTPUTF8")
        return options

    def _refused(self, code: int, text: bytes, what: str) -> SendResult:
        """A refusal before the data: reset the transaction, keep the connection if we can."""
        result = self._classified(code, text, what)
        smtp = self._smtp
        if smtp is None:
            return result
        if code == 421 or not 400 <= code < 600:
            self._discard()  # the server is closing, or we are out of step with it
            return result
        try:
            reset_code, _ = smtp.rset()
        except (OSError, smtplib.SMTPException):
            reset_code = -1
        if reset_code != 250:
            self._discard()
        return result

    def _classified(self, code: int, text: bytes, what: str) -> SendResult:
        answer = _server_text(code, text)
        target = f"{what}を" if what else ""
        if 500 <= code < 600:
            return SendResult(
                SendOutcome.PERMANENT, f"SMTP サーバーが{target}拒否しました（{answer}）"
            )
        if 400 <= code < 500:
            return SendResult(
                SendOutcome.TEMPORARY,
                f"SMTP サーバーが{target}一時的に受け付けませんでした（{answer}）",
            )
        # Before the data nothing can have been delivered, whatever the server meant.
        return SendResult(SendOutcome.TEMPORARY, f"SMTP サーバーの応答が想定外でした（{answer}）")


def _close_quietly(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):  # close() on a broken socket
        smtp.close()


def _hide(text: str, secret: str) -> str:
    """``text`` without ``secret`` (a server could echo what it was sent)."""
    return text.replace(secret, "***") if secret else text
