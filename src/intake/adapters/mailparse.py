"""Raw RFC 5322 bytes -> :class:`ParsedMail`, robust against Japanese mail clients.

Only the :class:`email.message.Message` tree is taken from mail-parser (``MailParser.message``).
Subject, names, bodies and attachments are read from that tree here (the header parameters in
:mod:`~intake.adapters.mimeparams`, the parts in :mod:`~intake.adapters.mimewalk`), because
mail-parser NFC-normalises strings, invents names for nameless attachments, drops unnamed parts
into ``text_not_managed``, flattens the attachments of embedded ``message/rfc822`` parts (a
bounce's quoted original), returns 7-bit ISO-2022-JP bodies undecoded, and silently ignores
decode errors. What went wrong is reported in Japanese (:mod:`~intake.adapters.mimedefects`).
"""

from __future__ import annotations

import logging
import pathlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors as email_errors
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime

import mailparser

from intake.adapters.mimedefects import (
    DISPLAY_CONTROL_RE,
    fallback_note,
    header_label,
    mime_defect,
    shown,
    undecodable,
)
from intake.adapters.mimeparams import (
    mime_type,
    raw_header,
)
from intake.adapters.mimewalk import MAX_DEPTH, MailAttachment, walk
from intake.adapters.rfc2047 import decode_header_detailed, decode_raw_header

__all__ = [
    "MAX_HEADER_BYTES",
    "MailAttachment",
    "ParsedMail",
    "parse_mail_bytes",
    "parse_mail_file",
    "parse_mail_file_headers",
    "parse_mail_headers",
    "safe_basename",
]

# mail-parser parses whole mails: it feeds a stored file to the parser in bounded chunks (keeping
# raw octets, without reading it into memory first) and reports absurd nesting as its own error
# instead of a RecursionError; the standard library's parser is the fallback when it fails. Its
# log warnings are about parts it does not handle, which are read here: they go nowhere, never to
# stderr or the daemon's log.
_MAILPARSER_LOG = logging.getLogger("mailparser")
_MAILPARSER_LOG.addHandler(logging.NullHandler())
_MAILPARSER_LOG.propagate = False

# A header block larger than this is not a real mail header; stop reading there.
MAX_HEADER_BYTES = 1024 * 1024
SAFE_BASENAME_MAX = 200


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    subject: str
    from_address: str | None
    from_display: str
    date: datetime | None
    headers: dict[str, str]
    content_type: str
    body_text: str
    attachments: tuple[MailAttachment, ...]
    defects: tuple[str, ...]


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def parse_mail_file(path: pathlib.Path) -> ParsedMail:
    """Parse a mail file.  Raises only ``OSError`` for an unreadable file."""
    defects: list[str] = []
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(path))
    try:
        msg: Message | None = mailparser.parse_from_file(str(path)).message
    except OSError:
        raise
    except Exception as exc:
        defects.append(fallback_note(exc))
        raw = path.read_bytes()
        msg = _stdlib_parse(raw, defects)
        if msg is None:
            return _parse_header_block(_header_block(raw, defects), defects)
    return _build_guarded(msg, defects, headers_only=False)


def parse_mail_bytes(raw: bytes) -> ParsedMail:
    """Parse raw mail bytes.  Never raises; problems are reported in ``defects``."""
    defects: list[str] = []
    try:
        msg: Message | None = mailparser.parse_from_bytes(bytes(raw)).message
    except Exception as exc:
        defects.append(fallback_note(exc))
        msg = _stdlib_parse(bytes(raw), defects)
    if msg is None:
        # Keep at least the header fields (e.g. for absurdly nested bodies).
        return _parse_header_block(_header_block(bytes(raw), defects), defects)
    return _build_guarded(msg, defects, headers_only=False)


def parse_mail_headers(raw: bytes) -> ParsedMail:
    """Parse only the header block (up to the first blank line) of ``raw``.

    For messages too large to parse whole: ``attachments`` is empty and
    ``body_text`` is ``""``; ``content_type`` still reflects the header.
    """
    defects: list[str] = []
    block = _header_block(bytes(raw), defects)
    return _parse_header_block(block, defects)


def parse_mail_file_headers(path: pathlib.Path) -> ParsedMail:
    """Like :func:`parse_mail_headers` but reads the file only up to the blank line."""
    defects: list[str] = []
    buf = bytearray()
    with open(path, "rb") as fh:
        while len(buf) <= MAX_HEADER_BYTES:
            chunk = fh.read(65536)
            if not chunk:
                break
            buf += chunk
            if _header_end(buf) is not None:
                break
    return _parse_header_block(_header_block(bytes(buf), defects), defects)


def safe_basename(filename: str) -> str:
    """Reduce a sender-supplied file name to a harmless display/export name.

    Drops any directory part (``/`` and ``\\``) and drive prefix, removes control
    characters, and truncates to 200 characters keeping the extension.  Returns
    ``"attachment"`` if nothing usable is left.
    """
    name = DISPLAY_CONTROL_RE.sub("", filename)
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name).strip()
    if name in {"", ".", ".."}:
        return "attachment"
    if len(name) > SAFE_BASENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: SAFE_BASENAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:SAFE_BASENAME_MAX]
    return name


# --------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------

_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")


