"""mailparse on real bytes shaped like the mail Japanese clients actually send."""

from __future__ import annotations

import base64
import email
import io
import pathlib
import random
import re
import subprocess
import sys
import unicodedata
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import mailparser
import pytest

from intake.adapters.iso2022jp_ms import encode_iso2022jp_ms
from intake.adapters.mailparse import (
    MailAttachment,
    ParsedMail,
    parse_mail_bytes,
    parse_mail_file,
    parse_mail_file_headers,
    parse_mail_headers,
    safe_basename,
)
from intake.devtools.samplemail import (
    SampleAttachment,
    Style,
    build_auto_reply,
    build_bounce,
    build_forward,
    build_mail,
    build_with_part,
    encoded_words,
    rfc2231_param,
    xlsx_placeholder,
)

JST = timezone(timedelta(hours=9))
DATE = datetime(2024, 4, 1, 9, 30, tzinfo=JST)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIN = "①㈱髙"
SUBJECT = f"【受講申込】{WIN} 山田太郎"
FILENAME = f"受講申込書_{WIN}_山田太郎.xlsx"
BODY = f"お世話になっております。\n申込書{WIN}を添付します。\n"
STYLES: tuple[Style, ...] = (
    "utf8",
    "outlook_jis",
    "thunderbird_rfc2231",
    "apple_inline",
    "raw_cp932",
    "sjis_body",
    "no_disposition",
)
EXPECTED_DISPOSITION: dict[str, str | None] = {
    "apple_inline": "inline",
    "no_disposition": None,
}


def _mail(style: Style, **kwargs: object) -> bytes:
    params: dict[str, object] = {
        "subject": SUBJECT,
        "from_name": "山田 太郎",
        "body": BODY,
        "attachments": [SampleAttachment(FILENAME, xlsx_placeholder("A"), XLSX)],
        "style": style,
        "message_id": f"<{style}.0001@example.jp>",
        "date": DATE,
    }
    params.update(kwargs)
    return build_mail(**params)  # type: ignore[arg-type]


def _stdlib_filename(raw: bytes) -> str | None:
    """What the email package itself makes of the first attachment's name."""
    leaves = [p for p in email.message_from_bytes(raw).walk() if not p.is_multipart()]
    return leaves[1].get_filename()


# --------------------------------------------------------------------------------------
# The sample builders
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_builders_are_deterministic_and_crlf(style: Style) -> None:
    raw = _mail(style)
    assert raw == _mail(style)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"Message-ID: <" + style.encode() + b".0001@example.jp>\r\n" in raw
    assert b"Date: Mon, 01 Apr 2024 09:30:00 +0900\r\n" in raw


def test_xlsx_placeholder_is_valid_and_stable() -> None:
    data = xlsx_placeholder("A")
    assert data == xlsx_placeholder("A")
    assert data != xlsx_placeholder("B")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "xl/workbook.xml" in zf.namelist()


def test_outlook_filename_is_split_into_several_quoted_encoded_words() -> None:
    raw = _mail("outlook_jis")
    header = raw.split(b"Content-Disposition: attachment;", 1)[1].split(b"\r\nContent-", 1)[0]
    assert header.count(b"=?ISO-2022-JP?B?") >= 3
    assert header.lstrip().startswith(b'filename="=?ISO-2022-JP?B?')
    chunks = [base64.b64decode(w) for w in re.findall(rb"=\?ISO-2022-JP\?B\?([^?]*)\?=", header)]
    # Some word continues inside the JIS X 0208 shift state of the previous one.
    assert any(not chunk.startswith(b"\x1b") for chunk in chunks[1:])
    assert raw.isascii()  # pure 7-bit like Outlook


