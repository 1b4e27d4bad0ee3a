"""Builders for raw sample mails shaped like those real Japanese mail clients send.

Used by the unit tests and by the demo command.  Everything is written byte by byte
(no ``email.generator``) so the quirks are exact and the output is deterministic:
boundaries derive from the Message-ID, the Date is a parameter, lines end in CRLF.

Styles:

``utf8``
    Gmail-like: UTF-8 encoded-words, base64 UTF-8 body, ``filename="=?UTF-8?B?...?="``.
``outlook_jis``
    Outlook: ISO-2022-JP (with Windows characters) subject, From and 7-bit body;
    file names as ``filename="=?ISO-2022-JP?B?...?="`` split blindly into several
    adjacent encoded-words (splits may fall inside a character or shift state).
``thunderbird_rfc2231``
    Thunderbird: 8-bit UTF-8 body, RFC 2231 ``filename*0*=UTF-8''...`` continuations.
``apple_inline``
    Apple Mail: ``Content-Disposition: inline`` attachments with ``filename*=``,
    quoted-printable body, trailing text part after the attachment.
``raw_cp932``
    Old webmail/phones: raw 8-bit CP932 in Subject, From and ``filename="..."``
    (0x5C trail bytes included) and an 8-bit Shift_JIS body.
``sjis_body``
    ``=?Shift_JIS?B?...?=`` headers and an 8-bit Shift_JIS body.
``no_disposition``
    Attachments without Content-Disposition, named only by ``Content-Type; name=``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import quopri
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Literal
from urllib.parse import quote

from intake.adapters.charsets import normalize_charset
from intake.adapters.iso2022jp_ms import ISO_2022_JP_MS

__all__ = [
    "DEFAULT_BODY",
    "XLSX_TYPE",
    "SampleAttachment",
    "Style",
    "build_auto_reply",
    "build_bounce",
    "build_forward",
    "build_mail",
    "build_with_part",
    "encoded_words",
    "rfc2231_param",
    "xlsx_placeholder",
]

Style = Literal[
    "utf8",
    "outlook_jis",
    "thunderbird_rfc2231",
    "apple_inline",
    "raw_cp932",
    "sjis_body",
    "no_disposition",
]

DEFAULT_BODY = (
    "お世話になっております。\n受講申込書を添付いたします。\nよろしくお願いいたします。\n"
)
CRLF = b"\r\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Bytes per encoded-word for ISO-2022-JP file names; odd, so splits land mid-pair.
JIS_WORD_BYTES = 13

_MAILERS: dict[str, str] = {
    "utf8": "X-Mailer: Sample Webmail 1.0",
    "outlook_jis": "X-Mailer: Microsoft Outlook 16.0",
    "thunderbird_rfc2231": "User-Agent: Mozilla Thunderbird",
    "apple_inline": "X-Mailer: Apple Mail (2.3774.500.171.1.1)",
    "raw_cp932": "X-Mailer: Sample Keitai Mail",
    "sjis_body": "X-Mailer: Sample Shift_JIS Mailer",
    "no_disposition": "X-Mailer: Sample Scanner",
}


@dataclass(frozen=True)
class SampleAttachment:
    filename: str | None  # None: send without any name
    payload: bytes
    content_type: str = "application/octet-stream"


# --------------------------------------------------------------------------------------
# Low-level encoders (public so tests can force specific splits)
# --------------------------------------------------------------------------------------


def encoded_words(data: bytes, charset: str, chunk_bytes: int) -> list[str]:
    """Split ``data`` blindly every ``chunk_bytes`` bytes into B encoded-words.

    Splits may fall inside a multi-byte character or an ISO-2022-JP shift state;
    a conforming decoder must join adjacent words as bytes.
    """
    if chunk_bytes <= 0:
        raise ValueError("chunk_bytes must be positive")
    return [
        f"=?{charset}?B?{base64.b64encode(data[i : i + chunk_bytes]).decode('ascii')}?="
        for i in range(0, len(data), chunk_bytes)
    ] or [f"=?{charset}?B??="]


def rfc2231_param(name: str, value: str, charset: str = "UTF-8", chunk: int = 0) -> str:
    """Return ``name*=charset''%XX...`` or, with ``chunk``, ``name*0*=...; name*1*=...``.

    Japanese charsets are encoded the Windows way (CP932 / CP50221), like real senders.
    """
    data = _encode(value, charset)
    encoded = quote(data, safe="")
    if chunk <= 0:
        return f"{name}*={charset}''{encoded}"
    pieces: list[str] = []
    pos = 0
    while pos < len(encoded):
        end = min(pos + chunk, len(encoded))
        # Never cut a %XX escape in half.
        while end < len(encoded) and "%" in encoded[end - 2 : end]:
            end += 1
        pieces.append(encoded[pos:end])
        pos = end
    parts = [
        f"{name}*{i}*={charset}''{piece}" if i == 0 else f"{name}*{i}*={piece}"
        for i, piece in enumerate(pieces)
    ]
    return ";\r\n ".join(parts)


def _encode(text: str, charset: str) -> bytes:
    label = normalize_charset(charset)
    if label == "iso-2022-jp":
        return text.encode(ISO_2022_JP_MS)
    return text.encode(label or "utf-8")


def _utf8_words(text: str, max_chars: int = 15) -> str:
    # Character-aligned words, as well-behaved clients produce.
    chunks = [text[i : i + max_chars] for i in range(0, len(text), max_chars)] or [""]
    return "\r\n ".join(
        f"=?UTF-8?B?{base64.b64encode(c.encode('utf-8')).decode('ascii')}?=" for c in chunks
    )


def _jis_words(text: str, max_chars: int = 12) -> str:
    # Outlook subjects: each word is a complete ISO-2022-JP string.
    chunks = [text[i : i + max_chars] for i in range(0, len(text), max_chars)] or [""]
    return "\r\n ".join(
        f"=?ISO-2022-JP?B?{base64.b64encode(c.encode(ISO_2022_JP_MS)).decode('ascii')}?="
        for c in chunks
    )


def _sjis_words(text: str, max_chars: int = 15) -> str:
    chunks = [text[i : i + max_chars] for i in range(0, len(text), max_chars)] or [""]
    return "\r\n ".join(
        f"=?Shift_JIS?B?{base64.b64encode(c.encode('cp932')).decode('ascii')}?=" for c in chunks
    )


def _b64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[i : i + 76] + CRLF for i in range(0, len(encoded), 76))


def _crlf(text: str) -> str:
    return re.sub(r"\r\n|\r|\n", "\r\n", text)


def _boundary(message_id: str, tag: str) -> str:
    digest = hashlib.sha256(f"{message_id}/{tag}".encode()).hexdigest()[:24]
    return f"----=_Part_{tag}_{digest}"


def _angle(message_id: str) -> str:
    mid = message_id.strip()
    return mid if mid.startswith("<") else f"<{mid}>"


def _date(date: datetime) -> str:
    if date.tzinfo is None:
        raise ValueError("date must be timezone-aware")
    return format_datetime(date)


# --------------------------------------------------------------------------------------
# Style-specific pieces
# --------------------------------------------------------------------------------------


def _header_text(style: Style, text: str) -> bytes:
    """Encode an unstructured header value (Subject) per style."""
    if text.isascii():
        return text.encode("ascii")
    if style == "outlook_jis":
        return _jis_words(text).encode("ascii")
    if style == "raw_cp932":
        return text.encode("cp932")
    if style == "sjis_body":
        return _sjis_words(text).encode("ascii")
    return _utf8_words(text).encode("ascii")


def _mailbox(style: Style, name: str | None, addr: str) -> bytes:
    if not name:
        return addr.encode("ascii")
    if name.isascii():
        return f'"{name}" <{addr}>'.encode("ascii")
    if style == "raw_cp932":
        return b'"' + name.encode("cp932") + b'" <' + addr.encode("ascii") + b">"
    return _header_text(style, name) + f" <{addr}>".encode("ascii")


def _body_part(style: Style, body: str) -> tuple[list[bytes], bytes]:
    """Return (headers, encoded body) of the text/plain part."""
    text = _crlf(body)
    if style == "outlook_jis":
        return (
            [
                b'Content-Type: text/plain; charset="iso-2022-jp"',
                b"Content-Transfer-Encoding: 7bit",
            ],
            text.encode(ISO_2022_JP_MS) + CRLF,
        )
    if style in {"raw_cp932", "sjis_body"}:
        return (
            [b"Content-Type: text/plain; charset=Shift_JIS", b"Content-Transfer-Encoding: 8bit"],
            text.encode("cp932") + CRLF,
        )
    if style == "thunderbird_rfc2231":
        return (
            [
                b"Content-Type: text/plain; charset=UTF-8; format=flowed",
                b"Content-Transfer-Encoding: 8bit",
            ],
            text.encode("utf-8") + CRLF,
        )
    if style == "apple_inline":
        qp = quopri.encodestring(text.encode("utf-8")).replace(b"\r\n", b"\n")
        return (
            [
                b"Content-Transfer-Encoding: quoted-printable",
                b"Content-Type: text/plain;\r\n\tcharset=utf-8",
            ],
            _crlf(qp.decode("ascii")).encode("ascii") + CRLF,
        )
    return (
        [b'Content-Type: text/plain; charset="UTF-8"', b"Content-Transfer-Encoding: base64"],
        _b64_lines(text.encode("utf-8")),
    )


def _attachment_part(style: Style, att: SampleAttachment) -> list[bytes]:
    name = att.filename
    ctype = att.content_type.encode("ascii")
    headers: list[bytes]
    if name is None:
        disp = b"inline" if style == "apple_inline" else b"attachment"
        headers = [b"Content-Type: " + ctype]
        if style != "no_disposition":
            headers.append(b"Content-Disposition: " + disp)
    elif style == "outlook_jis":
        words = "\r\n ".join(
            encoded_words(name.encode(ISO_2022_JP_MS), "ISO-2022-JP", JIS_WORD_BYTES)
        ).encode("ascii")
        headers = [
            b"Content-Type: " + ctype + b';\r\n\tname="' + words + b'"',
            b'Content-Disposition: attachment;\r\n\tfilename="' + words + b'"',
        ]
    elif style == "raw_cp932":
        raw = name.encode("cp932")
        headers = [
            b"Content-Type: " + ctype + b'; name="' + raw + b'"',
            b'Content-Disposition: attachment; filename="' + raw + b'"',
        ]
    elif style == "sjis_body":
        words = _sjis_words(name).encode("ascii")
        headers = [
            b"Content-Type: " + ctype + b';\r\n name="' + words + b'"',
            b'Content-Disposition: attachment;\r\n filename="' + words + b'"',
        ]
    elif style == "thunderbird_rfc2231":
        headers = [
            b"Content-Type: " + ctype + b';\r\n name="' + _utf8_words(name).encode() + b'"',
            b"Content-Disposition: attachment;\r\n "
            + rfc2231_param("filename", name, "UTF-8", chunk=40).encode("ascii"),
        ]
    elif style == "apple_inline":
        headers = [
            b"Content-Disposition: inline;\r\n\t"
            + rfc2231_param("filename", name, "utf-8", chunk=60).encode("ascii"),
            b"Content-Type: "
            + ctype
            + b';\r\n\tx-unix-mode=0644;\r\n\tname="'
            + _utf8_words(name).encode("ascii")
            + b'"',
        ]
    elif style == "no_disposition":
        headers = [b"Content-Type: " + ctype + b';\r\n name="' + _utf8_words(name).encode() + b'"']
    else:
        words = _utf8_words(name).encode("ascii")
        headers = [
            b"Content-Type: " + ctype + b';\r\n name="' + words + b'"',
            b'Content-Disposition: attachment;\r\n filename="' + words + b'"',
        ]
    headers.append(b"Content-Transfer-Encoding: base64")
    return [*headers, b"", _b64_lines(att.payload)]


# --------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------


def _top_headers(
    *,
    style: Style,
    subject: str,
    from_addr: str,
    from_name: str | None,
    to_addr: str,
    message_id: str,
    date: datetime,
    extra_headers: Mapping[str, str] | None,
) -> list[bytes]:
    lines = [
        b"Return-Path: <" + from_addr.encode("ascii") + b">",
        b"From: " + _mailbox(style, from_name, from_addr),
        b"To: " + to_addr.encode("ascii"),
        b"Subject: " + _header_text(style, subject),
        b"Date: " + _date(date).encode("ascii"),
        b"Message-ID: " + _angle(message_id).encode("ascii"),
        b"MIME-Version: 1.0",
        _MAILERS[style].encode("ascii"),
    ]
    for key, value in (extra_headers or {}).items():
        encoded = value.encode("ascii") if value.isascii() else _utf8_words(value).encode()
        lines.append(key.encode("ascii") + b": " + encoded)
    return lines


def _join(lines: Sequence[bytes]) -> bytes:
    return b"".join(line if line.endswith(CRLF) else line + CRLF for line in lines)


def build_mail(
    *,
    subject: str,
    message_id: str,
    date: datetime,
    from_addr: str = "taro@example.jp",
    from_name: str | None = None,
    to_addr: str = "scfn@example.jp",
    body: str = DEFAULT_BODY,
    attachments: Sequence[SampleAttachment] = (),
    style: Style = "utf8",
    extra_headers: Mapping[str, str] | None = None,
) -> bytes:
    """Build a complete raw mail (CRLF, deterministic) in the given client style."""
    head = _top_headers(
        style=style,
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        to_addr=to_addr,
        message_id=message_id,
        date=date,
        extra_headers=extra_headers,
    )
    body_headers, body_bytes = _body_part(style, body)
    if not attachments:
        return _join([*head, *body_headers, b""]) + body_bytes

    boundary = _boundary(message_id, "mixed").encode("ascii")
    lines: list[bytes] = [
        *head,
        b'Content-Type: multipart/mixed;\r\n\tboundary="' + boundary + b'"',
        b"",
        b"This is a multi-part message in MIME format.",
        b"",
        b"--" + boundary,
        *body_headers,
        b"",
    ]
    out = _join(lines) + body_bytes
    for att in attachments:
        out += _join([b"--" + boundary, *_attachment_part(style, att)])
    if style == "apple_inline":
        # Apple Mail adds the text after an inline attachment as another part.
        out += _join(
            [
                b"--" + boundary,
                b"Content-Transfer-Encoding: 7bit",
                b"Content-Type: text/plain;\r\n\tcharset=us-ascii",
                b"",
                b"",
            ]
        )
    return out + _join([b"--" + boundary + b"--", b""])


def build_with_part(part_headers: bytes, payload: bytes = b"x") -> bytes:
    """A multipart mail whose second part has exactly the given header lines (then base64),
    for the header quirks of one part; the first part is a plain ``body``."""
    return (
        b"From: taro@example.jp\r\n"
        b"Subject: test\r\n"
        b"Message-ID: <custom@example.jp>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n'
        b"--BB\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nbody\r\n"
        b"--BB\r\n"
        + part_headers
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(payload)
        + b"\r\n--BB--\r\n"
    )


def build_forward(
    inner: bytes,
    *,
    subject: str,
    message_id: str,
    date: datetime,
    from_addr: str = "taro@example.jp",
    from_name: str | None = None,
    to_addr: str = "scfn@example.jp",
    body: str = "以前お送りした申込メールを転送します。\n",
    inner_name: str = "forwarded.eml",
) -> bytes:
    """Forward ``inner`` as an attached ``message/rfc822`` part (UTF-8 outer mail)."""
    head = _top_headers(
        style="utf8",
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        to_addr=to_addr,
        message_id=message_id,
        date=date,
        extra_headers=None,
    )
    body_headers, body_bytes = _body_part("utf8", body)
    boundary = _boundary(message_id, "fwd").encode("ascii")
    inner_bytes = inner if inner.endswith(CRLF) else inner + CRLF
    out = _join(
        [
            *head,
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"',
            b"",
            b"--" + boundary,
        ]
    )
    out += _join([*body_headers, b""]) + body_bytes
    out += _join(
        [
            b"--" + boundary,
            b"Content-Type: message/rfc822",
            b'Content-Disposition: attachment; filename="' + inner_name.encode("ascii") + b'"',
            b"",
        ]
    )
    out += inner_bytes
    return out + _join([b"--" + boundary + b"--", b""])


def build_bounce(
    original: bytes,
    *,
    message_id: str,
    date: datetime,
    to_addr: str = "scfn@example.jp",
    failed_recipient: str = "taro@example.jp",
    reporting_mta: str = "mx.example.jp",
    dsn_status: str = "5.1.1",  # the enhanced status code (RFC 3463) of the failure
    headers_only: bool = False,
) -> bytes:
    """A ``multipart/report`` DSN from MAILER-DAEMON (empty Return-Path) quoting ``original``.

    With ``headers_only`` only the original's header block is quoted
    (``text/rfc822-headers``), as some MTAs do.
    """
    boundary = _boundary(message_id, "dsn").encode("ascii")
    mta = reporting_mta.encode("ascii")
    head = [
        b"Return-Path: <>",
        b"From: Mail Delivery System <MAILER-DAEMON@" + mta + b">",
        b"To: " + to_addr.encode("ascii"),
        b"Subject: Undelivered Mail Returned to Sender",
        b"Date: " + _date(date).encode("ascii"),
        b"Message-ID: " + _angle(message_id).encode("ascii"),
        b"Auto-Submitted: auto-replied",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
        b'\tboundary="' + boundary + b'"',
        b"",
        b"This is a MIME-encapsulated message.",
        b"",
        b"--" + boundary,
        b"Content-Description: Notification",
        b"Content-Type: text/plain; charset=us-ascii",
        b"",
        b"This is the mail system at host " + mta + b".",
        b"",
        b"I'm sorry to have to inform you that your message could not",
        b"be delivered to one or more recipients.",
        b"",
        b"<"
        + failed_recipient.encode("ascii")
        + b">: host "
        + mta
        + b" said: 550 "
        + dsn_status.encode("ascii")
        + b" User unknown",
        b"",
        b"--" + boundary,
        b"Content-Description: Delivery report",
        b"Content-Type: message/delivery-status",
        b"",
        b"Reporting-MTA: dns; " + mta,
        b"Arrival-Date: " + _date(date).encode("ascii"),
        b"",
        b"Final-Recipient: rfc822; " + failed_recipient.encode("ascii"),
        b"Original-Recipient: rfc822;" + failed_recipient.encode("ascii"),
        b"Action: failed",
        b"Status: " + dsn_status.encode("ascii"),
        b"Diagnostic-Code: smtp; 550 " + dsn_status.encode("ascii") + b" User unknown",
        b"",
        b"--" + boundary,
    ]
    original_crlf = original if original.endswith(CRLF) else original + CRLF
    if headers_only:
        end = re.search(rb"\r?\n\r?\n", original_crlf)
        quoted = original_crlf[: end.start()] + CRLF if end else original_crlf
        part = [
            b"Content-Description: Undelivered Message Headers",
            b"Content-Type: text/rfc822-headers",
        ]
    else:
        quoted = original_crlf
        part = [b"Content-Description: Undelivered Message", b"Content-Type: message/rfc822"]
    out = _join([*head, *part, b""]) + quoted
    return out + _join([b"", b"--" + boundary + b"--", b""])


def build_auto_reply(
    *,
    subject: str,
    message_id: str,
    date: datetime,
    from_addr: str = "taro@example.jp",
    from_name: str | None = None,
    to_addr: str = "scfn@example.jp",
    body: str = "ただいま不在にしております。4月8日以降に順次返信いたします。\n",
    in_reply_to: str | None = None,
) -> bytes:
    """An out-of-office reply carrying the usual auto-reply markers."""
    extra: dict[str, str] = {
        "Auto-Submitted": "auto-replied",
        "X-Autoreply": "yes",
        "Precedence": "auto_reply",
        "X-Auto-Response-Suppress": "All",
    }
    if in_reply_to:
        extra["In-Reply-To"] = _angle(in_reply_to)
        extra["References"] = _angle(in_reply_to)
    return build_mail(
        subject=subject,
        message_id=message_id,
        date=date,
        from_addr=from_addr,
        from_name=from_name,
        to_addr=to_addr,
        body=body,
        style="utf8",
        extra_headers=extra,
    )


# Fixed timestamp so the generated workbook is byte-for-byte reproducible.
_FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_CORE_TIME_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def xlsx_placeholder(name: str) -> bytes:
    """A tiny but valid .xlsx (made with openpyxl); content is irrelevant but stable."""
    from openpyxl import Workbook  # heavy import, only needed here

    wb = Workbook()
    ws = wb.active
    ws.title = "申込書"
    ws["A1"] = "placeholder"
    ws["B1"] = name
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps "now" into docProps/core.xml and the zip entries; pin both.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME_RE.sub(rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    return out.getvalue()