def _stdlib_parse(raw: bytes, defects: list[str]) -> Message | None:
    try:
        return BytesParser(policy=compat32).parsebytes(raw)
    except Exception as exc:  # e.g. RecursionError on absurd nesting
        defects.append(
            f"メールの構造を解析できなかったため、本文を読み飛ばしました（{type(exc).__name__}）"
        )
        return None


def _header_end(buf: bytes | bytearray) -> int | None:
    if buf.startswith(b"\r\n"):
        return 0
    if buf.startswith(b"\n"):
        return 0
    m = _HEADER_END_RE.search(buf)
    return None if m is None else m.start()


def _header_block(raw: bytes, defects: list[str]) -> bytes:
    end = _header_end(raw[: MAX_HEADER_BYTES + 4])
    if end is None:
        if len(raw) > MAX_HEADER_BYTES:
            defects.append(
                f"ヘッダーが長すぎる（{MAX_HEADER_BYTES:,} バイト超）ため、"
                "先頭部分だけを読み取りました"
            )
            return raw[:MAX_HEADER_BYTES]
        return raw
    return raw[:end]


def _parse_header_block(block: bytes, defects: list[str]) -> ParsedMail:
    # Headers alone: nothing for mail-parser to add to the standard library's parser.
    msg = _stdlib_parse(block + b"\r\n\r\n", defects)
    return _build_guarded(msg, defects, headers_only=True)


def _build_guarded(msg: Message | None, defects: list[str], *, headers_only: bool) -> ParsedMail:
    if msg is not None:
        try:
            return _build(msg, defects, headers_only=headers_only)
        except Exception as exc:  # last line of defence: garbage must not raise
            defects.append(f"メールの読み取り中に内部エラーが発生しました（{type(exc).__name__}）")
    return ParsedMail(
        message_id=None,
        subject="",
        from_address=None,
        from_display="",
        date=None,
        headers={},
        content_type="text/plain",
        body_text="",
        attachments=(),
        defects=tuple(dict.fromkeys(defects)),
    )


def _decode_header(raw: str, what: str, defects: list[str]) -> str:
    text, bad = decode_header_detailed(raw)
    if bad:
        defects.append(
            f"{what}に解読できない部分があり、「\ufffd」（U+FFFD）に置き換えたか、"
            "元の表記のまま残しました"
        )
    return text


def _build(msg: Message, defects: list[str], *, headers_only: bool) -> ParsedMail:
    if not msg.keys():
        defects.append(
            "ヘッダーが見つかりませんでした（メールの形式になっていない可能性があります）"
        )

    headers: dict[str, str] = {}
    for key, value in msg.raw_items():
        lname = key.strip().lower()
        if lname and lname not in headers:
            headers[lname] = _decode_header(str(value), header_label(key), defects)

    subject = headers.get("subject", "")

    # Folding may split a long Message-ID; whitespace is never part of it.
    message_id = re.sub(r"\s+", "", headers.get("message-id", ""))

    from_address, from_display = _parse_from(raw_header(msg, "from"), defects)
    date = _parse_date(raw_header(msg, "date"), defects)
    content_type = mime_type(msg)

    body_text = ""
    attachments: tuple[MailAttachment, ...] = ()
    if not headers_only:
        body_text, attachments = walk(msg, content_type, defects)

    for part_defect in _email_defects(msg, headers_only=headers_only):
        defects.append(part_defect)

    return ParsedMail(
        message_id=message_id or None,
        subject=subject,
        from_address=from_address,
        from_display=from_display,
        date=date,
        headers=headers,
        content_type=content_type,
        body_text=body_text,
        attachments=attachments,
        defects=tuple(dict.fromkeys(defects)),
    )


def _parse_from(raw: str | None, defects: list[str]) -> tuple[str | None, str]:
    if raw is None:
        return None, ""
    # Decode raw 8-bit first: a CP932 0x5C inside a quoted display name is no escape.
    text, bad = decode_raw_header(raw)
    if bad:
        defects.append(undecodable(header_label("from")))
    name, addr = parseaddr(text)
    addr = addr.strip()
    local, at, domain = addr.rpartition("@")
    display_name = _decode_header(name, "差出人の表示名", defects).strip() if name else ""
    if not (at and local and domain) or any(ch.isspace() for ch in addr):
        defects.append("差出人（From ヘッダー）のメールアドレスを読み取れませんでした")
        return None, _decode_header(raw, header_label("from"), defects).strip()
    address = f"{local}@{domain.lower()}"
    return address, f"{display_name} <{address}>" if display_name else address


def _parse_date(raw: str | None, defects: list[str]) -> datetime | None:
    if raw is None:
        return None
    text, _ = decode_raw_header(raw)
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"Date ヘッダーを解釈できませんでした（値: {shown(text.strip())}）")
        return None
    if value.tzinfo is None:
        defects.append("Date ヘッダーのタイムゾーンが不明なため、UTC とみなしました")
        value = value.replace(tzinfo=UTC)
    return value


def _email_defects(msg: Message, *, headers_only: bool) -> Iterator[str]:
    parts = [msg] if headers_only else list(_all_parts(msg))
    for part in parts:
        for defect in getattr(part, "defects", ()):
            if headers_only and isinstance(
                defect,
                email_errors.StartBoundaryNotFoundDefect
                | email_errors.MultipartInvariantViolationDefect,
            ):
                continue  # expected: we deliberately dropped the body
            yield mime_defect(defect)


def _all_parts(msg: Message) -> Iterator[Message]:
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        yield part
        payload = part.get_payload()
        if isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
