"""Undeclared 8-bit text and odd charset labels (issue 12, points 6 and 7): mail from European
and Chinese clients read as written, never silently as mojibake."""

from __future__ import annotations

import base64

import pytest

from intake.adapters.charsets import decode_text, normalize_charset
from intake.adapters.mailparse import ParsedMail, parse_mail_bytes


def latin_mail(
    *, subject: bytes = b"x", filename: bytes = b"a.pdf", body_charset: bytes = b"us-ascii"
) -> bytes:
    """A European client: raw 8-bit Subject and file name, a text body with ``body_charset``."""
    return (
        b"From: garcia@example.es\r\nSubject: " + subject + b"\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n'
        b"--BB\r\nContent-Type: text/plain; charset=" + body_charset + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nHola\r\n"
        b"--BB\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="' + filename + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF") + b"\r\n--BB--\r\n"
    )


def notes_with(mail: ParsedMail, *fragments: str) -> list[str]:
    return [d for d in mail.defects if all(f in d for f in fragments)]


# --------------------------------------------------------------------------------------
# 12.6 Undeclared 8-bit text in headers and file names
# --------------------------------------------------------------------------------------


def test_body_charset_is_the_hint_for_raw_8bit_headers() -> None:
    mail = parse_mail_bytes(
        latin_mail(subject="Hélène".encode("latin-1"), body_charset=b"iso-8859-1")
    )
    assert mail.subject == "Hélène"
    assert mail.defects == ()


def test_a_guess_in_cp932_user_defined_range_fails_and_cp1252_is_used() -> None:
    name = "España_GARCIA.pdf".encode("cp1252")
    assert "\ue000" <= name.decode("cp932")[4] <= "\uf8ff"  # what CP932 makes of "ña"
    mail = parse_mail_bytes(latin_mail(filename=name))
    assert [a.filename for a in mail.attachments] == ["España_GARCIA.pdf"]
    # No declaration confirms the guess: the bytes as sent stay visible in the record.
    assert notes_with(mail, "推定", "Espa\\xf1a_GARCIA.pdf"), mail.defects


def test_kanji_mojibake_of_latin_text_is_not_taken_for_japanese() -> None:
    raw = "Hélène".encode("latin-1")
    assert raw.decode("cp932").isprintable()  # CP932 would "succeed"
    mail = parse_mail_bytes(latin_mail(subject=raw))
    assert mail.subject == "Hélène"
    assert notes_with(mail, "件名", "H\\xe9l\\xe8ne"), mail.defects


def test_cp1252_punctuation_in_a_subject() -> None:
    mail = parse_mail_bytes(latin_mail(subject=b"\x93Solicitud\x94 de Mu\xf1oz"))
    assert mail.subject == "“Solicitud” de Muñoz"
    assert notes_with(mail, "件名", "\\x93Solicitud\\x94"), mail.defects


def test_japanese_raw_headers_still_read_without_a_note() -> None:
    name = "在職証明書_山田太郎.pdf".encode("cp932")
    mail = parse_mail_bytes(
        latin_mail(subject="受講申込_YAMADA Taro".encode("cp932"), filename=name)
    )
    assert mail.subject == "受講申込_YAMADA Taro"
    assert [a.filename for a in mail.attachments] == ["在職証明書_山田太郎.pdf"]
    assert mail.defects == ()


def test_binary_garbage_in_a_header_is_still_replaced_and_reported() -> None:
    mail = parse_mail_bytes(b"Subject: \xff\xfe\x80\r\n\r\n")
    assert mail.subject == "\ufffd\ufffd\ufffd"
    assert notes_with(mail, "件名", "U+FFFD")


# --------------------------------------------------------------------------------------
# 12.7 Charset labels
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("cp936", "gb18030"),
        ("x-gbk", "gb18030"),
        ("iso-8859-8-i", "iso8859-8"),
        ("ISO-8859-6-I", "iso8859-6"),
    ],
)
def test_labels_are_widened_or_known(label: str, expected: str) -> None:
    assert normalize_charset(label) == expected


def test_gb2312_label_reads_gb18030_text() -> None:
    text = "报名表_王芳𠀀"  # 𠀀 exists only in GB18030 (four bytes)
    word = base64.b64encode(text.encode("gb18030")).decode()
    mail = parse_mail_bytes(f"Subject: =?gb2312?B?{word}?=\r\n\r\n".encode())
    assert mail.subject == text
    assert mail.defects == ()


def test_iso_8859_8_i_body() -> None:
    hebrew = "שלום, מצורף טופס"
    raw = (
        b"Subject: x\r\nContent-Type: text/plain; charset=iso-8859-8-i\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + hebrew.encode("iso8859-8")
    )
    mail = parse_mail_bytes(raw)
    assert mail.body_text == hebrew
    assert mail.defects == ()


def test_unknown_label_in_an_encoded_word_is_guessed_and_recorded() -> None:
    mail = parse_mail_bytes(b"Subject: =?x-unknown-cs?Q?Mu=F1oz?=\r\n\r\n")
    assert mail.subject == "Muñoz"
    assert notes_with(mail, "x-unknown-cs", "Mu\\xf1oz"), mail.defects


def test_unknown_label_in_a_file_name_is_guessed_and_recorded() -> None:
    mail = parse_mail_bytes(
        latin_mail(filename=b"x").replace(b'filename="x"', b"filename*=x-unknown-cs''Mu%F1oz.pdf")
    )
    assert [a.filename for a in mail.attachments] == ["Muñoz.pdf"]
    assert notes_with(mail, "x-unknown-cs", "添付ファイル名"), mail.defects


def test_unknown_label_never_decodes_silently() -> None:
    result = decode_text("Muñoz".encode("cp1252"), "x-unknown-cs")
    assert (result.text, result.codec) == ("Muñoz", "latin-1")
    assert result.guessed
    assert not decode_text("Muñoz".encode("cp1252"), "cp1252").guessed
