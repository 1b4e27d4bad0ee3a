"""受付完了 acknowledgements through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from intake.adapters.smtp import SmtpSender
from intake.devtools.demo import demo_mails, jst
from intake.devtools.smtpserver import SmtpTestServer

from support import Desk

pytestmark = pytest.mark.dovecot

ACCEPTED = 4  # YAMADA, NGUYEN, SATO and MORI in the demo mailbox


@pytest.fixture
def ack_desk(make_desk: Callable[..., Desk], smtp_server: SmtpTestServer) -> Desk:
    desk = make_desk(smtp_port=smtp_server.port, ack="retry_base_seconds = 60")
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    return desk


def acks(desk: Desk, status: str | None = None) -> list[dict[str, Any]]:
    args = ["acks", "list"] + (["--status", status] if status else [])
    result: list[dict[str, Any]] = desk.json(*args)
    return result


def send_due(desk: Desk, now: datetime, expect: int | None = 0) -> str:
    return desk.cli("acks", "send-due", "--now", now.isoformat(), expect=expect).stdout


def test_each_application_gets_exactly_one_acknowledgement(
    ack_desk: Desk, smtp_server: SmtpTestServer
) -> None:
    rows = acks(ack_desk)
    assert len(rows) == ACCEPTED
    yamada = next(r for r in rows if r["to"] == "yamada@example.jp")
    assert yamada["due_at"] == "2025-04-21T09:12:00+09:00"  # completed + 7 days
    assert all(r["status"] == "pending" for r in rows)

    # The earliest is SATO's (received 2025-04-02 11:05, due 04-09 11:05).
    assert "0 件送信" in send_due(ack_desk, jst(2025, 4, 9, 11, 4))
    assert smtp_server.received == []
    assert "1 件送信" in send_due(ack_desk, jst(2025, 4, 9, 11, 5))
    out = send_due(ack_desk, jst(2025, 7, 1))
    assert f"{ACCEPTED - 1} 件送信" in out
    assert "0 件送信" in send_due(ack_desk, jst(2025, 7, 2))
    assert len(smtp_server.received) == ACCEPTED
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(r["to"] for r in rows)

    sent = {r["to"]: r for r in acks(ack_desk, "sent")}
    assert len(sent) == ACCEPTED
    received = next(r for r in smtp_server.received if r.rcpt_tos == ["yamada@example.jp"])
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "【受付完了】外国人支援コーディネーター養成研修 受講申込について"
    assert message["Message-ID"] == sent["yamada@example.jp"]["message_id"]
    assert message["In-Reply-To"] == "<demo-1@example.jp>"
    assert message["Auto-Submitted"] == "auto-replied"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "山田 太郎" in text and "様" in text
    assert "第1期" in text and "令和7年4月14日" in text and "2025年4月14日" in text
    assert "T1-" in text  # the reference number


def test_superseded_application_acknowledgement_is_cancelled(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    desk = make_desk(smtp_port=smtp_server.port)
    mail = demo_mails()[0]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    desk.append(mail.raw.replace(b"demo-1@", b"demo-1b@"), jst(2025, 4, 16))
    desk.cli("poll", "--once")
    assert [r["status"] for r in acks(desk)] == ["cancelled", "pending"]
    send_due(desk, jst(2025, 6, 1))
    assert len(smtp_server.received) == 1


def test_connection_dropped_after_data_is_held_never_resent(
    ack_desk: Desk, smtp_server: SmtpTestServer
) -> None:
    smtp_server.drop_after_data_next(1)
    send_due(ack_desk, jst(2025, 7, 1), expect=1)
    (held,) = acks(ack_desk, "held")
    assert "送信結果不明" in held["note"]
    assert len(smtp_server.received_unacknowledged) == 1
    assert len(smtp_server.received) == ACCEPTED - 1
    send_due(ack_desk, jst(2025, 7, 2), expect=0)
    assert len(smtp_server.received) == ACCEPTED - 1  # not resent blindly
    ack_desk.cli("acks", "confirm", str(held["id"]), "--note", "電話で到着を確認")
    assert acks(ack_desk, "held") == []
    assert len(acks(ack_desk, "sent")) == ACCEPTED


def test_crash_between_send_and_commit_holds_the_row(
    ack_desk: Desk, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = SmtpSender.send

    def send_then_die(self: SmtpSender, *args: Any, **kwargs: Any) -> Any:
        real_send(self, *args, **kwargs)  # the server accepted it...
        raise KeyboardInterrupt  # ...and the process died before recording that

    monkeypatch.setattr(SmtpSender, "send", send_then_die)
    ack_desk.cli("acks", "send-due", "--now", jst(2025, 7, 1).isoformat(), expect=None)
    assert len(smtp_server.received) == 1
    monkeypatch.undo()
    ack_desk.monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", ack_desk.password)

    out = ack_desk.cli("acks", "send-due", "--now", jst(2025, 7, 1).isoformat(), expect=1)
    assert "送信結果不明" in out.stderr or "送信結果不明" in out.stdout
    (held,) = acks(ack_desk, "held")
    assert len(smtp_server.received) == ACCEPTED  # the other three, and no second copy
    ack_desk.cli("acks", "release", str(held["id"]), "--note", "未着を確認")
    send_due(ack_desk, jst(2025, 7, 2))
    assert len(smtp_server.received) == ACCEPTED + 1
    assert len(acks(ack_desk, "sent")) == ACCEPTED


def test_temporary_failure_is_retried_with_backoff(
    ack_desk: Desk, smtp_server: SmtpTestServer
) -> None:
    smtp_server.fail_next(1, 451, "4.3.0 try again later")
    now = jst(2025, 7, 1)
    send_due(ack_desk, now)
    pending = acks(ack_desk, "pending")
    assert len(pending) == 1 and "451" in pending[0]["note"]
    send_due(ack_desk, now + timedelta(seconds=30))  # backoff not over yet
    assert len(smtp_server.received) == ACCEPTED - 1
    send_due(ack_desk, now + timedelta(minutes=2))
    assert len(smtp_server.received) == ACCEPTED
    assert len(acks(ack_desk, "sent")) == ACCEPTED


def test_permanent_failure_goes_to_the_operator(
    ack_desk: Desk, smtp_server: SmtpTestServer
) -> None:
    smtp_server.fail_next(1, 550, "5.1.1 no such user")
    out = ack_desk.cli("acks", "send-due", "--now", jst(2025, 7, 1).isoformat(), expect=1)
    assert "送信失敗" in out.stderr
    (failed,) = acks(ack_desk, "failed")
    assert "550" in failed["note"]
    send_due(ack_desk, jst(2025, 7, 2))
    assert len(smtp_server.received) == ACCEPTED - 1
    ack_desk.cli("acks", "release", str(failed["id"]))
    send_due(ack_desk, jst(2025, 7, 3))
    assert len(smtp_server.received) == ACCEPTED


def test_business_days_and_send_window(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    desk = make_desk(
        smtp_port=smtp_server.port,
        ack='business_days = true\nsend_window = "09:00-18:00"',
    )
    late_friday = jst(2025, 4, 25, 19, 30)  # before Golden Week
    mail = demo_mails()[0]
    desk.append(mail.raw, late_friday)
    desk.cli("poll", "--once")
    (row,) = acks(desk)
    # 7 business days skipping 4/29 (昭和の日) and 5/3-5/6 (憲法記念日〜振替休日) is Fri 5/9
    # at 19:30, after office hours: the next business day's 9:00.
    assert row["due_at"] == "2025-05-12T09:00:00+09:00"


def test_hold_prevents_sending(ack_desk: Desk, smtp_server: SmtpTestServer) -> None:
    first = acks(ack_desk)[0]
    ack_desk.cli("acks", "hold", str(first["id"]), "--note", "本人確認中")
    send_due(ack_desk, jst(2025, 7, 1))
    assert len(smtp_server.received) == ACCEPTED - 1
    assert acks(ack_desk, "held")[0]["note"] == "本人確認中"


def test_ack_of_an_application_superseded_while_queued_is_not_sent(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    from sqlalchemy import update

    from intake.adapters.orm import Acknowledgement, make_engine

    desk = make_desk(smtp_port=smtp_server.port)
    mail = demo_mails()[0]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    desk.append(mail.raw.replace(b"demo-1@", b"demo-1b@"), jst(2025, 4, 16))
    desk.cli("poll", "--once")
    first, second = acks(desk)
    # As if a sender had claimed it just before the resubmission cancelled it.
    engine = make_engine(desk.settings.database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Acknowledgement)
            .where(Acknowledgement.id == first["id"])
            .values(status="pending")
        )
    engine.dispose()
    send_due(desk, jst(2025, 6, 1))
    assert [r.rcpt_tos for r in smtp_server.received] == [["yamada@example.jp"]]
    statuses = {r["id"]: r["status"] for r in acks(desk)}
    assert statuses == {first["id"]: "cancelled", second["id"]: "sent"}
