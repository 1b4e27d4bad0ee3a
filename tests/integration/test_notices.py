"""不備のご連絡 (deficiency notices) end to end: real Dovecot, real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import CliRunner, Result

from intake.adapters.orm import AuditEvent, Notice, RejectionReason
from intake.adapters.smtp import SmtpSender
from intake.bootstrap import App, build_app
from intake.devtools.demo import application, demo_mails, jst, pdf, xlsx
from intake.devtools.smtpserver import SmtpTestServer
from intake.entrypoints.cli import notify as notify_cli
from intake.entrypoints.cli.context import Context
from intake.services.errors import NotFound
from intake.services.notices import (
    NOTICE_SUBJECT,
    NoticeError,
    draft_notice,
    notice_events,
    notices_of,
    send_notice,
)
from intake.services.unit_of_work import UnitOfWork

from support import Desk, parse_mail

pytestmark = pytest.mark.dovecot

SUZUKI = 3  # demo_mails(): no 実務経験申告書, no 在職証明書, four blanks/errors in the form
SUPPLEMENT_SENTENCE = "不足している書類のみをお送りいただく場合も、件名は同じ形式でお送りください"


@pytest.fixture
def desk(make_desk: Callable[..., Desk], smtp_server: SmtpTestServer) -> Desk:
    desk = make_desk(smtp_port=smtp_server.port)
    mail = demo_mails()[SUZUKI]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    return desk


def rejection_id(desk: Desk, sender: str = "suzuki@example.jp") -> int:
    rows = desk.json("rejections", "list", "--status", "all")
    return int(next(r["id"] for r in rows if r["from"] == sender))


def notify(desk: Desk, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        notify_cli.notify, list(args), obj=Context(str(desk.config_path)), input=input
    )


def app_of(desk: Desk) -> App:
    return build_app(desk.settings)


@contextmanager
def session(desk: Desk) -> Iterator[UnitOfWork]:
    with app_of(desk).uow() as uow:
        yield uow


def notices(desk: Desk, rid: int) -> list[Notice]:
    with session(desk) as uow:
        return notices_of(uow, rid)


def events(desk: Desk, rid: int) -> list[AuditEvent]:
    with session(desk) as uow:
        return notice_events(uow, rid)


def test_notify_sends_one_notice_to_the_sender(desk: Desk, smtp_server: SmtpTestServer) -> None:
    rid = rejection_id(desk)
    result = notify(desk, str(rid), "--yes", "--operator", "佐々木")
    assert result.exit_code == 0, result.output
    assert "宛先: suzuki@example.jp" in result.output
    assert f"件名: {NOTICE_SUBJECT}" in result.output
    assert "送信しました" in result.output

    (received,) = smtp_server.received
    assert received.rcpt_tos == ["suzuki@example.jp"]
    assert received.mail_from == "scfn@example.jp"
    message, text = parse_mail(received)
    assert message["Subject"] == NOTICE_SUBJECT
    assert message["In-Reply-To"] == "<demo-4@example.jp>"
    assert message["References"] == "<demo-4@example.jp>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert "鈴木 一郎 様" in text  # the kanji name read from the attached form
    assert "令和7年4月20日" in text
    assert "在職証明書が添付されていませんでした。" in text
    assert "実務経験申告書が添付されていませんでした。" in text
    assert (
        "受講申込書の記入内容に不備がありました（受講申込書 B9（メールアドレス）が空欄です）。"
        in text
    )
    assert "受講申込_氏名（ローマ字）" in text and "受講申込_SUZUKI Ichiro" in text
    assert "資料名_氏名（ローマ字）" in text and ".xlsx" in text
    # The form has errors too: a mail with only the missing documents would not complete it.
    assert SUPPLEMENT_SENTENCE not in text and "すべて添付して" in text
    for internal in ("原本", "再処理", "MISSING_", "FORM_INVALID", "記録番号"):
        assert internal not in text

    (row,) = notices(desk, rid)
    assert row.status == "sent" and row.sent_at is not None
    assert row.message_id == message["Message-ID"]
    assert row.to_address == "suzuki@example.jp"
    assert row.operator == "佐々木"
    assert row.body.strip() == text.replace("\r\n", "\n").strip()
    (event,) = events(desk, rid)
    assert event.operator == "佐々木"
    assert event.target == f"rejection:{rid}"
    assert event.details["notice_id"] == row.id
    assert event.details["outcome"] == "sent"
    # The rejection stays open: the applicant still has to send the documents.
    assert desk.json("rejections", "show", str(rid))["status"] == "open"


def test_never_twice_unless_again(desk: Desk, smtp_server: SmtpTestServer) -> None:
    rid = rejection_id(desk)
    assert notify(desk, str(rid), "--yes").exit_code == 0
    second = notify(desk, str(rid), "--yes")
    assert second.exit_code == 1
    assert "すでに送信済みです" in second.output and "--again" in second.output
    assert len(smtp_server.received) == 1
    assert len(notices(desk, rid)) == 1

    third = notify(desk, str(rid), "--yes", "--again")
    assert third.exit_code == 0, third.output
    assert len(smtp_server.received) == 2
    first_id, second_id = (parse_mail(r)[0]["Message-ID"] for r in smtp_server.received)
    assert first_id != second_id
    assert [n.status for n in notices(desk, rid)] == ["sent", "sent"]
    assert [e.details["again"] for e in events(desk, rid)] == [False, True]


def test_declined_at_the_prompt_sends_nothing(
    desk: Desk, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify_cli, "_can_prompt", lambda: True)
    rid = rejection_id(desk)
    result = notify(desk, str(rid), input="n\n")
    assert result.exit_code == 1
    assert "この内容で送信しますか？" in result.output
    assert "在職証明書が添付されていませんでした。" in result.output  # the draft was shown
    assert "取りやめ" in result.output
    assert smtp_server.received == [] and smtp_server.connections == 0
    assert notices(desk, rid) == [] and events(desk, rid) == []

    accepted = notify(desk, str(rid), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(smtp_server.received) == 1


def test_without_a_terminal_yes_is_required(desk: Desk, smtp_server: SmtpTestServer) -> None:
    rid = rejection_id(desk)
    result = notify(desk, str(rid))  # CliRunner's stdin is no terminal
    assert result.exit_code == 1
    assert "--yes" in result.output
    assert smtp_server.received == [] and notices(desk, rid) == []


def test_connection_dropped_after_data_is_held_and_blocks_a_second_notice(
    desk: Desk, smtp_server: SmtpTestServer
) -> None:
    rid = rejection_id(desk)
    smtp_server.drop_after_data_next(1)
    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 1
    assert "送信結果が不明" in result.output
    (row,) = notices(desk, rid)
    assert row.status == "held" and row.note is not None and "送信結果不明" in row.note
    assert len(smtp_server.received_unacknowledged) == 1
    (event,) = events(desk, rid)
    assert event.details["outcome"] == "held"

    again = notify(desk, str(rid), "--yes")
    assert again.exit_code == 1
    assert "送信済みの可能性" in again.output and "--again" in again.output
    assert smtp_server.received == []
    assert len(notices(desk, rid)) == 1


def test_failure_is_recorded_and_can_be_asked_again(
    desk: Desk, smtp_server: SmtpTestServer
) -> None:
    rid = rejection_id(desk)
    smtp_server.fail_next(1, 550, "5.1.1 no such user")
    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 1
    assert "送信できませんでした" in result.output
    (row,) = notices(desk, rid)
    assert row.status == "failed" and row.note is not None and "550" in row.note
    assert smtp_server.received == []
    # No automatic retry; a failed notice does not count as sent.
    retried = notify(desk, str(rid), "--yes")
    assert retried.exit_code == 0, retried.output
    assert len(smtp_server.received) == 1
    assert [n.status for n in notices(desk, rid)] == ["failed", "sent"]
    assert [e.details["outcome"] for e in events(desk, rid)] == ["failed", "sent"]


def test_crash_after_sending_leaves_it_held(
    desk: Desk, smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = rejection_id(desk)
    app = app_of(desk)
    draft = draft_notice(app.uow(), app.settings, rid)
    real_send = SmtpSender.send

    def send_then_die(self: SmtpSender, *args: Any, **kwargs: Any) -> Any:
        real_send(self, *args, **kwargs)  # the server accepted it...
        raise KeyboardInterrupt  # ...and the process died before recording that

    monkeypatch.setattr(SmtpSender, "send", send_then_die)
    with pytest.raises(KeyboardInterrupt):
        send_notice(app.uow(), app.settings, app.smtp_sender, draft, operator="t", again=False)
    monkeypatch.undo()
    assert [n.status for n in notices(desk, rid)] == ["sending"]

    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 1 and "--again" in result.output
    (row,) = notices(desk, rid)
    assert row.status == "held" and row.note is not None and "送信結果不明" in row.note
    assert len(smtp_server.received) == 1  # no second copy


def test_resolved_rejection_is_refused(desk: Desk, smtp_server: SmtpTestServer) -> None:
    rid = rejection_id(desk)
    desk.cli("rejections", "resolve", str(rid), "--note", "電話で連絡済み")
    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 1
    assert "対応済み" in result.output
    assert smtp_server.received == [] and notices(desk, rid) == []


def test_resolved_between_draft_and_send_is_refused(
    desk: Desk, smtp_server: SmtpTestServer
) -> None:
    rid = rejection_id(desk)
    app = app_of(desk)
    draft = draft_notice(app.uow(), app.settings, rid)
    desk.cli("rejections", "resolve", str(rid), "--note", "電話で連絡済み")
    with pytest.raises(NoticeError, match="対応済み"):
        send_notice(app.uow(), app.settings, app.smtp_sender, draft, operator="t", again=False)
    assert smtp_server.received == []


def test_unknown_rejection(desk: Desk) -> None:
    result = notify(desk, "999", "--yes")
    assert result.exit_code == 5
    app = app_of(desk)
    with pytest.raises(NotFound):
        draft_notice(app.uow(), app.settings, 999)


def test_only_internal_reasons_are_not_sent(desk: Desk, smtp_server: SmtpTestServer) -> None:
    rid = rejection_id(desk)
    with session(desk) as uow:
        rejection = uow.repo.rejection(rid)
        assert rejection is not None
        rejection.reasons = [
            RejectionReason(
                position=0,
                code="PROCESSING_ERROR",
                message="メールの処理中に予期しないエラーが発生しました（KeyError）。",
            )
        ]
        uow.commit()
    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 1
    assert "PROCESSING_ERROR" in result.output and "申込者には送りません" in result.output
    assert smtp_server.received == []


def test_internal_reason_is_left_out_of_a_mixed_notice(
    desk: Desk, smtp_server: SmtpTestServer
) -> None:
    rid = rejection_id(desk)
    with session(desk) as uow:
        rejection = uow.repo.rejection(rid)
        assert rejection is not None
        rejection.reasons.append(
            RejectionReason(position=99, code="PROCESSING_ERROR", message="内部エラー")
        )
        uow.commit()
    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 0, result.output
    assert "申込者には知らせません: PROCESSING_ERROR" in result.output
    _, text = parse_mail(smtp_server.received[0])
    assert "内部エラー" not in text and "処理できませんでした" not in text


@pytest.mark.parametrize("sender", ["postmaster@example.jp", "MAILER-DAEMON@example.jp"])
def test_machine_senders_are_refused(desk: Desk, smtp_server: SmtpTestServer, sender: str) -> None:
    rid = rejection_id(desk)
    with session(desk) as uow:
        rejection = uow.repo.rejection(rid)
        assert rejection is not None
        rejection.message.from_address = sender
        uow.commit()
    result = notify(desk, str(rid), "--yes")
    assert result.exit_code == 1
    assert "管理用アドレス" in result.output
    assert smtp_server.received == []


def test_no_sender_address_is_refused(desk: Desk) -> None:
    rid = rejection_id(desk)
    with session(desk) as uow:
        rejection = uow.repo.rejection(rid)
        assert rejection is not None
        rejection.message.from_address = None
        uow.commit()
    app = app_of(desk)
    with pytest.raises(NoticeError, match="差出人のアドレスがない"):
        draft_notice(app.uow(), app.settings, rid)


def test_period_named_when_a_term_is_open(desk: Desk) -> None:
    rid = rejection_id(desk)
    app = app_of(desk)
    during = draft_notice(app.uow(), app.settings, rid, now=jst(2025, 4, 25))
    assert "第1期の締切：令和7年5月7日 17時00分" in during.body
    after = draft_notice(app.uow(), app.settings, rid, now=jst(2025, 8, 1))
    assert "締切：" not in after.body and "募集期間内に" in after.body


def test_missing_documents_only_invites_a_supplement_that_completes_it(
    desk: Desk, smtp_server: SmtpTestServer
) -> None:
    name = "YAMADA Taro"
    first = application(
        name,
        n=30,
        received_at=jst(2025, 4, 14, 9, 0),
        attachments=[xlsx("受講申込書", name), xlsx("実務経験申告書", name)],
    )
    desk.append(first, jst(2025, 4, 14, 9, 0))
    desk.cli("poll", "--once")
    rid = rejection_id(desk, "yamada@example.jp")
    assert notify(desk, str(rid), "--yes").exit_code == 0
    _, text = parse_mail(smtp_server.received[0])
    assert "山田 太郎 様" in text
    assert "在職証明書が添付されていませんでした。" in text
    assert SUPPLEMENT_SENTENCE in text
    assert "すべて添付して" not in text

    # Doing what the notice says: only the missing document, same subject, same address.
    supplement = application(
        name, n=31, received_at=jst(2025, 4, 16, 9, 0), attachments=[pdf("在職証明書", name)]
    )
    desk.append(supplement, jst(2025, 4, 16, 9, 0))
    desk.cli("poll", "--once")
    shown = desk.json("rejections", "show", str(rid))
    assert shown["status"] == "resolved" and shown["resolution"] == "supplemented"


def test_notify_is_registered_under_intake_rejections(
    desk: Desk, smtp_server: SmtpTestServer
) -> None:
    rid = rejection_id(desk)
    out = desk.cli("rejections", "notify", str(rid), "--yes").stdout
    assert "送信しました" in out
    assert len(smtp_server.received) == 1
    again = desk.cli("rejections", "notify", str(rid), "--yes", expect=1)
    assert "--again" in again.output
    assert len(smtp_server.received) == 1
