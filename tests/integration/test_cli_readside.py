"""What an operator looks for, through the real CLI on a real poll of the private Dovecot:
`messages show`, `--search` on the lists, paging, the one-line rejection log that fits the
terminal, and a rejection's notices, resolution and history in Japanese."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from intake.devtools.demo import demo_mails, jst, pdf, xlsx
from intake.devtools.samplemail import build_mail
from intake.devtools.smtpserver import SmtpTestServer

from support import Desk

pytestmark = pytest.mark.dovecot

SUZUKI = 3  # demo_mails(): rejected, form read (鈴木 一郎, すずき いちろう)
TANAKA = 4  # demo_mails(): OUTSIDE_PERIOD


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def demo_desk(desk: Desk) -> Desk:
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    return desk


def html_mail() -> bytes:
    """An HTML-only application mail from a web mailer, with hostile markup in it."""
    message = EmailMessage()
    message["From"] = "山田 太郎 <taro@example.jp>"
    message["To"] = "scfn@example.jp"
    message["Subject"] = "受講申込_YAMADA Taro"
    message["Date"] = format_datetime(jst(2025, 4, 10, 9))
    message["Message-ID"] = "<html-only@example.jp>"
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>お世話になっております。<br>受講を申し込みます&amp;よろしくお願いします。</p>"
        '<script>alert("x")</script><a href="javascript:alert(1)" title="a>b">山田</a>'
        "</body></html>",
        subtype="html",
        charset="utf-8",
    )
    for attachment in (xlsx("受講申込書", "YAMADA Taro"), pdf("在職証明書", "YAMADA Taro")):
        maintype, subtype = attachment.content_type.split("/")
        message.add_attachment(
            attachment.payload, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message.as_bytes()


def test_messages_show_gives_headers_the_decoded_text_body_and_attachments(desk: Desk) -> None:
    desk.append(html_mail(), jst(2025, 4, 10, 9))
    desk.cli("poll", "--once")
    (listed,) = desk.json("messages", "list")

    shown = desk.cli("messages", "show", str(listed["id"])).stdout
    assert "Subject: 受講申込_YAMADA Taro" in shown
    assert "From: 山田 太郎 <taro@example.jp>" in shown
    assert "Message-ID: <html-only@example.jp>" in shown
    assert "受講を申し込みます&よろしくお願いします。" in shown
    assert "お世話になっております。\n受講を申し込みます" in shown  # <br> became a line break
    for markup in ("<p>", "<script", "alert(", "color:red", "javascript:", "&amp;"):
        assert markup not in shown
    assert "受講申込書_YAMADA Taro.xlsx" in shown and "在職証明書_YAMADA Taro.pdf" in shown
    assert "受講申込書" in shown and "application/pdf" in shown

    detail = desk.json("messages", "show", str(listed["id"]))
    assert detail["body"].startswith("お世話になっております。")
    assert {"name": "Subject", "value": "受講申込_YAMADA Taro"} in detail["headers"]
    sizes = {a["filename"]: a["size"] for a in detail["attachments"]}
    assert sizes["在職証明書_YAMADA Taro.pdf"] == len(pdf("在職証明書", "YAMADA Taro").payload)
    assert detail["rejection"] is not None  # no 実務経験申告書

    missing = desk.cli("messages", "show", "999", expect=5)
    assert "記録番号 999" in missing.stderr


@pytest.mark.postgres
def test_search_finds_records_by_any_name_sender_reference_and_message_id(
    make_desk: Callable[..., Desk], database_url: str
) -> None:
    desk = demo_desk(make_desk(database_url))

    def found(*args: str) -> list[int]:
        return [row["id"] for row in desk.json(*args)]

    suzuki = found("rejections", "list", "--search", "SUZUKI")
    assert len(suzuki) == 1
    # The form's kanji and kana (hiragana in the form, typed in katakana or half width too).
    for text in (
        "鈴木",
        "鈴木 一郎",
        "すずき",
        "スズキ イチロウ",
        "ｽｽﾞｷ",
        "suzuki@EXAMPLE.jp",
        "ichiro",
    ):
        assert found("rejections", "list", "--search", text) == suzuki, text
    assert found("rejections", "list", "--search", "鈴木 健") == []  # every word must match
    assert found("rejections", "list", "--search", "%") == []  # LIKE wildcards are literal

    tanaka = demo_mails()[TANAKA]
    message_id = tanaka.raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
    (by_id,) = desk.json("rejections", "list", "--search", f"<{message_id}>")
    assert by_id["from"] == "tanaka@example.jp"

    applications = desk.json("applications", "list")
    yamada = next(a for a in applications if a["name_romaji"] == "YAMADA Taro")
    reference = f"T{yamada['term']}-{yamada['id']:05d}"
    assert found("applications", "list", "--search", reference) == [yamada["id"]]
    assert found("applications", "list", "--search", "やまだ") == [yamada["id"]]
    assert found("applications", "list", "--search", f"T9-{yamada['id']:05d}") == []
    assert [a["application_id"] for a in desk.json("acks", "list", "--search", reference)] == [
        yamada["id"]
    ]
    outcomes = [m["outcome"] for m in desk.json("messages", "list", "--search", reference)]
    assert outcomes == ["accepted"]  # the application's mail, not its duplicate

    # A rejection accepted by an operator is found by the 受付番号 of its application.
    desk.cli("rejections", "accept", str(suzuki[0]), "--note", "事務局長の判断")
    (accepted,) = [
        a for a in desk.json("applications", "list") if a["name_romaji"] == "SUZUKI Ichiro"
    ]
    reference = f"T{accepted['term']}-{accepted['id']:05d}"
    assert found("rejections", "list", "--status", "all", "--search", reference) == suzuki


def test_every_list_pages_with_limit_and_offset(desk: Desk) -> None:
    demo_desk(desk)
    everything = desk.json("messages", "list")
    assert len(everything) == 12
    page = desk.json("messages", "list", "--limit", "5", "--offset", "10")
    assert [m["id"] for m in page] == [m["id"] for m in everything[10:]]
    table = desk.cli("messages", "list", "--limit", "5", "--offset", "10").stdout
    assert "受信メール（全 12 件中 11〜12 件）" in table
    first = desk.cli("messages", "list", "--limit", "5").stdout
    assert "全 12 件中 1〜5 件" in first and "--offset 5" in first

    rejections = desk.json("rejections", "list")
    assert desk.json("rejections", "list", "--limit", "2", "--offset", "1") == rejections[1:3]
    for command in (("applications", "list"), ("acks", "list"), ("terms", "list")):
        assert desk.json(*command, "--limit", "1", "--offset", "1") == desk.json(*command)[1:2]
    assert desk.json("rejections", "list", "--limit", "0") == []


def test_rejection_log_is_one_line_a_row_with_short_labels_at_the_terminal_width(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_desk(desk)
    rejections = desk.json("rejections", "list")
    monkeypatch.setenv("COLUMNS", "80")
    table = desk.cli("rejections", "list").stdout
    lines = table.splitlines()
    assert all(line == line.rstrip() for line in lines)  # no trailing padding
    assert max(width(line) for line in lines) <= 80
    rows = [line for line in lines if line.split(" ", 1)[0].isdigit()]
    assert [int(row.split()[0]) for row in rows] == [r["id"] for r in rejections]
    assert "募集期間外の受信" in table  # the short label ...
    assert "いずれの期の募集期間にも含まれません" not in table  # ... never the explanation
    assert "OUTSIDE_PERIOD" not in table

    monkeypatch.setenv("COLUMNS", "40")
    narrow = desk.cli("rejections", "list").stdout.splitlines()
    assert max(width(line) for line in narrow) <= 40
    assert len(narrow) == len(lines)

    # In a pipe without COLUMNS a row is as long as it needs: never cut at a fixed width.
    monkeypatch.delenv("COLUMNS")
    wide = desk.cli("rejections", "list").stdout
    for rejection in rejections:
        assert rejection["subject"] in wide
    assert "実務経験申告書がない、在職証明書がない、様式の記入に不備×4" in wide


def test_a_long_subject_is_never_wrapped_at_200_columns(desk: Desk) -> None:
    subject = "受講申込について" + "とても長い件名です" * 30
    raw = build_mail(
        subject=subject,
        message_id="long@example.jp",
        date=jst(2025, 4, 10),
        attachments=[pdf("在職証明書", "YAMADA Taro")],
    )
    desk.append(raw, jst(2025, 4, 10))
    desk.cli("poll", "--once")
    table = desk.cli("rejections", "list").stdout
    (row,) = [line for line in table.splitlines() if line.startswith("1 ")]
    assert row.endswith(subject) and width(row) > 200


def test_rejections_show_tells_notices_resolution_and_history_in_japanese(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    desk = make_desk(smtp_port=smtp_server.port)
    mail = demo_mails()[SUZUKI]
    desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    rid = str(rejection["id"])
    assert rejection["notice"] == "none"
    assert "不備のご連絡: 未送信" in desk.cli("rejections", "show", rid).stdout
    assert [r["id"] for r in desk.json("rejections", "list", "--not-notified")] == [int(rid)]
    assert desk.json("rejections", "list", "--notified") == []

    desk.cli("rejections", "notify", rid, "--yes", "--operator", "原")
    shown = desk.cli("rejections", "show", rid).stdout
    assert "不備のご連絡: 送信済み" in shown
    assert "通知 1: 送信済み" in shown and "宛先 suzuki@example.jp" in shown
    assert "原 不備のご連絡（rejection.notify）" in shown
    assert [r["id"] for r in desk.json("rejections", "list", "--notified")] == [int(rid)]
    assert desk.json("rejections", "list", "--not-notified") == []
    listed = desk.cli("rejections", "list").stdout
    assert "送信済み" in listed

    desk.cli("rejections", "resolve", rid, "--note", "電話で再送を依頼", "--operator", "原")
    shown = desk.cli("rejections", "show", rid).stdout
    assert "対応: 担当者が対応" in shown and "「電話で再送を依頼」" in shown
    assert "原 対応済みにした（rejection.resolve）「電話で再送を依頼」" in shown
    detail = desk.json("rejections", "show", rid)
    assert [e["label"] for e in detail["history"]] == ["不備のご連絡", "対応済みにした"]
    assert [(n["status"], n["status_label"]) for n in detail["notices"]] == [("sent", "送信済み")]
    resolved = desk.cli("rejections", "list", "--status", "resolved").stdout
    assert "対応済み（担当者が対応）" in resolved


def test_rejection_filters_by_date_range_and_sorting(desk: Desk) -> None:
    demo_desk(desk)
    by_received = desk.json("rejections", "list", "--sort", "received")
    times = [r["received_at"] for r in by_received]
    assert times == sorted(times)
    newest_first = desk.json("rejections", "list", "--sort", "received", "--reverse")
    assert newest_first == by_received[::-1]
    may = desk.json("rejections", "list", "--since", "2025-05-01", "--until", "2025-05-31")
    assert [r["received_at"][:7] for r in may] == ["2025-05"]
    # A bare --until date includes that whole day (KATO's mail came at 10:00 on 5/12).
    until = desk.json("rejections", "list", "--until", "2025-05-12")
    expected = sorted(r["id"] for r in by_received if r["received_at"] < "2025-05-13")
    assert [r["id"] for r in until] == expected and len(expected) == 2