# --------------------------------------------------------------------------------------
# Every client style
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_each_style_parses_exactly(style: Style) -> None:
    payload = xlsx_placeholder("A")
    nameless = SampleAttachment(None, b"\x89PNG\r\n\x1a\nfake", "image/png")
    raw = _mail(style, attachments=[SampleAttachment(FILENAME, payload, XLSX), nameless])
    mail = parse_mail_bytes(raw)

    assert mail.subject == SUBJECT
    assert mail.message_id == f"<{style}.0001@example.jp>"
    assert mail.from_address == "taro@example.jp"
    assert mail.from_display == "山田 太郎 <taro@example.jp>"
    assert mail.date == DATE
    assert mail.date is not None and mail.date.utcoffset() == timedelta(hours=9)
    assert mail.content_type == "multipart/mixed"
    # Body text survives; only CP932's 〜 mapping could differ and BODY has none.
    assert mail.body_text == BODY
    disposition = EXPECTED_DISPOSITION.get(style, "attachment")
    assert mail.attachments == (
        MailAttachment(FILENAME, XLSX, disposition, payload),
        MailAttachment(None, "image/png", disposition, nameless.payload),
    )
    assert mail.attachments[0].size == len(payload)
    assert mail.defects == ()


def test_outlook_iso2022jp_body_is_decoded_and_mailparser_is_not() -> None:
    raw = _mail("outlook_jis")
    assert b'charset="iso-2022-jp"' in raw
    assert "申込書".encode("cp932") not in raw
    mail = parse_mail_bytes(raw)
    assert mail.body_text == BODY
    # mail-parser 4.8 returns such 7-bit ISO-2022-JP text undecoded (raw escapes),
    # also for the subject, because Python's codecs reject ①㈱髙.
    mp = mailparser.parse_from_bytes(raw)
    assert "\x1b$B" in mp.text_plain[0]
    assert "\x1b$B" in mp.subject
    assert mp.subject != mail.subject


def test_wave_dash_from_windows_client() -> None:
    raw = _mail("outlook_jis", subject="4月1日〜4月5日")
    assert parse_mail_bytes(raw).subject == "4月1日～4月5日"  # U+FF5E, as Windows means it


def test_sjis_body_8bit() -> None:
    raw = _mail("sjis_body", body="申込書を送ります。①\n")
    assert "申込書を送ります".encode("cp932") in raw
    assert b"Content-Transfer-Encoding: 8bit" in raw
    mail = parse_mail_bytes(raw)
    assert mail.body_text == "申込書を送ります。①\n"
    assert mail.defects == ()


def test_utf8_base64_body() -> None:
    raw = _mail("utf8", body="日本語の本文\n")
    assert b"Content-Transfer-Encoding: base64" in raw
    assert parse_mail_bytes(raw).body_text == "日本語の本文\n"


def test_mailparser_nfc_normalises_we_do_not() -> None:
    nfd = unicodedata.normalize("NFD", "ガイド申込書.xlsx")
    assert nfd != unicodedata.normalize("NFC", nfd)
    raw = _mail("utf8", subject=nfd, attachments=[SampleAttachment(nfd, b"x")])
    mail = parse_mail_bytes(raw)
    assert mail.subject == nfd
    assert mail.attachments[0].filename == nfd
    assert mailparser.parse_from_bytes(raw).subject == unicodedata.normalize("NFC", nfd)


# --------------------------------------------------------------------------------------
# Encoded-word and RFC 2231 file names
# --------------------------------------------------------------------------------------


def test_iso2022jp_words_split_mid_character_and_mid_shift_state() -> None:
    data = encode_iso2022jp_ms(FILENAME)
    # 3 bytes of ESC $ B, then 5 bytes: the cut falls inside a JIS pair.
    words = encoded_words(data[:8], "ISO-2022-JP", 8) + encoded_words(data[8:], "ISO-2022-JP", 7)
    assert len(words) > 3
    quoted = '"' + "\r\n\t".join(words) + '"'
    raw = build_with_part(
        f"Content-Type: {XLSX};\r\n\tname={quoted}\r\n"
        f"Content-Disposition: attachment;\r\n\tfilename={quoted}".encode("ascii")
    )
    mail = parse_mail_bytes(raw)
    assert [a.filename for a in mail.attachments] == [FILENAME]
    assert mail.attachments[0].content_type == XLSX


