"""Real-world mail that used to lose its parts or headers (issue 12, points 1-5), built byte by
byte as the clients that send it do, and read back whole."""

from __future__ import annotations

import base64
import pathlib
import re
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.adapters.filenames import clean_filename
from intake.adapters.fromheader import parse_from
from intake.adapters.mailparse import (
    ParsedMail,
    parse_mail_bytes,
    parse_mail_file,
    parse_mail_file_headers,
    parse_mail_headers,
    safe_basename,
)
from intake.devtools.samplemail import (
    XLSX_TYPE,
    SampleAttachment,
    build_mail,
    build_with_part,
    xlsx_placeholder,
)
from intake.services.attachments import export_name

JST = timezone(timedelta(hours=9))
DATE = datetime(2025, 4, 14, 9, 30, tzinfo=JST)
XLSX = XLSX_TYPE
NAME = "YAMADA Taro"
DOCUMENTS = [
    SampleAttachment(f"受講申込書_{NAME}.xlsx", xlsx_placeholder("A"), XLSX),
    SampleAttachment(f"実務経験申告書_{NAME}.xlsx", xlsx_placeholder("B"), XLSX),
    SampleAttachment(f"在職証明書_{NAME}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
]
FILENAMES = [a.filename for a in DOCUMENTS]


def application_mail(**changes: object) -> bytes:
    params: dict[str, object] = {
        "subject": f"受講申込_{NAME}",
        "message_id": "<recovery@example.jp>",
        "date": DATE,
        "from_name": "山田 太郎",
        "attachments": DOCUMENTS,
    }
    params.update(changes)
    return build_mail(**params)  # type: ignore[arg-type]


def boundary_of(raw: bytes) -> bytes:
    found = re.search(rb'boundary="([^"]+)"', raw)
    assert found is not None
    return found.group(1)


def assert_complete(mail: ParsedMail) -> None:
    assert mail.subject == f"受講申込_{NAME}"
    assert mail.from_address == "taro@example.jp"
    assert mail.date == DATE
    assert [a.filename for a in mail.attachments] == FILENAMES
    assert [a.payload for a in mail.attachments] == [a.payload for a in DOCUMENTS]


# --------------------------------------------------------------------------------------
# 12.1 A boundary parameter folded inside its quotes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fold", [b"\r\n\t", b"\r\n ", b"\n\t"])
def test_boundary_folded_inside_the_quotes_keeps_every_part(fold: bytes) -> None:
    raw = application_mail()
    boundary = boundary_of(raw)
    folded = boundary[:14] + fold + boundary[14:]
    raw = raw.replace(b'boundary="' + boundary + b'"', b'boundary="' + folded + b'"', 1)
    assert raw.count(b"--" + boundary) == 5  # the delimiter lines themselves are unbroken

    mail = parse_mail_bytes(raw)
    assert_complete(mail)
    assert mail.body_text.startswith("お世話になっております。")
    assert any("boundary" in d and "折り返" in d for d in mail.defects), mail.defects


def test_folded_boundary_of_a_nested_part_is_repaired_too() -> None:
    pdf = base64.b64encode(b"%PDF-1.4\n%%EOF\n")
    raw = (
        b"From: taro@example.jp\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"--outer\r\n"
        b'Content-Type: multipart/alternative; boundary="=_alt_0001\r\n\t_0002"\r\n\r\n'
        b"--=_alt_0001_0002\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nplain\r\n"
        b"--=_alt_0001_0002\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>html</p>\r\n"
        b"--=_alt_0001_0002--\r\n"
        b"--outer\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + pdf + b"\r\n--outer--\r\n"
    )
    mail = parse_mail_bytes(raw)
    assert mail.body_text == "plain"
    assert [a.filename for a in mail.attachments] == ["a.pdf"]


def test_a_folded_boundary_that_really_has_a_space_is_read_with_it() -> None:
    # RFC 2046's own example boundary contains a space; folding there is legitimate.
    raw = (
        b"From: taro@example.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="simple\r\n boundary"\r\n\r\n'
        b"--simple boundary\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--simple boundary\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n%PDF\r\n'
        b"--simple boundary--\r\n"
    )
    mail = parse_mail_bytes(raw)
    assert mail.body_text == "body"
    assert [a.filename for a in mail.attachments] == ["a.pdf"]


# --------------------------------------------------------------------------------------
# 12.2 Leading debris: a UTF-8 BOM, blank lines, an mbox "From " line
# --------------------------------------------------------------------------------------

LEADING_DEBRIS = {
    "bom": b"\xef\xbb\xbf",
    "blank lines": b"\r\n\r\n",
    "bare LF blank line": b"\n",
    "bom and mbox line": b"\xef\xbb\xbfFrom taro@example.jp Mon Apr 14 09:30:00 2025\r\n",
    "blank line and mbox line": b"\r\nFrom taro@example.jp Mon Apr 14 09:30:00 2025\r\n",
    "mbox line": b"From taro@example.jp Mon Apr 14 09:30:00 2025\r\n",
}


@pytest.mark.parametrize("debris", LEADING_DEBRIS.values(), ids=LEADING_DEBRIS.keys())
def test_leading_debris_does_not_hide_the_headers(debris: bytes, tmp_path: pathlib.Path) -> None:
    raw = debris + application_mail()
    assert_complete(parse_mail_bytes(raw))
    path = tmp_path / "saved.eml"
    path.write_bytes(raw)
    assert_complete(parse_mail_file(path))
    for head in (parse_mail_headers(raw), parse_mail_file_headers(path)):
        assert (head.subject, head.from_address, head.date) == (
            f"受講申込_{NAME}",
            "taro@example.jp",
            DATE,
        )


def test_leading_debris_is_noted_but_an_mbox_line_is_not() -> None:
    assert any("BOM" in d for d in parse_mail_bytes(b"\xef\xbb\xbf" + application_mail()).defects)
    assert any("空行" in d for d in parse_mail_bytes(b"\r\n" + application_mail()).defects)
    mbox = parse_mail_bytes(LEADING_DEBRIS["mbox line"] + application_mail())
    assert mbox.defects == ()  # an mbox file's envelope line is normal


# --------------------------------------------------------------------------------------
# 12.3 A malformed line inside the header block
# --------------------------------------------------------------------------------------


def break_header_block(raw: bytes, before: bytes, line: bytes) -> bytes:
    """Insert ``line`` (no colon, not indented) just before the header ``before``."""
    assert raw.count(b"\r\n" + before) >= 1
    return raw.replace(b"\r\n" + before, b"\r\n" + line + b"\r\n" + before, 1)


def test_headers_after_a_line_without_colon_are_recovered() -> None:
    raw = break_header_block(application_mail(), b"Subject:", b"X-Broken header without colon")
    mail = parse_mail_bytes(raw)
    assert_complete(mail)
    assert mail.content_type == "multipart/mixed"
    notes = [d for d in mail.defects if "X-Broken header without colon" in d]
    assert len(notes) == 1 and "ヘッダー" in notes[0], mail.defects
    headers = parse_mail_headers(raw)
    assert (headers.subject, headers.date, headers.content_type) == (
        f"受講申込_{NAME}",
        DATE,
        "multipart/mixed",
    )


def test_unindented_continuation_of_an_encoded_subject_is_joined() -> None:
    raw = application_mail()
    folded = re.search(rb"Subject: (=\?UTF-8\?B\?[^?]+\?=)\r\n (=\?UTF-8\?B\?[^?]+\?=)\r\n", raw)
    assert folded is not None
    raw = raw.replace(
        folded.group(0), b"Subject: " + folded.group(1) + b"\r\n" + folded.group(2) + b"\r\n"
    )
    mail = parse_mail_bytes(raw)
    assert_complete(mail)
    assert any("続き" in d for d in mail.defects), mail.defects


def test_unindented_parameter_line_continues_its_header() -> None:
    raw = application_mail()
    boundary = boundary_of(raw)
    raw = raw.replace(
        b'Content-Type: multipart/mixed;\r\n\tboundary="',
        b'Content-Type: multipart/mixed;\r\nboundary="',
    )
    assert b'\r\nboundary="' + boundary in raw
    assert_complete(parse_mail_bytes(raw))


def test_a_body_without_blank_line_is_not_taken_for_headers() -> None:
    raw = (
        b"From: taro@example.jp\r\nSubject: question\r\n"
        b"Hello, I have a question.\r\nNote: it is about the forms\r\nThanks\r\n"
    )
    mail = parse_mail_bytes(raw)
    assert mail.subject == "question"
    assert "note" not in mail.headers
    assert "Hello, I have a question." in mail.body_text


def test_garbage_first_line_before_real_headers_is_dropped() -> None:
    raw = b"=== saved by SomeTool ===\r\n" + application_mail()
    mail = parse_mail_bytes(raw)
    assert_complete(mail)
    assert any("=== saved by SomeTool ===" in d for d in mail.defects)


# --------------------------------------------------------------------------------------
# 12.4 A part named only by Content-Type's name parameter
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        'Content-Type: name="在職証明書_YAMADA Taro.pdf"',
        'Content-Type:\r\n name="在職証明書_YAMADA Taro.pdf"',
        'Content-Type: application/pdf name="在職証明書_YAMADA Taro.pdf"',
        'Content-Type: application/pdf; name="在職証明書_YAMADA Taro.pdf"',
    ],
)
def test_part_named_only_by_content_type_name_is_an_attachment(header: str) -> None:
    payload = b"%PDF-1.4\n%%EOF\n"
    mail = parse_mail_bytes(build_with_part(header.encode(), payload))
    assert mail.body_text == "body"
    assert [(a.filename, a.content_type, a.payload) for a in mail.attachments] == [
        ("在職証明書_YAMADA Taro.pdf", "application/pdf", payload)
    ]


