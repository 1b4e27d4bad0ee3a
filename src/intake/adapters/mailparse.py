"""Raw RFC 5322 bytes -> :class:`ParsedMail`, robust against Japanese mail clients.

Only the :class:`email.message.Message` tree is taken from mail-parser (``MailParser.message``).
What real senders break before any parser can read it is repaired first: debris before the
headers and malformed header lines (:mod:`~intake.adapters.headerblock`), boundaries folded
inside their quotes (:mod:`~intake.adapters.boundaries`). Subject, sender, names, bodies and
attachments are read from that tree here (the sender in :mod:`~intake.adapters.fromheader`, the
header parameters in :mod:`~intake.adapters.mimeparams`, the parts in
:mod:`~intake.adapters.mimewalk`), because
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
from email.utils import parsedate_to_datetime

import mailparser

from intake.adapters.boundaries import refold
from intake.adapters.filenames import safe_basename
from intake.adapters.fromheader import parse_from
from intake.adapters.headerblock import (
    MAX_HEADER_BYTES,
    header_block,
    header_end,
    repair,
    start_of_headers,
)
from intake.adapters.mimedefects import (
    fallback_note,
    guessed_charset,
    header_label,
    mime_defect,
    shown,
)
from intake.adapters.mimeparams import (
    mime_type,
    payload_of,
    raw_header,
)
from intake.adapters.mimewalk import MAX_DEPTH, MailAttachment, declared_text_charset, walk
from intake.adapters.rfc2047 import decode_header_text, decode_raw_header

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
    with open(path, "rb") as fh:
        head = fh.read(MAX_HEADER_BYTES + 65536)
    if repair(head, []) is not head:
        # Debris before the headers or a malformed header line: repaired in memory.
        return parse_mail_bytes(path.read_bytes())
    try:
        msg: Message | None = mailparser.parse_from_file(str(path)).message
    except OSError:
        raise
    except Exception as exc:
        defects.append(fallback_note(exc))
        raw = path.read_bytes()
        msg = _stdlib_parse(raw, defects)
        if msg is None:
            return _parse_header_block(header_block(raw, defects), defects)
    if msg is not None:
        msg = refold(msg, path.read_bytes, defects)
    return _build_guarded(msg, defects, headers_only=False)


def parse_mail_bytes(raw: bytes) -> ParsedMail:
    """Parse raw mail bytes.  Never raises; problems are reported in ``defects``."""
    defects: list[str] = []
    data = repair(bytes(raw), defects)
    try:
        msg: Message | None = mailparser.parse_from_bytes(data).message
    except Exception as exc:
        defects.append(fallback_note(exc))
        msg = _stdlib_parse(data, defects)
    if msg is None:
        # Keep at least the header fields (e.g. for absurdly nested bodies).
        return _parse_header_block(header_block(data, defects), defects)
    msg = refold(msg, lambda: data, defects)
    return _build_guarded(msg, defects, headers_only=False)


def parse_mail_headers(raw: bytes) -> ParsedMail:
    """Parse only the header block (up to the first blank line) of ``raw``.

    For messages too large to parse whole: ``attachments`` is empty and
    ``body_text`` is ``""``; ``content_type`` still reflects the header.
    """
    defects: list[str] = []
    block = header_block(repair(bytes(raw), defects), defects)
    return _parse_header_block(block, defects)


def parse_mail_file_headers(path: pathlib.Path) -> ParsedMail:
    """Like :func:`parse_mail_headers` but reads the file only up to the blank line."""
    buf = bytearray()
    with open(path, "rb") as fh:
        while len(buf) <= MAX_HEADER_BYTES:
            chunk = fh.read(65536)
            if not chunk:
                break
            buf += chunk
            if header_end(buf[start_of_headers(bytes(buf), []) :]) is not None:
                break
    return parse_mail_headers(bytes(buf))


# --------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------


def _stdlib_parse(raw: bytes, defects: list[str]) -> Message | None:
    try:
        return BytesParser(policy=compat32).parsebytes(raw)
    except Exception as exc:  # e.g. RecursionError on absurd nesting
        defects.append(
            f"メールの構造を解析できなかったため、本文を読み飛ばしました（{type(exc).__name__}）"
        )
        return None


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


def _decode_header(raw: str, what: str, hint: str | None, defects: list[str]) -> str:
    found = decode_header_text(raw, hint)
    if found.had_errors:
        defects.append(
            f"{what}に解読できない部分があり、「\ufffd」（U+FFFD）に置き換えたか、"
            "元の表記のまま残しました"
        )
    defects.extend(guessed_charset(what, guess) for guess in found.guesses)
    return found.text


def _build(msg: Message, defects: list[str], *, headers_only: bool) -> ParsedMail:
    if not msg.keys():
        defects.append(
            "ヘッダーが見つかりませんでした（メールの形式になっていない可能性があります）"
        )
    # Undeclared 8-bit headers are most likely in the charset the body declares.
    hint = declared_text_charset(msg)

    headers: dict[str, str] = {}
    for key, value in msg.raw_items():
        lname = key.strip().lower()
        if lname and lname not in headers:
            headers[lname] = _decode_header(str(value), header_label(key), hint, defects)

    subject = headers.get("subject", "")

    # Folding may split a long Message-ID; whitespace is never part of it.
    message_id = re.sub(r"\s+", "", headers.get("message-id", ""))

    from_address, from_display = parse_from(raw_header(msg, "from"), hint, defects)
    date = _parse_date(raw_header(msg, "date"), defects)
    content_type = mime_type(msg)

    body_text = ""
    attachments: tuple[MailAttachment, ...] = ()
    if not headers_only:
        body_text, attachments = walk(msg, content_type, defects, hint)

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
        payload = payload_of(part)
        if isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