def test_encoded_word_in_content_type_name_only() -> None:
    word = encoded_words(encode_iso2022jp_ms(FILENAME), "ISO-2022-JP", 60)[0]
    raw = build_with_part(f'Content-Type: application/octet-stream; name="{word}"'.encode())
    (att,) = parse_mail_bytes(raw).attachments
    assert (att.filename, att.disposition) == (FILENAME, None)


@pytest.mark.parametrize("charset", ["UTF-8", "ISO-2022-JP", "Shift_JIS"])
def test_rfc2231_continuations(charset: str) -> None:
    param = rfc2231_param("filename", FILENAME, charset, chunk=20)
    assert "filename*0*=" in param and "filename*2*=" in param
    raw = build_with_part(
        b"Content-Type: "
        + XLSX.encode()
        + b"\r\nContent-Disposition: attachment;\r\n "
        + param.encode("ascii")
    )
    assert [a.filename for a in parse_mail_bytes(raw).attachments] == [FILENAME]


def test_rfc2231_single_and_lowercase_charset() -> None:
    param = rfc2231_param("filename", FILENAME, "iso-2022-jp")
    assert param.startswith("filename*=iso-2022-jp''%1B%24B")
    raw = build_with_part(
        b"Content-Type: "
        + XLSX.encode()
        + b"\r\nContent-Disposition: attachment; "
        + param.encode()
    )
    assert parse_mail_bytes(raw).attachments[0].filename == FILENAME


def test_rfc2231_wins_over_plain_parameter() -> None:
    param = rfc2231_param("filename", FILENAME, "UTF-8")
    raw = build_with_part(
        b"Content-Type: "
        + XLSX.encode()
        + b'\r\nContent-Disposition: attachment; filename="fallback.xlsx"; '
        + param.encode()
    )
    assert parse_mail_bytes(raw).attachments[0].filename == FILENAME


def test_raw_cp932_filename_with_5c_trail_byte() -> None:
    name = "受講申込書_山田.xlsx"
    assert b"\x90\x5c" in name.encode("cp932")  # 申 = 0x90 0x5C
    raw = _mail("raw_cp932", attachments=[SampleAttachment(name, b"x", XLSX)])
    assert b'filename="' + name.encode("cp932") + b'"' in raw
    mail = parse_mail_bytes(raw)
    assert mail.attachments[0].filename == name
    assert mail.subject == SUBJECT
    assert mail.from_display == "山田 太郎 <taro@example.jp>"
    # Both the email package and mail-parser mangle it.
    assert _stdlib_filename(raw) != name
    assert mailparser.parse_from_bytes(raw).attachments[0]["filename"] != name


def test_raw_cp932_5c_before_closing_quote_does_not_eat_it() -> None:
    name = "受講申込書_様式表"  # 表 = 0x95 0x5C, right before the closing quote
    raw = _mail("raw_cp932", attachments=[SampleAttachment(name, b"x", XLSX)])
    raw = raw.replace(name.encode("cp932") + b'"', name.encode("cp932") + b'"; size=1')
    assert "size=1" in str(_stdlib_filename(raw))  # the stdlib swallowed the next param
    assert parse_mail_bytes(raw).attachments[0].filename == name


def test_raw_utf8_filename() -> None:
    raw = build_with_part(
        b"Content-Type: "
        + XLSX.encode()
        + b'\r\nContent-Disposition: attachment; filename="'
        + FILENAME.encode()
        + b'"'
    )
    assert parse_mail_bytes(raw).attachments[0].filename == FILENAME


# --------------------------------------------------------------------------------------
# Attachment classification
# --------------------------------------------------------------------------------------


def test_apple_inline_attachment_and_first_text_is_body() -> None:
    raw = _mail("apple_inline")
    assert b"Content-Disposition: inline;" in raw
    assert raw.count(b"Content-Type: text/plain") == 2  # Apple's trailing text part
    mail = parse_mail_bytes(raw)
    assert mail.body_text == BODY
    assert [(a.filename, a.disposition) for a in mail.attachments] == [(FILENAME, "inline")]