# --------------------------------------------------------------------------------------
# 12.5 Debris in a file name; 17.1 format controls in a file name
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "expected", "removed"),
    [
        (
            'attachment; filename="受講申込書_YAMADA Taro.xlsx""',
            "受講申込書_YAMADA Taro.xlsx",
            '"',
        ),
        (
            'attachment; filename=受講申込書_YAMADA Taro.xlsx"',
            "受講申込書_YAMADA Taro.xlsx",
            '"',
        ),
        (
            "attachment; filename*=UTF-8''%E5%8F%97%E8%AC%9B%E7%94%B3%E8%BE%BC%E6%9B%B8"
            "_YAMADA%20Taro.xlsx%22",
            "受講申込書_YAMADA Taro.xlsx",
            '"',
        ),
        (
            'attachment; filename="在職証明書_YAMADA Taro.pdf Content-Transfer-Encoding: 8bit',
            "在職証明書_YAMADA Taro.pdf",
            "Content-Transfer-Encoding: 8bit",
        ),
        (
            'attachment; filename="在職証明書_YAMADA Taro.pdf Content-Transfer-Encoding: 8bit"',
            "在職証明書_YAMADA Taro.pdf",
            "Content-Transfer-Encoding: 8bit",
        ),
    ],
)
def test_debris_in_a_file_name_is_cleaned_and_said(
    disposition: str, expected: str, removed: str
) -> None:
    header = f"Content-Type: application/octet-stream\r\nContent-Disposition: {disposition}"
    mail = parse_mail_bytes(build_with_part(header.encode(), b"PK\x03\x04"))
    assert [a.filename for a in mail.attachments] == [expected]
    notes = [d for d in mail.defects if "添付ファイル名" in d and removed in d]
    assert len(notes) == 1, mail.defects


