"""Rendering the mail templates and building the MIME messages (checked by parsing them back)."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import AddressHeader, DateHeader
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError

from intake.adapters.mailcompose import (
    AckContext,
    build_message,
    message_bytes,
    new_message_id,
    render,
    render_string,
)
from intake.adapters.mailparse import parse_mail_bytes
from intake.domain.model import TOKYO
from intake.domain.timefmt import format_jst_letter

FROM = "desk@example.jp"
FROM_NAME = "外国人支援コーディネーター養成研修事務局"
NAME = "髙橋 ①子"  # 髙 and ① exist only in the Windows (CP932) extensions of JIS
TEXT = f"{NAME} 様\n\n受講のお申し込みを受け付けました。\n受付番号：R7-1-0042\n"
HTML = f"<p>{NAME} 様</p>\n<p>受講のお申し込みを受け付けました。</p>\n"
PARENT_ID = "<CAK1234.abcd@mail.example.com>"


def ack_context(**changes: Any) -> dict[str, object]:
    values: dict[str, Any] = {
        "applicant_name": "山田 太郎",
        "name_romaji": "YAMADA Taro",
        "term_name": "第1期",
        "received_at": datetime(2025, 4, 14, 0, 12, tzinfo=UTC),  # 9:12 in Tokyo
        "reference": "R7-1-0042",
        "application_id": 42,
        "contact_address": FROM,
    }
    values.update(changes)
    return AckContext(**values).as_template_context()


def cutoff_context(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "term_name": "第1期",
        "opens_at": datetime(2025, 4, 1, 9, 0, tzinfo=TOKYO),
        "closes_at": datetime(2025, 4, 30, 17, 0, tzinfo=TOKYO),
        "ran_at": datetime(2025, 4, 30, 8, 5, tzinfo=UTC),
        "accepted": 63,
        "capacity": 60,
        "over_capacity": True,
        "eligibility": {"eligible": 50, "ineligible": 3, "needs_review": 10},
        "rejections": [
            {"code": "SUBJECT_FORMAT", "count": 4, "message": "件名の形式が違う"},
            {"code": "MISSING_APPLICATION_FORM", "count": 2, "label": "受講申込書がない"},
        ],
        "roster_path": "/srv/intake/exports/第1期_受講者名簿.xlsx",
        "version": 2,
    }
    values.update(changes)
    return values


def build(**changes: Any) -> EmailMessage:
    args: dict[str, Any] = {
        "from_address": FROM,
        "from_name": FROM_NAME,
        "to": "taro@example.com",
        "subject": f"【受付完了】{NAME} 様 受講申込について",
        "text_body": TEXT,
        "html_body": None,
        "charset": "utf-8",
        "in_reply_to": PARENT_ID,
        "references": PARENT_ID,
        "reply_to": None,
        "date": datetime(2025, 4, 21, 0, 30, tzinfo=UTC),
    }
    args.update(changes)
    return build_message(**args)


def parse_back(message: EmailMessage) -> tuple[bytes, EmailMessage]:
    raw = message_bytes(message)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def header_datetime(message: EmailMessage) -> datetime:
    header = message["Date"]
    assert isinstance(header, DateHeader)
    assert header.datetime is not None
    return header.datetime


def assert_crlf_only(raw: bytes) -> None:
    assert raw.endswith(b"\r\n")
    without_crlf = raw.replace(b"\r\n", b"")
    assert b"\n" not in without_crlf
    assert b"\r" not in without_crlf


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def test_ack_text_template() -> None:
    text = render("ack.txt.j2", ack_context(), custom_dir=None)
    assert text.startswith("山田 太郎 様\n")
    assert "外国人支援コーディネーター養成研修（第1期）" in text
    assert "令和7年4月14日（2025年4月14日）" in text
    assert "受付番号：R7-1-0042" in text
    assert "募集案内ページ" in text
    assert "自動" in text
    assert "メール：desk@example.jp" in text
    assert text.rstrip().endswith("─")
    assert "外国人支援コーディネーター養成研修事務局" in text
    assert "{" not in text and "}" not in text


def test_ack_context_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        ack_context(received_at=datetime(2025, 4, 14, 9, 12))


def test_ack_text_template_without_contact_address() -> None:
    text = render("ack.txt.j2", ack_context(contact_address=None), custom_dir=None)
    assert "メール：" not in text
    assert "外国人支援コーディネーター養成研修事務局\n─" in text


def test_ack_html_template_is_escaped() -> None:
    html = render("ack.html.j2", ack_context(applicant_name="<b>山田</b> & 太郎"), custom_dir=None)
    assert "&lt;b&gt;山田&lt;/b&gt; &amp; 太郎 様" in html
    assert "<b>" not in html
    assert "令和7年4月14日（2025年4月14日）" in html
    assert "R7-1-0042" in html
    assert 'href="mailto:desk@example.jp"' in html


def test_text_templates_are_not_escaped() -> None:
    text = render("ack.txt.j2", ack_context(applicant_name="O'Brien <Sean>"), custom_dir=None)
    assert text.startswith("O'Brien <Sean> 様")


def test_cutoff_summary_template() -> None:
    text = render("cutoff_summary.txt.j2", cutoff_context(), custom_dir=None)
    assert "外国人支援コーディネーター養成研修（第1期）" in text
    assert "2025年4月1日 9時00分 ～ 2025年4月30日 17時00分" in text
    assert "2025年4月30日 17時05分" in text  # ran_at in UTC, written in JST
    assert "63件（定員 60名）" in text
    assert "定員を超えています" in text
    assert "受講資格あり：50件" in text
    assert "受講資格なし：3件" in text
    assert "要確認：10件" in text
    assert "件名の形式が違う（SUBJECT_FORMAT）：4件" in text
    assert "受講申込書がない（MISSING_APPLICATION_FORM）：2件" in text
    assert "/srv/intake/exports/第1期_受講者名簿.xlsx" in text
    assert "受講申込者一覧（Excel、第2版）" in text


def test_cutoff_summary_within_capacity_and_no_rejections() -> None:
    context = cutoff_context(
        accepted=12, over_capacity=False, rejections=[], eligibility={"eligible": 12}
    )
    text = render("cutoff_summary.txt.j2", context, custom_dir=None)
    assert "定員を超えています" not in text
    assert "12件（定員 60名）" in text
    assert "受講資格なし：0件" in text
    assert "ありません" in text


def test_missing_value_is_an_error() -> None:
    context = cutoff_context()
    del context["roster_path"]
    with pytest.raises(UndefinedError):
        render("cutoff_summary.txt.j2", context, custom_dir=None)


def test_custom_templates_override_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "ack.txt.j2").write_text(
        "{{ applicant_name }} 様 {{ received_at|wareki }} {{ received_at|jst }}\n",
        encoding="utf-8",
    )
    text = render("ack.txt.j2", ack_context(), custom_dir=tmp_path)
    assert text == "山田 太郎 様 令和7年4月14日 2025年4月14日 9時12分\n"
    # Templates the folder does not have come from the shipped ones.
    assert "受付番号" in render("ack.html.j2", ack_context(), custom_dir=tmp_path)


def test_render_string_for_a_configured_subject() -> None:
    subject = render_string("【受付完了】{{ applicant_name }} 様", ack_context())
    assert subject == "【受付完了】山田 太郎 様"


def test_jst_filter() -> None:
    assert format_jst_letter(datetime(2025, 4, 14, 0, 5, tzinfo=UTC)) == "2025年4月14日 9時05分"
    with pytest.raises(ValueError, match="aware"):
        format_jst_letter(datetime(2025, 4, 14, 9, 5))


# ---------------------------------------------------------------------------------------------
# Messages: UTF-8
# ---------------------------------------------------------------------------------------------


def test_utf8_round_trip() -> None:
    raw, parsed = parse_back(build(reply_to="replies@example.jp"))
    assert raw.isascii()
    assert_crlf_only(raw)
    assert parsed["Subject"] == f"【受付完了】{NAME} 様 受講申込について"
    # (The display name is checked through parse_mail_bytes below: the stdlib's address parser
    # puts a space between adjacent encoded-words, which RFC 2047 says to drop.)
    sender = parsed["From"]
    assert isinstance(sender, AddressHeader)
    assert sender.addresses[0].addr_spec == FROM
    assert parsed["To"] == "taro@example.com"
    assert parsed["Reply-To"] == "replies@example.jp"
    assert parsed["In-Reply-To"] == PARENT_ID
    assert parsed["References"] == PARENT_ID
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["MIME-Version"] == "1.0"
    assert header_datetime(parsed) == datetime(2025, 4, 21, 9, 30, tzinfo=TOKYO)
    assert "+0900" in str(parsed["Date"])
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["Content-Transfer-Encoding"] in {"base64", "quoted-printable"}
    assert parsed.get_content() == TEXT.replace("\n", "\r\n") or parsed.get_content() == TEXT

    mail = parse_mail_bytes(raw)
    assert mail.subject == f"【受付完了】{NAME} 様 受講申込について"
    assert mail.from_address == FROM
    assert mail.from_display == f"{FROM_NAME} <{FROM}>"
    assert mail.body_text.replace("\r\n", "\n").strip() == TEXT.strip()
    assert mail.headers["auto-submitted"] == "auto-replied"
    assert mail.message_id is not None and mail.message_id.endswith("@example.jp>")
    assert not mail.defects


def test_utf8_with_html_is_multipart_alternative() -> None:
    raw, parsed = parse_back(build(html_body=HTML))
    assert_crlf_only(raw)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["MIME-Version"] == "1.0"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert all("MIME-Version" not in p for p in parts)
    assert NAME in parts[0].get_content()
    assert f"<p>{NAME} 様</p>" in parts[1].get_content()
    mail = parse_mail_bytes(raw)
    assert NAME in mail.body_text
    assert not mail.defects


# ---------------------------------------------------------------------------------------------
# Messages: ISO-2022-JP
# ---------------------------------------------------------------------------------------------


def test_iso2022jp_round_trip() -> None:
    raw, parsed = parse_back(build(charset="iso-2022-jp"))
    assert raw.isascii()
    assert_crlf_only(raw)
    assert b"\x1b$B" in raw  # JIS X 0208 in the body, 7bit
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "iso-2022-jp"
    assert parsed["Content-Transfer-Encoding"] == "7bit"
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert re.search(r"^Subject: =\?ISO-2022-JP\?B\?", head, re.MULTILINE)
    assert re.search(r"^From: =\?ISO-2022-JP\?B\?", head, re.MULTILINE)
    assert "<desk@example.jp>" in head

    mail = parse_mail_bytes(raw)
    assert mail.subject == f"【受付完了】{NAME} 様 受講申込について"
    assert mail.from_address == FROM
    assert mail.from_display == f"{FROM_NAME} <{FROM}>"
    assert mail.body_text.replace("\r\n", "\n").strip() == TEXT.strip()
    assert mail.headers["in-reply-to"] == PARENT_ID
    assert mail.headers["x-auto-response-suppress"] == "All"
    assert not mail.defects


def test_iso2022jp_with_html() -> None:
    raw, parsed = parse_back(build(charset="iso-2022-jp", html_body=HTML))
    assert_crlf_only(raw)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert [p.get_content_charset() for p in parts] == ["iso-2022-jp", "iso-2022-jp"]
    mail = parse_mail_bytes(raw)
    assert NAME in mail.body_text
    assert not mail.defects


def test_iso2022jp_header_lines_fit_and_words_are_short() -> None:
    subject = "【受付完了】" + "外国人支援コーディネーター養成研修" * 4 + f" {NAME} 様"
    raw, _ = parse_back(build(charset="iso-2022-jp", subject=subject))
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    words = re.findall(r"=\?ISO-2022-JP\?B\?[^?]*\?=", head)
    assert len(words) > 3
    assert all(len(word) <= 75 for word in words)
    assert parse_mail_bytes(raw).subject == subject


def test_iso2022jp_falls_back_to_utf8_for_characters_it_cannot_carry() -> None:
    raw, parsed = parse_back(build(charset="iso-2022-jp", text_body=TEXT + "𠮷野家 😀\n"))
    assert parsed.get_content_charset() == "utf-8"
    mail = parse_mail_bytes(raw)
    assert "𠮷野家 😀" in mail.body_text
    assert mail.subject == f"【受付完了】{NAME} 様 受講申込について"


# ---------------------------------------------------------------------------------------------
# Header safety
# ---------------------------------------------------------------------------------------------

INJECTION = "山田\r\nBcc: evil@example.com"


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
def test_name_cannot_inject_headers(charset: str) -> None:
    raw, parsed = parse_back(
        build(
            charset=charset,
            subject=f"【受付完了】{INJECTION} 様",
            from_name=INJECTION,
            text_body=f"{INJECTION} 様\n",
        )
    )
    assert "Bcc" not in parsed
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^Bcc:", head, re.MULTILINE | re.IGNORECASE)
    mail = parse_mail_bytes(raw)
    assert "bcc" not in mail.headers
    assert mail.subject == "【受付完了】山田 Bcc: evil@example.com 様"
    assert mail.from_address == FROM
    assert_crlf_only(raw)


@pytest.mark.parametrize("field", ["to", "reply_to", "from_address"])
@pytest.mark.parametrize(
    "value",
    [
        "taro@example.com\r\nBcc: evil@example.com",
        "taro@example.com\nBcc: evil@example.com",
        "taro@example.com, evil@example.com",
        "Taro <taro@example.com>",
        "taro",
        "太郎@example.com",
        "",
    ],
)
def test_addresses_must_be_one_plain_mailbox(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        build(**{field: value})


def test_message_id_from_the_applicants_mail_cannot_inject_headers() -> None:
    _, parsed = parse_back(
        build(in_reply_to=f"{PARENT_ID}\r\nBcc: evil@example.com", references="junk \r\n\x00")
    )
    assert "Bcc" not in parsed
    assert parsed["In-Reply-To"] == PARENT_ID
    assert parsed["References"] == PARENT_ID  # falls back to In-Reply-To


def test_unusable_parent_message_id_leaves_threading_headers_out() -> None:
    _, parsed = parse_back(build(in_reply_to="no id here", references=None))
    assert "In-Reply-To" not in parsed
    assert "References" not in parsed


def test_long_message_ids_are_kept_verbatim() -> None:
    long_id = "<" + "a" * 120 + "@mail.example.com>"
    other = "<first.thread.message@example.com>"
    raw, parsed = parse_back(build(in_reply_to=long_id, references=f"{other} {long_id}"))
    assert parsed["In-Reply-To"] == long_id
    assert parsed["References"].split() == [other, long_id]
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert f"\r\nIn-Reply-To: {long_id}\r\n" in head
    assert f"\r\nReferences: {other}\r\n {long_id}\r\n" in head


def test_bare_parent_message_id_is_bracketed() -> None:
    _, parsed = parse_back(build(in_reply_to="abc.123@mail.example.com", references=None))
    assert parsed["In-Reply-To"] == "<abc.123@mail.example.com>"


def test_bad_own_message_id_is_an_error() -> None:
    with pytest.raises(ValueError, match="message_id"):
        build(message_id="<x@example.jp>\r\nBcc: evil@example.com")


def test_naive_date_is_an_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        build(date=datetime(2025, 4, 21, 9, 30))


# ---------------------------------------------------------------------------------------------
# Message-ID, Auto-Submitted, line ends
# ---------------------------------------------------------------------------------------------


def test_new_message_id_uses_the_senders_domain() -> None:
    first = new_message_id("Desk@Example.JP")
    assert re.fullmatch(r"<[^<>@\s]+@example\.jp>", first)
    assert new_message_id("desk@example.jp") != first
    with pytest.raises(ValueError):
        new_message_id("no-domain")


def test_default_message_id_and_date() -> None:
    _, parsed = parse_back(build(date=None))
    assert re.fullmatch(r"<[^<>@\s]+@example\.jp>", str(parsed["Message-ID"]))
    assert header_datetime(parsed).utcoffset() == timedelta(hours=9)


def test_given_message_id_is_used() -> None:
    _, parsed = parse_back(build(message_id="<ack-42@example.jp>"))
    assert parsed["Message-ID"] == "<ack-42@example.jp>"


def test_auto_submitted_can_be_turned_off() -> None:
    _, parsed = parse_back(build(auto_submitted=False))
    assert "Auto-Submitted" not in parsed
    assert "X-Auto-Response-Suppress" not in parsed


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_bytes_use_crlf_only(charset: str, newline: str) -> None:
    body = TEXT.replace("\n", newline)
    raw, _ = parse_back(build(charset=charset, text_body=body, html_body=HTML))
    assert_crlf_only(raw)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(
        alphabet=st.sampled_from(list('山田髙①太郎 abcXYZ:<>@"\\\r\n\t\x00\x0b\x85\u2028=?_')),
        min_size=1,
        max_size=40,
    ),
    charset=st.sampled_from(["utf-8", "iso-2022-jp"]),
)
def test_any_name_gives_the_same_headers(name: str, charset: str) -> None:
    raw, parsed = parse_back(
        build(charset=charset, subject=f"【受付完了】{name} 様", from_name=name)
    )
    assert raw.isascii()
    assert_crlf_only(raw)
    expected = {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "auto-submitted",
        "x-auto-response-suppress",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
    assert {key.lower() for key in parsed} == expected
    mail = parse_mail_bytes(raw)
    assert mail.from_address == FROM
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.subject.startswith("【受付完了】") and mail.subject.endswith("様")
