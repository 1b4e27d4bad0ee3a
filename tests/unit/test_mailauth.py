"""What the IMAP and SMTP adapters share: TLS set-up and its wording for the operator."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from intake.adapters.imap import ImapError, ImapMailbox
from intake.adapters.mailauth import TokenError, fetch_token
from intake.adapters.smtp import SmtpError, SmtpSender
from intake.config import ImapConfig, SmtpConfig

# Nothing listens there: a test that reached the network would fail with another message.
CLOSED_PORT = 9


def _imap(ca_file: Path) -> ImapMailbox:
    config = ImapConfig(
        host="127.0.0.1",
        port=CLOSED_PORT,
        security="ssl",
        ca_file=ca_file,
        username="u",
        connect_attempts=3,
    )
    return ImapMailbox(config, "pw")


def _smtp(ca_file: Path) -> SmtpSender:
    config = SmtpConfig(
        host="127.0.0.1",
        port=CLOSED_PORT,
        security="ssl",
        ca_file=ca_file,
        from_address="desk@example.jp",
    )
    return SmtpSender(config)


def test_a_missing_ca_file_is_reported_alike_and_not_retried(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.pem"
    started = time.monotonic()
    with pytest.raises(ImapError) as imap:
        _imap(missing).connect()
    with pytest.raises(SmtpError) as smtp:
        _smtp(missing).connect()
    assert time.monotonic() - started < 1.0  # no retries with pauses
    assert str(imap.value) == f"IMAP の ca_file {missing} を読めません（No such file or directory）"
    assert str(smtp.value) == f"SMTP の ca_file {missing} を読めません（No such file or directory）"


def test_a_ca_file_that_is_no_certificate_is_reported_alike(tmp_path: Path) -> None:
    not_a_certificate = tmp_path / "ca.pem"
    not_a_certificate.write_text("this is not a certificate\n", encoding="utf-8")
    with pytest.raises(ImapError) as imap:
        _imap(not_a_certificate).connect()
    with pytest.raises(SmtpError) as smtp:
        _smtp(not_a_certificate).connect()
    prefix = f"の ca_file {not_a_certificate} を証明書として読めません（"
    assert str(imap.value).startswith("IMAP " + prefix)
    assert str(smtp.value).startswith("SMTP " + prefix)
    # The same detail from the TLS library after the protocol name.
    assert str(imap.value).removeprefix("IMAP") == str(smtp.value).removeprefix("SMTP")


# -- access tokens from the token command ---------------------------------------------------


def test_token_is_the_commands_output() -> None:
    assert fetch_token("printf 'ya29.secret-token\\n'") == "ya29.secret-token"


def test_failure_does_not_leak_the_output() -> None:
    with pytest.raises(TokenError) as info:
        fetch_token("sh -c 'echo ya29.partial; echo refresh failed >&2; exit 3'")
    assert "終了コード 3" in str(info.value)
    assert "refresh failed" in str(info.value)
    assert "ya29" not in str(info.value)


@pytest.mark.parametrize("command", ["printf ''", "printf 'two words'"])
def test_output_must_look_like_a_token(command: str) -> None:
    with pytest.raises(TokenError, match="アクセストークンの形"):
        fetch_token(command)


def test_missing_command_and_timeout() -> None:
    with pytest.raises(TokenError, match="見つかりません"):
        fetch_token("/nonexistent/token-helper")
    with pytest.raises(TokenError, match="秒以内"):
        fetch_token("sleep 5", timeout=0.2)