@pytest.mark.parametrize(
    "name",
    [
        "受講申込書_O'BRIEN Sean.xlsx",
        '在職証明書_"YAMADA" Taro.pdf',
        "在職証明書_Content Taro.pdf",
        "受講申込書_YAMADA Taro.xlsx",
    ],
)
def test_names_without_debris_are_kept_exactly(name: str) -> None:
    quoted = name.replace('"', '\\"')
    header = (
        "Content-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="{quoted}"'
    )
    mail = parse_mail_bytes(build_with_part(header.encode(), b"x"))
    assert [a.filename for a in mail.attachments] == [name]
    assert mail.defects == ()


def test_format_controls_are_removed_from_file_names_and_flagged() -> None:
    sent = "疎明資料_RTL Over\u202efdp.exe"
    raw = application_mail(attachments=[SampleAttachment(sent, b"MZ", "application/octet-stream")])
    mail = parse_mail_bytes(raw)
    assert [a.filename for a in mail.attachments] == ["疎明資料_RTL Overfdp.exe"]
    (note,) = [d for d in mail.defects if "U+202E" in d]
    assert "\u202e" not in note  # the note shows the control, never contains it raw
    assert "\\u202e" in note


@pytest.mark.parametrize(
    "sent",
    [
        "疎明資料_RTL Over\u202efdp.exe",
        "\u2066在職証明書\u2069_YAMADA\u200b Taro.pdf\u200e",
        "受講申込書_YAMADA Taro.xlsx\ufeff",
    ],
)
def test_names_written_to_disk_have_no_format_controls(sent: str) -> None:
    for name in (safe_basename(sent), export_name(sent, 7)):
        assert name and not any(_is_format(ch) for ch in name)
    assert export_name("疎明資料_RTL Over\u202efdp.exe", 7) == "疎明資料_RTL Overfdp.exe"