def test_no_disposition_parts_and_mailparser_drops_nameless() -> None:
    png = SampleAttachment(None, b"\x89PNG", "image/png")
    raw = _mail("no_disposition", attachments=[SampleAttachment(FILENAME, b"x", XLSX), png])
    assert b"Content-Disposition" not in raw
    mail = parse_mail_bytes(raw)
    assert [(a.filename, a.disposition) for a in mail.attachments] == [
        (FILENAME, None),
        (None, None),
    ]
    mp = mailparser.parse_from_bytes(raw)
    assert [a["filename"] for a in mp.attachments] == [FILENAME]
    assert len(mp.text_not_managed) == 1  # the nameless image went there


def test_mailparser_invents_names_for_nameless_attachments() -> None:
    raw = _mail("utf8", attachments=[SampleAttachment(None, b"\x89PNG", "image/png")])
    assert parse_mail_bytes(raw).attachments[0].filename is None
    invented = mailparser.parse_from_bytes(raw).attachments[0]["filename"]
    assert invented  # a random name


def test_text_attachment_without_name_and_html_only_body() -> None:
    raw = (
        b"From: a@example.jp\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + "<p>本文&amp;です</p><script>x()</script>".encode()
        + b"\r\n--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnote\r\n"
        b"--B\r\nContent-Type: text/csv; name=list.csv\r\n\r\na,b\r\n--B--\r\n"
    )
    mail = parse_mail_bytes(raw)
    assert mail.body_text == "本文&です"
    assert [(a.filename, a.content_type, a.disposition) for a in mail.attachments] == [
        (None, "text/plain", "attachment"),
        ("list.csv", "text/csv", None),
    ]
    assert mail.attachments[0].payload == b"note"


def test_hostile_filenames_are_verbatim_except_control_chars() -> None:
    names = ["../../etc/passwd", "C:\\Users\\x\\受講申込書_A.xlsx", "あ" * 266 + ".xlsx"]
    raw = _mail("utf8", attachments=[SampleAttachment(n, b"x") for n in names])
    assert [a.filename for a in parse_mail_bytes(raw).attachments] == names
    assert len(names[2].encode()) > 800

    raw = _mail("thunderbird_rfc2231", attachments=[SampleAttachment("evil\x00.xlsx\x07", b"x")])
    mail = parse_mail_bytes(raw)
    assert mail.attachments[0].filename == "evil.xlsx"
    assert any(
        "添付ファイル名から制御文字を取り除きました" in d and "evil\\x00.xlsx\\x07" in d
        for d in mail.defects
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\受講申込書_A.xlsx", "受講申込書_A.xlsx"),
        ("C:申込.xlsx", "申込.xlsx"),
        ("a\x00b\x1f.xlsx", "ab.xlsx"),
        ("dir/", "attachment"),
        ("..", "attachment"),
        ("", "attachment"),
        ("plain.xlsx", "plain.xlsx"),
    ],
)
def test_safe_basename(name: str, expected: str) -> None:
    assert safe_basename(name) == expected


def test_safe_basename_truncates_keeping_extension() -> None:
    result = safe_basename("あ" * 800 + ".xlsx")
    assert len(result) == 200
    assert result.endswith("あ.xlsx")
    assert len(safe_basename("x" * 300)) == 200


# --------------------------------------------------------------------------------------
# Forwards, bounces, auto-replies
# --------------------------------------------------------------------------------------


def test_forwarded_application_yields_inner_attachments() -> None:
    inner = _mail("outlook_jis")
    raw = build_forward(inner, subject="Fw: 申込", message_id="<fwd@example.jp>", date=DATE)
    mail = parse_mail_bytes(raw)
    assert mail.subject == "Fw: 申込"
    assert mail.body_text == "以前お送りした申込メールを転送します。\n"
    assert [(a.filename, a.content_type) for a in mail.attachments] == [(FILENAME, XLSX)]
    assert all(a.content_type != "message/rfc822" for a in mail.attachments)


