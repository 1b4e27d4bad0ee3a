"""The intake spine end to end: real Dovecot, real database, the real `intake` commands."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from intake.adapters.imap import ImapMailbox
from intake.devtools.demo import demo_mails, jst, pdf, xlsx
from intake.devtools.samplemail import SampleAttachment, build_mail
from intake.services import poll as poll_service

from support import Desk

pytestmark = pytest.mark.dovecot

KEYWORD = "$IntakeProcessed"


def load_demo(desk: Desk) -> None:
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)


@pytest.mark.postgres
def test_demo_mailbox_outcomes_on_both_databases(
    make_desk: Callable[..., Desk], database_url: str
) -> None:
    desk = make_desk(database_url)
    load_demo(desk)
    result = desk.cli("poll", "--once")
    assert "新規 12 件" in result.stdout

    messages = desk.json("messages", "list")
    expected = demo_mails()
    assert [m["outcome"] for m in messages] == [d.outcome for d in expected]
    for message, mail in zip(messages, expected, strict=True):
        assert message["received_at"] == mail.received_at.isoformat(timespec="seconds")
        assert message["received_at"].endswith("+09:00")

    rejections = desk.json("rejections", "list")
    by_subject = {r["subject"]: r for r in rejections}
    for mail in expected:
        if mail.outcome != "rejected":
            continue
        (record,) = [r for r in rejections if r["received_at"] == mail.received_at.isoformat()]
        assert tuple(reason["code"] for reason in record["reasons"]) == mail.reasons
        assert all(reason["message"] for reason in record["reasons"])
        assert record["status"] == "open"
    assert "受講申込_加藤舞" in by_subject  # the kanji subject was decoded, not garbled

    # Every message is marked on the server with the keyword, and none was made \Seen.
    flags = desk.server_flags()
    assert len(flags) == 12
    assert all(KEYWORD in f and "\\Seen" not in f for f in flags.values())

    # Run again: nothing new is recorded.
    again = desk.cli("poll", "--once")
    assert "新規 0 件" in again.stdout
    assert len(desk.json("messages", "list")) == 12


def test_raw_messages_are_stored_by_sha256(desk: Desk) -> None:
    mail = demo_mails()[0]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    digest = hashlib.sha256(mail.raw).hexdigest()
    stored = desk.settings.storage_dir / "raw" / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == mail.raw
    assert stored.stat().st_mode & 0o777 == 0o600
    (message,) = desk.json("messages", "list")
    assert message["attachments"] == [
        "受講申込書_YAMADA Taro.xlsx",
        "実務経験申告書_YAMADA Taro.xlsx",
        "在職証明書_YAMADA Taro.pdf",
    ]


def test_windows_characters_survive_iso_2022_jp(desk: Desk) -> None:
    name = "TAKAHASHI Ken"
    raw = build_mail(
        subject=f"受講申込_{name}",
        message_id="win-chars@example.jp",
        date=jst(2025, 4, 10),
        from_name="髙橋 健",
        from_addr="takahashi@example.jp",
        body="①在職証明書は㈱みなと国際交流の発行です。\n",
        attachments=[
            xlsx("受講申込書", name, "受講申込書_YAMADA Taro.xlsx"),
            xlsx("実務経験申告書", name, "実務経験申告書_YAMADA Taro.xlsx"),
            SampleAttachment(
                f"在職証明書（㈱みなと①）_{name}.pdf", b"%PDF-1.4\n", "application/pdf"
            ),
        ],
        style="outlook_jis",
    )
    desk.append(raw, jst(2025, 4, 10))
    desk.cli("poll", "--once")
    (message,) = desk.json("messages", "list")
    assert message["outcome"] == "accepted"
    assert f"在職証明書（㈱みなと①）_{name}.pdf" in message["attachments"]


def test_same_message_again_under_a_new_uid_is_a_duplicate(desk: Desk) -> None:
    mail = demo_mails()[0]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    outcomes = [m["outcome"] for m in desk.json("messages", "list")]
    assert outcomes == ["accepted", "duplicate"]


def test_uidvalidity_change_records_nothing_again(desk: Desk) -> None:
    load_demo(desk)
    desk.cli("poll", "--once")
    before = desk.json("messages", "list")
    desk.dovecot.reset_uidvalidity(desk.user)
    result = desk.cli("poll", "--once")
    assert "UIDVALIDITY" in result.stdout
    assert "新規 0 件" in result.stdout
    after = desk.json("messages", "list")
    assert [(m["id"], m["outcome"]) for m in after] == [(m["id"], m["outcome"]) for m in before]
    assert all(KEYWORD in f for f in desk.server_flags().values())
    # A genuinely new message after the change is still taken in.
    desk.append(demo_mails()[1].raw.replace(b"demo-2@", b"demo-2b@"), jst(2025, 5, 21))
    assert "新規 1 件" in desk.cli("poll", "--once").stdout


def test_a_failing_message_does_not_stop_the_batch_and_is_retried(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    mails = demo_mails()[:3]
    for mail in mails:
        desk.append(mail.raw, mail.received_at)
    real = poll_service.record_message

    def flaky(*args: object, **kwargs: object) -> object:
        source = kwargs["source"]
        if source.uid == 2:  # type: ignore[attr-defined]
            raise OSError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(poll_service, "record_message", flaky)
    result = desk.cli("poll", "--once", expect=1)
    assert "新規 2 件" in result.stdout
    assert "UID 2" in result.stderr and "次回再試行" in result.stderr
    flags = desk.server_flags()
    assert KEYWORD not in flags[2], "a message not stored must not be marked"
    assert KEYWORD in flags[1] and KEYWORD in flags[3]

    monkeypatch.setattr(poll_service, "record_message", real)
    assert "新規 1 件" in desk.cli("poll", "--once").stdout
    assert len(desk.json("messages", "list")) == 3


def test_crash_between_commit_and_mark_resumes_without_duplicates(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(desk)

    def crash(self: ImapMailbox, uids: object) -> None:
        raise KeyboardInterrupt  # the process dies right after the rows were committed

    monkeypatch.setattr(ImapMailbox, "mark_processed", crash)
    desk.cli("poll", "--once", expect=None)
    assert not any(KEYWORD in f for f in desk.server_flags().values())
    recorded = desk.json("messages", "list")
    assert 1 <= len(recorded) <= 12

    monkeypatch.undo()
    desk.monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", desk.password)
    desk.cli("poll", "--once")
    after = desk.json("messages", "list")
    assert [m["outcome"] for m in after] == [d.outcome for d in demo_mails()]
    assert all(KEYWORD in f for f in desk.server_flags().values())


def test_move_per_outcome_keeps_inquiries_in_the_inbox(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(
        imap_extra='move_to = { accepted = "Intake/Accepted", rejected = "Intake/Rejected" }'
    )
    load_demo(desk)
    desk.cli("poll", "--once")
    inbox = desk.server_flags()
    # other, ignored (2) and duplicate stay, keyworded; accepted (4) and rejected (4) moved.
    assert len(inbox) == 4
    assert all(KEYWORD in f for f in inbox.values())
    assert len(desk.server_flags("Intake/Accepted")) == 4
    assert len(desk.server_flags("Intake/Rejected")) == 4
    assert "新規 0 件" in desk.cli("poll", "--once").stdout


def test_size_limits(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(limits="attachment_max_bytes = 9000\nmessage_max_bytes = 40000")
    small_cert = build_mail(
        subject="受講申込_YAMADA Taro",
        message_id="big-attachment@example.jp",
        date=jst(2025, 4, 1),
        attachments=[
            xlsx("受講申込書", "YAMADA Taro"),  # about 10 KB: over the 9000-byte limit
            xlsx("実務経験申告書", "YAMADA Taro"),
            pdf("在職証明書", "YAMADA Taro"),
        ],
    )
    huge = build_mail(
        subject="受講申込_YAMADA Taro",
        message_id="huge@example.jp",
        date=jst(2025, 4, 1),
        attachments=[
            SampleAttachment("在職証明書_YAMADA Taro.pdf", b"%" * 60000, "application/pdf")
        ],
    )
    desk.append(small_cert, jst(2025, 4, 1))
    desk.append(huge, jst(2025, 4, 1, 11))
    desk.cli("poll", "--once")
    first, second = desk.json("rejections", "list")
    assert [r["code"] for r in first["reasons"]] == ["ATTACHMENT_TOO_LARGE"]
    assert "受講申込書_YAMADA Taro.xlsx" in first["reasons"][0]["message"]
    assert [r["code"] for r in second["reasons"]] == ["MESSAGE_TOO_LARGE"]
    digest = hashlib.sha256(huge).hexdigest()
    assert (desk.settings.storage_dir / "raw" / digest[:2] / digest[2:4] / digest).exists()


def test_rejection_show_and_resolve(desk: Desk) -> None:
    mail = demo_mails()[3]  # SUZUKI: two documents missing
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    shown = desk.cli("rejections", "show", str(rejection["id"])).stdout
    assert "在職証明書" in shown and "受講申込_SUZUKI Ichiro" in shown

    out = desk.cli(
        "rejections",
        "resolve",
        str(rejection["id"]),
        "--note",
        "電話で再送を依頼",
        "--operator",
        "原",
    ).stdout
    assert "対応済み" in out
    assert desk.json("rejections", "list") == []
    (resolved,) = desk.json("rejections", "list", "--status", "resolved")
    assert resolved["status"] == "resolved"
    assert resolved["resolution"] == "operator"
    assert resolved["resolved_by"] == "原"
    assert resolved["note"] == "電話で再送を依頼"
    again = desk.cli("rejections", "resolve", str(rejection["id"]), "--note", "x").stdout
    assert "すでに対応済み" in again
    missing = desk.cli("rejections", "show", "999", expect=5)
    assert "存在しません" in missing.stderr


def test_unreachable_server_and_bad_login_exit_4(desk: Desk, tmp_path: Path) -> None:
    desk.monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", "wrong")
    result = desk.cli("poll", "--once", expect=4)
    assert "ログインに失敗" in result.stderr
    assert "Traceback" not in result.output

    text = desk.config_path.read_text(encoding="utf-8")
    desk.config_path.write_text(text.replace(f"port = {desk.dovecot.port}", "port = 1"), "utf-8")
    result = desk.cli("poll", "--once", expect=4)
    assert "接続できません" in result.stderr


def test_database_must_be_upgraded_first(make_desk: Callable[..., Desk], tmp_path: Path) -> None:
    desk = make_desk()
    desk.write_config(database_url=f"sqlite:///{tmp_path}/fresh.db")
    result = desk.cli("messages", "list", expect=3)
    assert "intake db upgrade" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_received_time_is_internaldate_not_date_header(desk: Desk) -> None:
    raw = build_mail(
        subject="受講申込_YAMADA Taro",
        message_id="backdated@example.jp",
        date=datetime(2025, 4, 1, 9, 0, tzinfo=jst(2025, 1, 1).tzinfo),  # claims to be in time
        attachments=[
            xlsx("受講申込書", "YAMADA Taro"),
            xlsx("実務経験申告書", "YAMADA Taro"),
            pdf("在職証明書", "YAMADA Taro"),
        ],
    )
    desk.append(raw, jst(2025, 7, 2, 9, 0))  # but reached the server after the deadline
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    assert [r["code"] for r in rejection["reasons"]] == ["OUTSIDE_PERIOD"]


STYLES = [
    "utf8",
    "outlook_jis",
    "thunderbird_rfc2231",
    "apple_inline",
    "raw_cp932",
    "sjis_body",
    "no_disposition",
]


def test_every_client_style_is_decoded_through_imap(desk: Desk) -> None:
    """One application per mail-client style; all accepted with their names intact."""
    name = "KIMURA Sota"
    for n, style in enumerate(STYLES):
        raw = build_mail(
            subject=f"受講申込_{name}",
            message_id=f"style-{style}@example.jp",
            date=jst(2025, 4, 1 + n),
            from_name="木村 颯太",
            body="髙橋様、①②③の書類を添付します。\n",
            attachments=[
                xlsx("受講申込書", name, "受講申込書_YAMADA Taro.xlsx"),
                xlsx("実務経験申告書", name, "実務経験申告書_YAMADA Taro.xlsx"),
                pdf("在職証明書", name),
            ],
            style=style,  # type: ignore[arg-type]
        )
        desk.append(raw, jst(2025, 4, 1 + n))
    desk.cli("poll", "--once")
    messages = desk.json("messages", "list")
    assert [m["outcome"] for m in messages] == ["accepted"] * len(STYLES), messages
    for message in messages:
        assert message["subject"] == f"受講申込_{name}"
        assert message["attachments"] == [
            f"受講申込書_{name}.xlsx",
            f"実務経験申告書_{name}.xlsx",
            f"在職証明書_{name}.pdf",
        ]


def test_remaining_reason_codes_through_imap(desk: Desk) -> None:
    raw = build_mail(
        subject="申込書類の送付（山田）",
        message_id="format@example.jp",
        date=jst(2025, 4, 1),
        attachments=[
            xlsx("受講申込書", "YAMADA Taro"),
            xlsx("実務経験申告書", "YAMADA Taro"),
            SampleAttachment("在職証明書_YAMADA Taro.heic", b"\x00" * 64, "image/heic"),
            SampleAttachment("scan0001.pdf", b"%PDF-1.4\n", "application/pdf"),
        ],
    )
    desk.append(raw, jst(2025, 4, 1))
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    assert [r["code"] for r in rejection["reasons"]] == [
        "SUBJECT_FORMAT",
        "ATTACHMENT_FILE_TYPE",
        "ATTACHMENT_NAME_FORMAT",
    ]
    messages = " ".join(r["message"] for r in rejection["reasons"])
    assert "申込書類の送付（山田）" in messages and "scan0001.pdf" in messages


@pytest.mark.postgres
def test_hostile_header_values_are_recorded_on_both_databases(
    make_desk: Callable[..., Desk], database_url: str
) -> None:
    desk = make_desk(database_url)
    long_id = "x" * 1200 + "@example.jp"
    raw = build_mail(
        subject="受講申込_YAMADA Taro",
        message_id=long_id,
        date=jst(2025, 4, 1),
        attachments=[SampleAttachment("在職証明書_YAMADA Taro.pdf", b"%PDF", "application/pdf")],
    ).replace(
        b"Subject: ",
        b"Subject: =?utf-8?b?" + base64.b64encode(b"A\x00[/b]") + b"?= ",
        1,
    )
    desk.append(raw, jst(2025, 4, 1))
    desk.cli("poll", "--once")
    (message,) = desk.json("messages", "list")
    assert "\x00" not in message["subject"]
    assert "[/b]" in message["subject"]
    assert len(message["message_id"]) <= 998
    table = desk.cli("messages", "list").stdout  # mail text is never read as markup
    assert "[/b]" in table


def test_same_mail_delivered_twice_with_other_trace_headers_is_a_duplicate(desk: Desk) -> None:
    mail = demo_mails()[0]
    desk.append(b"Received: from mx1.example.jp by desk\r\n" + mail.raw, mail.received_at)
    desk.append(b"Received: from mx2.example.jp by desk\r\n" + mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    assert [m["outcome"] for m in desk.json("messages", "list")] == ["accepted", "duplicate"]


def test_a_message_that_breaks_the_pipeline_lands_in_the_rejection_log(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    mails = demo_mails()[:2]
    for mail in mails:
        desk.append(mail.raw, mail.received_at)
    real = poll_service.record_message

    def broken(*args: object, **kwargs: object) -> object:
        if kwargs["source"].uid == 1:  # type: ignore[attr-defined]
            raise ValueError("unexpected structure")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(poll_service, "record_message", broken)
    result = desk.cli("poll", "--once")
    assert "新規 2 件" in result.stdout
    (rejection,) = desk.json("rejections", "list")
    assert [r["code"] for r in rejection["reasons"]] == ["PROCESSING_ERROR"]
    assert "原本は保存済み" in rejection["reasons"][0]["message"]
    assert all(KEYWORD in f for f in desk.server_flags().values())


def test_a_second_poller_waits_its_turn(desk: Desk) -> None:
    from intake.adapters.lock import exclusive
    from intake.adapters.orm import make_engine

    desk.append(demo_mails()[0].raw, demo_mails()[0].received_at)
    engine = make_engine(desk.settings.database_url)
    with exclusive(engine, desk.settings.storage_dir):
        result = desk.cli("poll", "--once")
    assert "実行中" in result.stdout
    assert desk.json("messages", "list") == []
    assert "新規 1 件" in desk.cli("poll", "--once").stdout


def test_unreachable_database_is_one_line_exit_3(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk()
    desk.write_config(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = desk.cli("messages", "list", expect=3)
    assert "データベースに接続できません" in result.stderr
    assert "Traceback" not in result.output