# --------------------------------------------------------------------------------------
# Never a crash: fuzzing the header recovery and the file-name cleaning
# --------------------------------------------------------------------------------------

_HEADER_LINES = st.sampled_from(
    [
        b"Subject: x",
        b"From: taro@example.jp",
        b"Date: Mon, 14 Apr 2025 09:30:00 +0900",
        b'Content-Type: multipart/mixed; boundary="b"',
        b" continued",
        b"\tcontinued",
        b"no colon here",
        b"=?UTF-8?B?5bGx55Sw?=",
        b"From taro@example.jp Mon Apr 14 09:30:00 2025",
        b"\xef\xbb\xbf",
        b"",
        b"--b",
        b":",
        b"\xff\xfe\x00",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.one_of(_HEADER_LINES, st.binary(max_size=40)), max_size=30),
    newline=st.sampled_from([b"\r\n", b"\n", b"\r"]),
)
def test_header_recovery_never_raises(lines: list[bytes], newline: bytes) -> None:
    raw = newline.join(lines)
    for mail in (parse_mail_bytes(raw), parse_mail_headers(raw)):
        assert isinstance(mail, ParsedMail)
        mail.subject.encode("utf-8")
        assert all(isinstance(d, str) for d in mail.defects)


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=80))
def test_file_name_cleaning_never_raises_and_leaves_no_controls(name: str) -> None:
    encoded = base64.b64encode(name.encode("utf-8", "surrogatepass")).decode()
    header = (
        "Content-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="=?UTF-8?B?{encoded}?="'
    )
    mail = parse_mail_bytes(build_with_part(header.encode(), b"x"))
    for attachment in mail.attachments:
        if attachment.filename is not None:
            assert not any(
                ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or _is_format(ch)
                for ch in attachment.filename
            )


def _is_format(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=120))
def test_clean_filename_only_ever_removes(name: str) -> None:
    cleaned, notes = clean_filename(name)
    assert len(cleaned) <= len(name)
    assert (cleaned == name) == (notes == [])
    assert all(isinstance(n, str) and "添付ファイル名" in n for n in notes)


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=120))
def test_sender_parsing_never_raises(value: str) -> None:
    defects: list[str] = []
    address, display = parse_from(value, None, defects)
    assert isinstance(display, str)
    if address is not None:
        assert "@" in address and not any(ch.isspace() for ch in address)
