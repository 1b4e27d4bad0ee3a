"""SmtpSender against a real aiosmtpd server on 127.0.0.1 (intake.devtools.smtpserver)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.adapters.smtp import SendOutcome, SmtpError, SmtpSender, prepare_data
from intake.config import SmtpConfig
from intake.devtools.smtpserver import SmtpTestServer

ServerFactory = Callable[..., SmtpTestServer]
ConfigFactory = Callable[..., SmtpConfig]

FROM = "jimukyoku@example.jp"
TO = "yamada.taro@example.com"


def _message(number: int = 1, body: bytes = b"") -> bytes:
    return (
        f"From: {FROM}\r\nTo: {TO}\r\nSubject: =?utf-8?b?5Y+X5LuY?= {number}\r\n"
        f"Message-ID: <ack-{number}@example.jp>\r\n\r\n".encode()
        + (body or f"受付番号 {number}\r\n".encode())
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- what arrives --------------------------------------------------------------------------


def test_sent_bytes_arrive_unchanged_after_dot_unstuffing(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    body = (
        b".a line starting with a dot\r\n"
        b".\r\n"  # alone on its line: would end the data if it were not stuffed
        b"..two dots\r\n"
        b"\xe5\x8f\x97\xe4\xbb\x98\xe5\xae\x8c\xe4\xba\x86\r\n"  # 8-bit UTF-8
        b"last line\r\n"
    )
    raw = _message(body=body)
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        result = sender.send(raw, sender=FROM, recipient=TO)

    assert result.outcome is SendOutcome.SENT, result.detail
    assert "250" in result.detail
    [got] = smtp_server.received
    assert got.data == raw
    assert got.mail_from == FROM
    assert got.rcpt_tos == [TO]


def test_line_endings_become_crlf(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        assert sender.send(
            b"Subject: a\n\n.x\nbare cr\rend", sender=FROM, recipient=TO
        ).outcome is (SendOutcome.SENT)
    assert smtp_server.received[0].data == b"Subject: a\r\n\r\n.x\r\nbare cr\r\nend\r\n"


def test_non_ascii_recipient_uses_smtputf8(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        result = sender.send(_message(), sender=FROM, recipient="山田@例え.jp")
    assert result.outcome is SendOutcome.SENT, result.detail
    assert smtp_server.received[0].rcpt_tos == ["山田@例え.jp"]


def test_prepare_data_stuffs_dots_and_terminates() -> None:
    assert prepare_data(b".a\r\nb\r\n.\r\n") == b"..a\r\nb\r\n..\r\n.\r\n"
    assert prepare_data(b"") == b"\r\n.\r\n"


def test_one_connection_for_a_batch_of_20(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        results = [sender.send(_message(n), sender=FROM, recipient=TO) for n in range(20)]

    assert [r.outcome for r in results] == [SendOutcome.SENT] * 20
    assert [m.data for m in smtp_server.received] == [_message(n) for n in range(20)]
    assert smtp_server.connections == 1


# -- refusals --------------------------------------------------------------------------------


def test_451_after_data_is_temporary_and_the_connection_goes_on(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    smtp_server.fail_next(1, 451, "4.3.0 try later")
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        refused = sender.send(_message(1), sender=FROM, recipient=TO)
        accepted = sender.send(_message(2), sender=FROM, recipient=TO)

    assert refused.outcome is SendOutcome.TEMPORARY
    assert refused.detail == "SMTP サーバーが一時的に受け付けませんでした（451 4.3.0 try later）"
    assert accepted.outcome is SendOutcome.SENT
    assert [m.data for m in smtp_server.received] == [_message(2)]
    assert smtp_server.connections == 1


def test_550_after_data_is_permanent(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    smtp_server.fail_next(1, 550, "5.7.1 message refused")
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        result = sender.send(_message(), sender=FROM, recipient=TO)

    assert result.outcome is SendOutcome.PERMANENT
    assert "550 5.7.1 message refused" in result.detail
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("code", "outcome"), [(450, SendOutcome.TEMPORARY), (550, SendOutcome.PERMANENT)]
)
def test_refused_recipient_resets_the_transaction(
    smtp_server: SmtpTestServer,
    make_smtp_config: ConfigFactory,
    code: int,
    outcome: SendOutcome,
) -> None:
    smtp_server.fail_rcpt_next(1, code, "mailbox unavailable")
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        refused = sender.send(_message(1), sender=FROM, recipient=TO)
        # Without RSET aiosmtpd would answer the next MAIL FROM with "503 nested MAIL".
        accepted = sender.send(_message(2), sender=FROM, recipient=TO)

    assert refused.outcome is outcome
    assert f"宛先 {TO}" in refused.detail
    assert f"{code} mailbox unavailable" in refused.detail
    assert accepted.outcome is SendOutcome.SENT, accepted.detail
    assert smtp_server.connections == 1


# -- lost connections ------------------------------------------------------------------------


def test_drop_after_data_is_unknown_and_the_server_has_the_message(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    smtp_server.drop_after_data_next()
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        result = sender.send(_message(1), sender=FROM, recipient=TO)
        # The case that must never be resent blindly: the server did get it.
        assert result.outcome is SendOutcome.UNKNOWN
        assert "自動では再送しません" in result.detail
        assert [m.data for m in smtp_server.received_unacknowledged] == [_message(1)]
        assert smtp_server.received == []

        # The batch goes on, over a new connection.
        following = sender.send(_message(2), sender=FROM, recipient=TO)

    assert following.outcome is SendOutcome.SENT
    assert [m.data for m in smtp_server.received] == [_message(2)]
    assert smtp_server.connections == 2


def test_no_answer_after_data_within_the_timeout_is_unknown(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    smtp_server.stall_after_data_next()
    with SmtpSender(make_smtp_config(smtp_server, timeout=0.5)) as sender:
        result = sender.send(_message(1), sender=FROM, recipient=TO)
        assert result.outcome is SendOutcome.UNKNOWN
        assert "タイムアウト" in result.detail
        assert len(smtp_server.received_unacknowledged) == 1
        assert sender.send(_message(2), sender=FROM, recipient=TO).outcome is SendOutcome.SENT


def test_drop_on_rcpt_is_temporary_and_nothing_arrives(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    smtp_server.drop_on_rcpt_next()
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        result = sender.send(_message(1), sender=FROM, recipient=TO)
        assert result.outcome is SendOutcome.TEMPORARY
        assert "RCPT TO" in result.detail
        assert smtp_server.received == []
        assert smtp_server.received_unacknowledged == []

        following = sender.send(_message(2), sender=FROM, recipient=TO)

    assert following.outcome is SendOutcome.SENT
    assert [m.data for m in smtp_server.received] == [_message(2)]
    assert smtp_server.connections == 2


def test_a_connection_closed_while_idle_is_replaced(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    with SmtpSender(make_smtp_config(smtp_server)) as sender:
        assert sender.send(_message(1), sender=FROM, recipient=TO).outcome is SendOutcome.SENT
        smtp_server.stop()  # cuts the open connection
        smtp_server.start()  # same port
        # Nothing of the message went out on the dead connection: retried on a new one.
        result = sender.send(_message(2), sender=FROM, recipient=TO)

    assert result.outcome is SendOutcome.SENT, result.detail
    assert [m.data for m in smtp_server.received] == [_message(1), _message(2)]
    assert smtp_server.connections == 2


def test_unreachable_server_is_temporary_and_fails_fast(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    clock = FakeClock()
    sender = SmtpSender(make_smtp_config(smtp_server), clock=clock, sleep=clock.sleep)
    with sender:
        smtp_server.stop()
        first = sender.send(_message(1), sender=FROM, recipient=TO)
        assert first.outcome is SendOutcome.TEMPORARY
        assert "接続できません" in first.detail

        smtp_server.start()
        # Within a minute of a failed connection the rest of the batch does not wait on it.
        assert sender.send(_message(2), sender=FROM, recipient=TO) == first
        assert smtp_server.connections == 1

        clock.now += 61
        assert sender.send(_message(3), sender=FROM, recipient=TO).outcome is SendOutcome.SENT
    assert [m.data for m in smtp_server.received] == [_message(3)]


def test_connect_to_a_closed_port_raises(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    config = make_smtp_config(smtp_server)
    smtp_server.stop()
    with pytest.raises(SmtpError, match="接続できません（接続を拒否されました）"):
        SmtpSender(config).connect()


# -- TLS -------------------------------------------------------------------------------------


def test_starttls_with_the_ca_file(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    smtp_tls_cert: tuple[Path, Path],
) -> None:
    # The server insists on STARTTLS before MAIL, so a delivered message proves TLS.
    server = make_smtp_server(tls_cert=smtp_tls_cert)
    config = make_smtp_config(server, security="starttls", ca_file=smtp_tls_cert[0])
    with SmtpSender(config) as sender:
        result = sender.send(_message(), sender=FROM, recipient=TO)
    assert result.outcome is SendOutcome.SENT, result.detail
    assert len(server.received) == 1


def test_starttls_without_the_ca_file_is_refused(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    smtp_tls_cert: tuple[Path, Path],
) -> None:
    server = make_smtp_server(tls_cert=smtp_tls_cert)
    config = make_smtp_config(server, security="starttls")
    with pytest.raises(SmtpError, match="証明書を検証できません"), SmtpSender(config):
        pass


def test_starttls_without_verification_when_switched_off(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    smtp_tls_cert: tuple[Path, Path],
) -> None:
    server = make_smtp_server(tls_cert=smtp_tls_cert)
    config = make_smtp_config(server, security="starttls", verify_certificate=False)
    with SmtpSender(config) as sender:
        assert sender.send(_message(), sender=FROM, recipient=TO).outcome is SendOutcome.SENT


def test_implicit_tls(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    smtp_tls_cert: tuple[Path, Path],
) -> None:
    server = make_smtp_server(tls_cert=smtp_tls_cert, implicit_tls=True)
    config = make_smtp_config(server, security="ssl", ca_file=smtp_tls_cert[0])
    with SmtpSender(config) as sender:
        assert sender.send(_message(), sender=FROM, recipient=TO).outcome is SendOutcome.SENT
    assert len(server.received) == 1


# -- logins ----------------------------------------------------------------------------------


def test_password_login(make_smtp_server: ServerFactory, make_smtp_config: ConfigFactory) -> None:
    server = make_smtp_server(require_auth=True, users={"jimu": "s3cret-pw"})
    config = make_smtp_config(server, auth="password", username="jimu")
    with SmtpSender(config, password="s3cret-pw") as sender:
        assert sender.send(_message(), sender=FROM, recipient=TO).outcome is SendOutcome.SENT


def test_password_from_the_environment(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_smtp_server(require_auth=True, users={"jimu": "s3cret-pw"})
    monkeypatch.setenv("INTAKE_TEST_SMTP_PASSWORD", "s3cret-pw")
    config = make_smtp_config(
        server, auth="password", username="jimu", password_env="INTAKE_TEST_SMTP_PASSWORD"
    )
    with SmtpSender(config) as sender:
        assert sender.send(_message(), sender=FROM, recipient=TO).outcome is SendOutcome.SENT


def test_wrong_password_raises(
    make_smtp_server: ServerFactory, make_smtp_config: ConfigFactory
) -> None:
    server = make_smtp_server(require_auth=True, users={"jimu": "s3cret-pw"})
    config = make_smtp_config(server, auth="password", username="jimu")
    with pytest.raises(SmtpError, match="SMTP ログインに失敗しました") as caught:
        SmtpSender(config, password="wrong-pw").connect()
    assert "535" in str(caught.value)
    assert "wrong-pw" not in str(caught.value)


def test_sending_without_the_required_login_is_permanent(
    make_smtp_server: ServerFactory, make_smtp_config: ConfigFactory
) -> None:
    server = make_smtp_server(require_auth=True, users={"jimu": "s3cret-pw"})
    with SmtpSender(make_smtp_config(server)) as sender:
        result = sender.send(_message(), sender=FROM, recipient=TO)
    assert result.outcome is SendOutcome.PERMANENT
    assert f"送信者 {FROM}" in result.detail
    assert "530" in result.detail


TOKEN = "ya29.a0-Secret_Token-0123456789"


def _all_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_xoauth2_login_never_logs_the_token(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_smtp_server(require_auth=True, xoauth2_tokens={TOKEN: FROM})
    config = make_smtp_config(
        server, auth="xoauth2", username=FROM, token_command=f"printf {TOKEN}"
    )
    with SmtpSender(config) as sender:
        result = sender.send(_message(), sender=FROM, recipient=TO)

    assert result.outcome is SendOutcome.SENT, result.detail
    assert "logged in as" in caplog.text  # the log was captured at all
    initial = base64.b64encode(f"user={FROM}\x01auth=Bearer {TOKEN}\x01\x01".encode()).decode()
    assert TOKEN not in caplog.text
    assert initial not in caplog.text


def test_xoauth2_wrong_token_raises_without_showing_it(
    make_smtp_server: ServerFactory,
    make_smtp_config: ConfigFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "ya29.expired-Token-9876543210"
    server = make_smtp_server(require_auth=True, xoauth2_tokens={TOKEN: FROM})
    config = make_smtp_config(
        server, auth="xoauth2", username=FROM, token_command=f"printf {wrong}"
    )
    with pytest.raises(SmtpError, match="XOAUTH2 ログインに失敗しました") as caught:
        SmtpSender(config).connect()

    assert "535" in str(caught.value)
    assert wrong not in _all_text(caught.value)
    assert wrong not in caplog.text
    assert TOKEN not in caplog.text


def test_xoauth2_failing_token_command_raises(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    config = make_smtp_config(smtp_server, auth="xoauth2", username=FROM, token_command="false")
    with pytest.raises(SmtpError, match="アクセストークンを取得できません"):
        SmtpSender(config).connect()
    assert smtp_server.connections == 0  # the token comes first


# -- rate limit ------------------------------------------------------------------------------


def test_rate_limit_sleeps_with_a_rolling_minute(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    clock = FakeClock()
    config = make_smtp_config(smtp_server, max_per_minute=3)
    sent_at: list[float] = []
    with SmtpSender(config, clock=clock, sleep=clock.sleep) as sender:
        for n in range(7):
            assert sender.send(_message(n), sender=FROM, recipient=TO).outcome is SendOutcome.SENT
            sent_at.append(clock.now)

    assert clock.sleeps == [60.0, 60.0]
    assert sent_at == [1000.0] * 3 + [1060.0] * 3 + [1120.0]
    assert len(smtp_server.received) == 7


def test_rate_limit_waits_only_for_the_oldest_send_to_leave_the_window(
    smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory
) -> None:
    clock = FakeClock()
    config = make_smtp_config(smtp_server, max_per_minute=3)
    with SmtpSender(config, clock=clock, sleep=clock.sleep) as sender:
        for n in range(4):
            assert sender.send(_message(n), sender=FROM, recipient=TO).outcome is SendOutcome.SENT
            clock.now += 20  # sends at 1000, 1020, 1040; the fourth is due at 1060

    assert clock.sleeps == []
    clock2 = FakeClock()
    with SmtpSender(config, clock=clock2, sleep=clock2.sleep) as sender:
        for n in range(3):
            sender.send(_message(n), sender=FROM, recipient=TO)
            clock2.now += 15  # 1000, 1015, 1030 -> now 1045
        sender.send(_message(3), sender=FROM, recipient=TO)
    assert clock2.sleeps == [15.0]


# -- recipient guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [
        ("", "空です"),
        ("   ", "空です"),
        ("postmaster@example.jp", "管理用アドレス"),
        ("Postmaster@example.jp", "管理用アドレス"),
        ("MAILER-DAEMON@example.jp", "管理用アドレス"),
        ("yamada@example.com\r\nBcc: victim@example.org", "ヘッダー・インジェクション"),
        ("yamada@example.com\n", "ヘッダー・インジェクション"),
        ("yamada@example.com> NOTIFY=NEVER", "使えない文字"),
        ("yamada example.com", "使えない文字"),
        ("no-at-sign", "メールアドレスの形ではありません"),
    ],
)
def test_recipient_guard(
    smtp_server: SmtpTestServer,
    make_smtp_config: ConfigFactory,
    recipient: str,
    reason: str,
) -> None:
    sender = SmtpSender(make_smtp_config(smtp_server))
    try:
        result = sender.send(_message(), sender=FROM, recipient=recipient)
    finally:
        sender.close()
    assert result.outcome is SendOutcome.PERMANENT
    assert reason in result.detail
    assert "送信しませんでした" in result.detail
    assert smtp_server.connections == 0  # refused before any connection


def test_sender_guard(smtp_server: SmtpTestServer, make_smtp_config: ConfigFactory) -> None:
    sender = SmtpSender(make_smtp_config(smtp_server))
    result = sender.send(_message(), sender=f"{FROM}\r\nRCPT TO:<x@evil.example>", recipient=TO)
    assert result.outcome is SendOutcome.PERMANENT
    assert "送信者" in result.detail
    assert smtp_server.connections == 0