def test_bounce_does_not_leak_original_attachments() -> None:
    original = _mail("utf8")
    raw = build_bounce(original, message_id="<dsn@mx.example.jp>", date=DATE)
    mail = parse_mail_bytes(raw)
    assert mail.content_type == "multipart/report"
    assert mail.attachments == ()
    assert mail.from_address == "MAILER-DAEMON@mx.example.jp"
    assert mail.headers["return-path"] == "<>"
    assert mail.body_text.startswith("This is the mail system at host mx.example.jp.")
    # mail-parser flattens the quoted original's attachment into the bounce.
    assert [a["filename"] for a in mailparser.parse_from_bytes(raw).attachments] == [FILENAME]


def test_bounce_with_headers_only() -> None:
    raw = build_bounce(_mail("utf8"), message_id="<dsn2@mx>", date=DATE, headers_only=True)
    assert b"Content-Type: text/rfc822-headers" in raw
    mail = parse_mail_bytes(raw)
    assert mail.attachments == ()
    assert "could not" in mail.body_text


def test_auto_reply_headers_present() -> None:
    raw = build_auto_reply(
        subject="自動応答: 不在のお知らせ",
        message_id="<ar@example.jp>",
        date=DATE,
        in_reply_to="<orig@example.jp>",
    )
    mail = parse_mail_bytes(raw)
    assert mail.subject == "自動応答: 不在のお知らせ"
    assert mail.headers["auto-submitted"] == "auto-replied"
    assert mail.headers["x-autoreply"] == "yes"
    assert mail.headers["precedence"] == "auto_reply"
    assert mail.headers["in-reply-to"] == "<orig@example.jp>"
    assert mail.headers["references"] == "<orig@example.jp>"


def test_headers_dict_first_occurrence_and_decoded() -> None:
    raw = (
        b"Received: from a\r\nReceived: from b\r\nX-Note: =?UTF-8?B?44GC?=\r\n"
        b"Message-ID:\r\n <folded@example.jp> \r\n\r\nbody\r\n"
    )
    mail = parse_mail_bytes(raw)
    assert mail.headers["received"] == "from a"
    assert mail.headers["x-note"] == "あ"
    assert mail.message_id == "<folded@example.jp>"


# --------------------------------------------------------------------------------------
# Headers only, files, garbage
# --------------------------------------------------------------------------------------


def test_parse_mail_headers_ignores_body() -> None:
    raw = _mail("outlook_jis") + b"\xff" * 1000
    mail = parse_mail_headers(raw)
    assert mail.subject == SUBJECT
    assert mail.content_type == "multipart/mixed"
    assert mail.attachments == ()
    assert mail.body_text == ""
    assert mail.defects == ()
    # Only the header block is looked at: garbage after the blank line is irrelevant.
    assert parse_mail_headers(b"Subject: x\r\n\r\n" + bytes(range(256))).subject == "x"


