"""Real-world mail end to end (issues 12 and 17): a private Dovecot, the database, the commands.

Each broken-but-real variant of a complete application is judged as the application it is:
accepted, not rejected for three missing documents, not an inquiry.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intake.bootstrap import build_app
from intake.devtools.demo import PDF, XLSX, demo_mails, jst, pdf, xlsx
from intake.devtools.samplemail import SampleAttachment, build_mail
from intake.devtools.smtpserver import SmtpTestServer
from intake.services.views.messages import list_messages

from support import Desk, run_intake

pytestmark = pytest.mark.dovecot

NAME = "YAMADA Taro"
RECEIVED = jst(2025, 4, 14, 9, 12)


def yamada(**changes: Any) -> bytes:
    """YAMADA Taro's complete application (his form's e-mail is taro.yamada@example.jp)."""
    params: dict[str, Any] = {
        "subject": f"受講申込_{NAME}",
        "message_id": "field-1@example.jp",
        "date": RECEIVED,
        "from_addr": "yamada@example.jp",
        "from_name": NAME,
        "attachments": [
            xlsx("受講申込書", NAME),
            xlsx("実務経験申告書", NAME),
            pdf("在職証明書", NAME),
        ],
    }
    params.update(changes)
    return build_mail(**params)


def fold_boundary(raw: bytes) -> bytes:
    found = re.search(rb'boundary="([^"]+)"', raw)
    assert found is not None
    boundary = found.group(1)
    return raw.replace(
        found.group(0), b'boundary="' + boundary[:12] + b"\r\n\t" + boundary[12:] + b'"'
    )


def break_header(raw: bytes) -> bytes:
    return raw.replace(b"\r\nSubject:", b"\r\nThis line lost its colon\r\nSubject:", 1)


def name_only(raw: bytes) -> bytes:
    # The certificate part says only `Content-Type: name="…"`: no type, no disposition.
    return raw.replace(b"Content-Type: application/pdf;", b"Content-Type:", 1)


VARIANTS: dict[str, Callable[[], bytes]] = {
    "12.1 folded boundary": lambda: fold_boundary(yamada()),
    "12.1 folded boundary, Outlook": lambda: fold_boundary(yamada(style="outlook_jis")),
    "12.2 UTF-8 BOM": lambda: b"\xef\xbb\xbf" + yamada(),
    "12.2 blank lines": lambda: b"\r\n\r\n" + yamada(),
    "12.2 mbox From line after a BOM": lambda: (
        b"\xef\xbb\xbfFrom yamada@example.jp Mon Apr 14 09:12:00 2025\r\n" + yamada()
    ),
    "12.3 line without colon": lambda: break_header(yamada()),
    "12.4 name-only part": lambda: name_only(yamada(style="no_disposition")),
    "12.5 stray quote": lambda: yamada(
        attachments=[
            SampleAttachment(f'受講申込書_{NAME}.xlsx"', xlsx("受講申込書", NAME).payload, XLSX),
            xlsx("実務経験申告書", NAME),
            pdf("在職証明書", NAME),
        ]
    ),
    "12.5 glued header": lambda: yamada(
        attachments=[
            xlsx("受講申込書", NAME),
            xlsx("実務経験申告書", NAME),
            SampleAttachment(
                f"在職証明書_{NAME}.pdf Content-Transfer-Encoding: 8bit",
                pdf("在職証明書", NAME).payload,
                PDF,
            ),
        ]
    ),
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_real_world_variants_of_a_complete_application_are_accepted(
    desk: Desk, variant: Callable[[], bytes]
) -> None:
    desk.append(variant(), RECEIVED)
    assert "新規 1 件" in desk.cli("poll", "--once").stdout
    (message,) = desk.json("messages", "list")
    assert message["outcome"] == "accepted", desk.json("rejections", "list")
    assert message["subject"] == f"受講申込_{NAME}"
    assert message["from"] == "yamada@example.jp"
    assert message["attachments"] == [
        f"受講申込書_{NAME}.xlsx",
        f"実務経験申告書_{NAME}.xlsx",
        f"在職証明書_{NAME}.pdf",
    ]
    (application,) = desk.json("applications", "list")
    assert application["name_romaji"] == NAME


def message_notes(desk: Desk) -> dict[int, list[str]]:
    app = build_app(desk.settings)
    with app.read() as q:
        return {m.id: list(m.notes) for m in list_messages(q).items}


def test_what_was_repaired_is_said_in_the_record(desk: Desk) -> None:
    desk.append(VARIANTS["12.5 stray quote"](), RECEIVED)
    desk.cli("poll", "--once")
    (notes,) = message_notes(desk).values()
    assert any("添付ファイル名" in n and "取り除いて" in n for n in notes), notes


# --------------------------------------------------------------------------------------
# 12.8 `intake ingest` and a Date header that does not parse
# --------------------------------------------------------------------------------------


def test_ingest_says_an_unreadable_date_needs_received_at(desk: Desk, tmp_path: Path) -> None:
    bad = tmp_path / "bad-date.eml"
    bad.write_bytes(
        yamada().replace(b"Date: Mon, 14 Apr 2025 09:12:00 +0900", b"Date: 2025/04/14 9:12")
    )
    good = tmp_path / "good.eml"
    good.write_bytes(demo_mails()[2].raw)
    result = desk.cli("ingest", str(bad), str(good), expect=2)
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert "bad-date.eml" in line and "2025/04/14 9:12" in line and "--received-at" in line
    assert "ヘッダーなし" not in line
    assert "good.eml: 受付" in result.stdout  # the other file was still processed
    assert [m["outcome"] for m in desk.json("messages", "list")] == ["accepted"]

    missing = tmp_path / "no-date.eml"
    missing.write_bytes(re.sub(rb"Date: [^\r]*\r\n", b"", yamada(message_id="field-2@example.jp")))
    assert "Date ヘッダーがありません" in desk.cli("ingest", str(missing), expect=2).stderr

    again = desk.cli("ingest", str(bad), "--received-at", "2025-04-14T09:12:00+09:00")
    assert "bad-date.eml: 受付" in again.stdout


# --------------------------------------------------------------------------------------
# 12.9 A duplicate is the same message
# --------------------------------------------------------------------------------------


def test_duplicate_means_the_same_message(desk: Desk) -> None:
    raw = yamada()
    desk.append(raw, RECEIVED)
    desk.cli("poll", "--once")
    desk.append(raw, RECEIVED)  # the same mail delivered again
    # The same Message-ID and body, but another Subject: another message.
    desk.append(raw.replace(b"Subject: ", b"Subject: Re: ", 1), jst(2025, 4, 14, 10))
    # The same Message-ID and body from someone else.
    desk.append(
        raw.replace(b"From: ", b"From: other <other@example.jp>\r\nX-Was: ", 1),
        jst(2025, 4, 14, 11),
    )
    desk.cli("poll", "--once")
    messages = desk.json("messages", "list")
    assert [m["outcome"] for m in messages] == ["accepted", "duplicate", "accepted", "accepted"]
    # A duplicate's record lists its attachments like any other.
    assert messages[1]["attachments"] == messages[0]["attachments"]
    notes = message_notes(desk)
    assert any("受信済みメール（記録番号 1）と同一" in n for n in notes[messages[1]["id"]])
    for reused in messages[2:]:
        assert any(
            "Message-ID" in n and "記録番号 1" in n and "内容が異なる" in n
            for n in notes[reused["id"]]
        ), notes
    assert not any("Message-ID" in n for n in notes[messages[0]["id"]])


def test_without_message_id_the_identifying_headers_decide(desk: Desk) -> None:
    raw = re.sub(rb"Message-ID: [^\r]*\r\n", b"", demo_mails()[7].raw)
    desk.append(raw, jst(2025, 6, 9, 9, 10))
    desk.append(raw, jst(2025, 6, 9, 9, 11))
    desk.append(
        raw.replace(b"\r\nDate: ", b"\r\nDate: Tue, 10 Jun 2025 09:00:00 +0900\r\nX-Old-Date: ", 1),
        jst(2025, 6, 10),
    )
    desk.cli("poll", "--once")
    # The same mail twice is one message; with another Date it is another (a resubmission).
    assert [m["outcome"] for m in desk.json("messages", "list")] == [
        "accepted",
        "duplicate",
        "accepted",
    ]


# --------------------------------------------------------------------------------------
# 17.1 Format controls in file names; 17.7 a 1 MB subject
# --------------------------------------------------------------------------------------


def test_bidi_file_name_is_neutralised_and_flagged(desk: Desk) -> None:
    sent = f"疎明資料_{NAME}\u202efdp.exe"
    desk.append(
        yamada(
            attachments=[
                *yamada_documents(),
                SampleAttachment(sent, b"MZ", "application/octet-stream"),
            ]
        ),
        RECEIVED,
    )
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    assert f"疎明資料_{NAME}fdp.exe" in rejection["attachments"]
    assert "ATTACHMENT_FILE_TYPE" in [r["code"] for r in rejection["reasons"]]
    shown = desk.cli("rejections", "show", str(rejection["id"])).stdout
    assert "\u202e" not in shown
    assert "U+202E" in shown  # flagged in the rejection's record


def yamada_documents() -> list[SampleAttachment]:
    return [xlsx("受講申込書", NAME), xlsx("実務経験申告書", NAME), pdf("在職証明書", NAME)]


def test_terminal_output_escapes_format_controls(desk: Desk) -> None:
    desk.append(yamada(subject="お問い合わせ\u202eTXET", attachments=[]), RECEIVED)
    desk.cli("poll", "--once")
    listed = desk.cli("messages", "list").stdout
    assert "\u202e" not in listed and "\\u202e" in listed
    assert desk.json("messages", "list")[0]["subject"] == "お問い合わせ\u202eTXET"


def test_a_megabyte_subject_is_quoted_once(desk: Desk) -> None:
    name = "A" * 1_000_000
    desk.append(yamada(subject=f"受講申込_{name}", attachments=[]), RECEIVED)
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    assert len(rejection["reasons"]) == 3
    assert all(len(r["message"]) < 400 for r in rejection["reasons"])
    assert len(rejection["subject"]) == len("受講申込_") + len(name)


# --------------------------------------------------------------------------------------
# 17.2 A malformed From is never mailed
# --------------------------------------------------------------------------------------

BCC_FROM = b"From: yamada@example.jp\r\n bcc: victim@example.com\r\n"


def with_from(raw: bytes, header: bytes) -> bytes:
    return re.sub(rb"From: [^\r]*\r\n", lambda _: header, raw, count=1)


def test_invalid_sender_gets_the_acknowledgement_at_the_forms_address(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    desk = make_desk(smtp_port=smtp_server.port)
    desk.append(with_from(yamada(), BCC_FROM), RECEIVED)
    desk.cli("poll", "--once")
    (message,) = desk.json("messages", "list")
    assert (message["outcome"], message["from"]) == ("accepted", None)
    (ack,) = desk.json("acks", "list")
    assert ack["to"] == "taro.yamada@example.jp"
    desk.cli("acks", "send-due", "--now", jst(2025, 5, 1).isoformat())
    assert [r.rcpt_tos for r in smtp_server.received] == [["taro.yamada@example.jp"]]
    (notes,) = message_notes(desk).values()
    assert any("差出人（From ヘッダー）" in n for n in notes), notes


@pytest.mark.parametrize(
    "header",
    [
        BCC_FROM,
        b"From: =?utf-8?b?eWFtYWRh?=@example.jp\r\n",
        b'From: "yamada@example.jp\r\n',
    ],
    ids=["folded Bcc", "encoded-word address", "unterminated quote"],
)
def test_invalid_sender_is_never_mailed(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, header: bytes
) -> None:
    desk = make_desk(smtp_port=smtp_server.port)
    unreadable_form = SampleAttachment(f"受講申込書_{NAME}.xlsx", b"PK\x03\x04broken", XLSX)
    desk.append(
        with_from(yamada(attachments=[unreadable_form, *yamada_documents()[1:]]), header),
        RECEIVED,
    )
    desk.cli("poll", "--once")
    (rejection,) = desk.json("rejections", "list")
    assert rejection["from"] is None
    refused = desk.cli("rejections", "notify", str(rejection["id"]), "--yes", expect=1)
    assert "差出人" in refused.stderr and "送り先がありません" in refused.stderr
    # Accepted by an operator: the form cannot be read, so there is no address to write to.
    desk.cli("rejections", "accept", str(rejection["id"]), "--note", "電話で確認済み")
    desk.cli("acks", "send-due", "--now", jst(2025, 5, 1).isoformat(), expect=1)
    (ack,) = desk.json("acks", "list")
    assert ack["status"] == "failed"
    assert "差出人" in ack["note"] and "受講申込書" in ack["note"]
    assert smtp_server.received == []


# --------------------------------------------------------------------------------------
# 12.10 A normal run writes nothing of its libraries to stderr
# --------------------------------------------------------------------------------------


def run_intake_with(desk: Desk, *args: str) -> subprocess.CompletedProcess[str]:
    return run_intake("--config", str(desk.config_path), *args, timeout=300)


def test_a_normal_run_keeps_stderr_for_intake(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    desk = make_desk(
        smtp_port=smtp_server.port,
        cutoff='notify = ["ops@example.jp"]\nexports_dir = "exports"',
    )
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    desk.append(VARIANTS["12.1 folded boundary"](), RECEIVED)
    for args in (
        ("poll", "--once"),
        ("acks", "send-due", "--now", jst(2025, 7, 1).isoformat()),
        ("cutoff", "--term", "1", "--now", jst(2025, 5, 8).isoformat()),
        ("status",),
    ):
        result = run_intake_with(desk, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
    verbose = run_intake_with(desk, "-v", "poll", "--once")
    assert verbose.returncode == 0
    assert all(" intake" in line for line in verbose.stderr.splitlines()), verbose.stderr
