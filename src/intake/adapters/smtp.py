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

import logging
import re
import smtplib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from intake.adapters.smtpsession import SmtpError, SmtpSession, server_text, smtp_reason
from intake.config import SmtpConfig
from intake.domain.addresses import address_problem, is_mail_system_address
from intake.domain.lifecycle import SendOutcome  # the answer, in domain terms

__all__ = ["SendOutcome", "SendResult", "SmtpError", "SmtpSender", "prepare_data"]

log = logging.getLogger(__name__)

# The rate limit's rolling window.
RATE_WINDOW_SECONDS = 60.0
# After a failed (re)connection inside send(), later sends fail fast for this long instead of
# each waiting for its own connection timeout (the whole batch would stall on a dead server).
RECONNECT_PAUSE_SECONDS = 60.0

_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_CRLF = b"\r\n"
_END_OF_DATA = b".\r\n"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    # Japanese, for the operator; includes the server's code and text when there was one.
    detail: str


def prepare_data(message: bytes) -> bytes:
    """The DATA payload for ``message``: CRLF line endings, dot-stuffed, ending in CRLF.CRLF.

    Bare LF and bare CR become CRLF (servers reject bare line feeds), every line starting with
    "." gets a second one (RFC 5321 4.5.2), as smtplib's ``data`` does.
    """
    data = _LEADING_DOT.sub(b"..", _LINE_END.sub(_CRLF, message))
    if not data.endswith(_CRLF):
        data += _CRLF
    return data + _END_OF_DATA


def _recipient_problem(recipient: str) -> str | None:
    problem = address_problem(recipient, role="宛先")
    if problem is not None:
        return problem
    if is_mail_system_address(recipient):
        return (
            f"宛先 {recipient} はメールシステムの管理用アドレスのため、自動送信の宛先にできません"
        )
    return None


class _StaleConnection(Exception):
    """A reused connection turned out dead at MAIL FROM (nothing of the message was sent)."""


class SmtpSender(SmtpSession):
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
        super().__init__(config, password=password)
        self._clock = clock
        self._sleep = sleep
        self._sent_at: deque[float] = deque()
        self._connect_failure: tuple[float, str] | None = None

    def connect(self) -> None:
        """Open a fresh connection (closing any current one), say EHLO and log in."""
        self._connect_failure = None
        super().connect()

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
                f"SMTP サーバーへの接続中に想定外のエラーが発生しました（{smtp_reason(exc)}）",
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
                raise _StaleConnection(server_text(code, text))
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
                raise _StaleConnection(smtp_reason(exc)) from exc
            return SendResult(
                SendOutcome.TEMPORARY,
                f"SMTP サーバーとの接続が切れました（{stage}の送信中、{smtp_reason(exc)}）。"
                "メールは届いていないため、再送して問題ありません",
            )
        except Exception as exc:
            # A bug rather than the network; still, nothing was delivered.
            log.exception("SMTP %s: unexpected error at %s", self._where, stage)
            self._discard()
            return SendResult(
                SendOutcome.TEMPORARY,
                f"SMTP の送信中に想定外のエラーが発生しました（{stage}、{smtp_reason(exc)}）。"
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
                smtp_reason(exc),
            )
            return SendResult(
                SendOutcome.UNKNOWN,
                f"本文を送り終えた後、SMTP サーバーの応答を受け取る前に接続が切れました"
                f"（{smtp_reason(exc)}）。サーバーが受け付けた可能性があるため、自動では再送しません。"
                "相手に届いたかどうか確認してください",
            )
        if 200 <= code < 300:
            return SendResult(SendOutcome.SENT, f"送信しました（{server_text(code, text)}）")
        if 400 <= code < 600:
            if code == 421:
                self._discard()
            return self._classified(code, text, "")
        self._discard()
        return SendResult(
            SendOutcome.UNKNOWN,
            f"本文を送り終えた後の SMTP サーバーの応答が想定外でした"
            f"（{server_text(code, text)}）。受け付けられた可能性があるため、"
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
        answer = server_text(code, text)
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