def test_parse_mail_file_and_file_headers(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(_mail("raw_cp932"))
    full = parse_mail_file(path)
    assert full == parse_mail_bytes(path.read_bytes())
    assert full.attachments[0].filename == FILENAME
    head = parse_mail_file_headers(path)
    assert (head.subject, head.attachments, head.body_text) == (SUBJECT, (), "")


def test_date_handling() -> None:
    assert parse_mail_bytes(b"Subject: x\r\n\r\n").date is None
    bad = parse_mail_bytes(b"Date: 2024/04/01 10:00\r\n\r\n")
    assert bad.date is None
    assert any("Date ヘッダーを解釈できませんでした" in d for d in bad.defects)
    assert any("2024/04/01 10:00" in d for d in bad.defects)
    unknown_tz = parse_mail_bytes(b"Date: Mon, 1 Apr 2024 09:00:00 -0000\r\n\r\n")
    assert unknown_tz.date == datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
    assert any("UTC とみなしました" in d for d in unknown_tz.defects)


def test_from_variants() -> None:
    word = encoded_words("山田".encode(), "UTF-8", 60)[0]
    quoted = parse_mail_bytes(f'From: "{word}" <Taro@Example.JP>\r\n\r\n'.encode())
    assert (quoted.from_address, quoted.from_display) == (
        "Taro@example.jp",
        "山田 <Taro@example.jp>",
    )
    assert parse_mail_bytes(b"From: not an address\r\n\r\n").from_address is None
    assert parse_mail_bytes(b"Subject: x\r\n\r\n").from_display == ""


def _garbage() -> list[bytes]:
    rng = random.Random(20240401)
    deep = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(3000)
    )
    return [
        b"",
        b"\r\n\r\n",
        b"\x00" * 64,
        bytes(rng.randrange(256) for _ in range(4096)),
        b"no colon at all\r\n\r\nbody",
        b"Subject: =?utf-8?B?####?=\r\nFrom: <<<@@>\r\nDate: yesterday\r\n\r\nx",
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain",
        b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B$\x1b(Xa\x90",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!",
        b"Subject: \xff\xfe\x80\r\nContent-Type: text/plain; charset=bogus\r\n\r\n\xff",
        deep,
    ]


@pytest.mark.parametrize("raw", _garbage(), ids=lambda raw: f"{len(raw)}b")
def test_garbage_never_raises(raw: bytes) -> None:
    for mail in (parse_mail_bytes(raw), parse_mail_headers(raw)):
        assert isinstance(mail, ParsedMail)
        assert isinstance(mail.subject, str)
        mail.body_text.encode("utf-8")


def test_garbage_is_reported() -> None:
    [empty] = parse_mail_bytes(b"").defects
    assert "ヘッダーが見つかりませんでした" in empty
    broken = parse_mail_bytes(b"Subject: \xff\xfe\x80\r\n\r\n")
    assert broken.subject == "\ufffd\ufffd\ufffd"
    assert any(d.startswith("件名（Subject ヘッダー）に解読できない") for d in broken.defects)
    body = parse_mail_bytes(b"Content-Type: text/plain; charset=shift_jis\r\n\r\n\x82\xa0\xff")
    assert body.body_text == "あ\ufffd"
    assert any(
        d.startswith("本文（charset=shift_jis）に解読できない") and "U+FFFD" in d
        for d in body.defects
    )
    deep = parse_mail_bytes(_garbage()[-1])
    assert deep.content_type == "multipart/mixed"
    assert any(d.startswith("mail-parser での解析に失敗したため") for d in deep.defects)
    assert any("本文を読み飛ばしました（RecursionError）" in d for d in deep.defects)


def test_defects_are_japanese_and_name_the_technical_detail() -> None:
    unclosed = parse_mail_bytes(
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain"
    )
    assert unclosed.defects == (
        "メールの MIME 構造に問題があります: multipart の終わりの区切り（boundary）がない"
        "（CloseBoundaryNotFoundDefect）",
    )
    bogus = parse_mail_bytes(b"Content-Type: text/plain; charset=bogus\r\n\r\n\xe3\x81\x82")
    assert bogus.defects == (
        "本文の文字コードは bogus と指定されていましたが、utf-8 として読み取りました",
    )
    name = parse_mail_bytes(
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%E7%94%B3%FF.pdf\r\n\r\nx"
    )
    assert any(
        d.startswith("添付ファイル名（Content-Disposition の filename）に解読できない")
        for d in name.defects
    )


def test_mail_parser_warnings_never_reach_stderr() -> None:
    # mail-parser warns "Email content 'calendar' not handled" for such a part; a daemon that
    # logs warnings to stderr, and a command that configures no logging, must show nothing.
    raw = b"Subject: x\r\nContent-Type: text/calendar; charset=utf-8\r\n\r\nBEGIN:VCALENDAR\r\n"
    for setup in ("", "import logging; logging.basicConfig(level=logging.DEBUG); "):
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                setup + "import sys; from intake.adapters.mailparse import parse_mail_bytes; "
                "parse_mail_bytes(sys.stdin.buffer.read())",
            ],
            input=raw,
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert result.stderr == b"", setup
