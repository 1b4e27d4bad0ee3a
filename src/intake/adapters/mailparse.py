"""Raw RFC 5322 bytes -> :class:`ParsedMail`, robust against Japanese mail clients.

mail-parser is used only to obtain the :class:`email.message.Message` tree
(``MailParser.message``).  Subject, names, bodies and attachments are extracted by
walking that tree here, because mail-parser NFC-normalises strings, invents names
for nameless attachments, drops unnamed parts into ``text_not_managed``, flattens
the attachments of embedded ``message/rfc822`` parts (a bounce's quoted original),
returns 7-bit ISO-2022-JP bodies undecoded, and silently ignores decode errors.
"""

from __future__ import annotations

import html
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
from typing import Any

import mailparser

from intake.adapters.charsets import decode_text, normalize_charset
from intake.adapters.rfc2047 import decode_header_detailed, decode_raw_header, header_str_to_bytes

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

# A header block larger than this is not a real mail header; stop reading there.
MAX_HEADER_BYTES = 1024 * 1024
# Deeper MIME nesting than this is hostile or broken; the rest is skipped (noted).
MAX_DEPTH = 40
SAFE_BASENAME_MAX = 200


@dataclass(frozen=True)
class MailAttachment:
    filename: str | None  # decoded name as sent (not normalised); None when nameless
    content_type: str  # lower-case MIME type
    disposition: str | None  # "attachment" | "inline" | None
    payload: bytes  # transfer encoding (base64/qp) undone

    @property
    def size(self) -> int:
        return len(self.payload)


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
        # parse_from_file feeds bytes in chunks: much lighter than parse_from_bytes.
        msg: Message | None = mailparser.parse_from_file(str(path)).message
    except OSError:
        raise
    except Exception as exc:
        defects.append(_fallback_note(exc))
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
        defects.append(_fallback_note(exc))
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
    name = _DISPLAY_CONTROL_RE.sub("", filename)
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

# C0 controls and DEL never belong in a file name (NUL truncates C strings).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")
# For display/export names also drop C1 controls.
_DISPLAY_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")


# Defect messages are shown to the secretariat (as 「解析上の注意: …」): plain Japanese,
# technical identifiers (header names, charsets, exception classes) kept as they are.
_REPLACED = "「\ufffd」（U+FFFD）に置き換えました"

# Japanese names for the headers operators know; others are shown by their field name.
_HEADER_LABELS = {
    "subject": "件名（Subject ヘッダー）",
    "from": "差出人（From ヘッダー）",
    "to": "宛先（To ヘッダー）",
    "cc": "CC（Cc ヘッダー）",
    "reply-to": "返信先（Reply-To ヘッダー）",
}

# Explanations of the stdlib's MIME defect classes (docstrings are English).
_MIME_DEFECT_TEXT: dict[type[email_errors.MessageDefect], str] = {
    email_errors.NoBoundaryInMultipartDefect: "multipart なのに区切り（boundary）の指定がない",
    email_errors.StartBoundaryNotFoundDefect: "multipart の区切り（boundary）が本文中にない",
    email_errors.CloseBoundaryNotFoundDefect: "multipart の終わりの区切り（boundary）がない",
    email_errors.FirstHeaderLineIsContinuationDefect: "最初のヘッダー行が継続行になっている",
    email_errors.MisplacedEnvelopeHeaderDefect: "ヘッダーの途中に「From 」で始まる行がある",
    email_errors.MissingHeaderBodySeparatorDefect: "ヘッダーと本文の間の空行がない",
    email_errors.MultipartInvariantViolationDefect: "multipart と宣言されているが中身がない",
    email_errors.InvalidMultipartContentTransferEncodingDefect: (
        "multipart に使えない Content-Transfer-Encoding が指定されている"
    ),
    email_errors.UndecodableBytesDefect: "解読できないバイトがある",
    email_errors.InvalidBase64PaddingDefect: "base64 の末尾（パディング）が正しくない",
    email_errors.InvalidBase64CharactersDefect: "base64 に使えない文字がある",
    email_errors.InvalidBase64LengthDefect: "base64 の長さが正しくない",
}


def _shown(text: str, limit: int = 80) -> str:
    """A sender-supplied value made safe to show: control characters escaped, truncated."""
    text = _DISPLAY_CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[:limit] + "…"


def _field_name(name: str) -> str:
    """``content-type`` -> ``Content-Type``."""
    words = name.strip().lower().split("-")
    return _shown("-".join(word[:1].upper() + word[1:] for word in words))


def _header_label(name: str) -> str:
    lname = name.strip().lower()
    return _HEADER_LABELS.get(lname, f"{_field_name(lname)} ヘッダー")


def _param_label(header: str, param: str) -> str:
    where = f"{_field_name(header)} の {param}"
    if param in {"filename", "name"}:
        return f"添付ファイル名（{where}）"
    if param == "charset":
        return f"文字コードの指定（{where}）"
    return f"{_field_name(header)} ヘッダーの {param} パラメーター"


def _fallback_note(exc: BaseException) -> str:
    return (
        "mail-parser での解析に失敗したため標準ライブラリで解析しました"
        f"（{type(exc).__name__}: {_shown(str(exc), 200)}）"
    )


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
    block = block + b"\r\n\r\n"
    try:
        msg: Message | None = mailparser.parse_from_bytes(block).message
    except Exception as exc:
        defects.append(_fallback_note(exc))
        msg = _stdlib_parse(block, defects)
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


def _raw_header(msg: Message, name: str) -> str | None:
    """First occurrence of a header, raw (compat32 would wrap 8-bit values in Header)."""
    lname = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lname:
            return str(value)
    return None


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
            headers[lname] = _decode_header(str(value), _header_label(key), defects)

    subject = headers.get("subject", "")

    # Folding may split a long Message-ID; whitespace is never part of it.
    message_id = re.sub(r"\s+", "", headers.get("message-id", ""))

    from_address, from_display = _parse_from(_raw_header(msg, "from"), defects)
    date = _parse_date(_raw_header(msg, "date"), defects)
    content_type = _content_type(msg)

    body_text = ""
    attachments: tuple[MailAttachment, ...] = ()
    if not headers_only:
        body_text, attachments = _walk(msg, content_type, defects)

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


def _content_type(part: Message) -> str:
    raw = _raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type()
    text, _ = decode_raw_header(raw)
    ctype = text.split(";", 1)[0].strip().lower()
    if ctype.count("/") != 1 or " " in ctype:
        # RFC 2045: an invalid Content-Type means text/plain.
        return "text/plain"
    return ctype


def _parse_from(raw: str | None, defects: list[str]) -> tuple[str | None, str]:
    if raw is None:
        return None, ""
    # Decode raw 8-bit first: a CP932 0x5C inside a quoted display name is no escape.
    text, bad = decode_raw_header(raw)
    if bad:
        defects.append(f"{_header_label('from')}に解読できない文字があり、{_REPLACED}")
    name, addr = parseaddr(text)
    addr = addr.strip()
    local, at, domain = addr.rpartition("@")
    display_name = _decode_header(name, "差出人の表示名", defects).strip() if name else ""
    if not (at and local and domain) or any(ch.isspace() for ch in addr):
        defects.append("差出人（From ヘッダー）のメールアドレスを読み取れませんでした")
        return None, _decode_header(raw, _header_label("from"), defects).strip()
    address = f"{local}@{domain.lower()}"
    return address, f"{display_name} <{address}>" if display_name else address


def _parse_date(raw: str | None, defects: list[str]) -> datetime | None:
    if raw is None:
        return None
    text, _ = decode_raw_header(raw)
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"Date ヘッダーを解釈できませんでした（値: {_shown(text.strip())}）")
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
            detail = next(
                (text for cls, text in _MIME_DEFECT_TEXT.items() if isinstance(defect, cls)),
                "形式に誤りがある",
            )
            yield f"メールの MIME 構造に問題があります: {detail}（{type(defect).__name__}）"


def _all_parts(msg: Message) -> Iterator[Message]:
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        yield part
        payload = part.get_payload()
        if isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))


# --------------------------------------------------------------------------------------
# MIME walk
# --------------------------------------------------------------------------------------


def _walk(
    msg: Message, top_type: str, defects: list[str]
) -> tuple[str, tuple[MailAttachment, ...]]:
    # A bounce quotes the original; its attachments are not this mail's attachments.
    is_report = top_type == "multipart/report"
    body: str | None = None
    html_body: str | None = None
    attachments: list[MailAttachment] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    depth_noted = False
    while stack:
        part, depth = stack.pop()
        if depth > MAX_DEPTH:
            if not depth_noted:
                defects.append(
                    f"MIME の入れ子が {MAX_DEPTH} 段を超えているため、"
                    "それより深い部分は読み飛ばしました"
                )
                depth_noted = True
            continue
        content_type = top_type if part is msg else _content_type(part)
        payload = part.get_payload()
        if content_type.startswith("message/"):
            if is_report:
                continue
            inner = _embedded_messages(part, payload, defects)
            stack.extend((m, depth + 1) for m in reversed(inner))
            continue
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if content_type.startswith("multipart/"):
            # Declared multipart but the parser found no parts (e.g. no boundary).
            if not payload or not str(payload).strip():
                continue
            content_type = "text/plain"

        filename = _filename(part, defects)
        disposition = _disposition(part)
        is_text = content_type.startswith("text/")
        if filename is not None or disposition == "attachment" or not is_text:
            attachments.append(
                MailAttachment(
                    filename=filename,
                    content_type=content_type,
                    disposition=disposition,
                    payload=_payload_bytes(part, defects),
                )
            )
        elif content_type == "text/plain" and body is None:
            body = _part_text(part, defects)
        elif content_type == "text/html" and html_body is None and body is None:
            html_body = _part_text(part, defects)

    if body is None:
        body = _strip_html(html_body) if html_body is not None else ""
    return body, tuple(attachments)


def _embedded_messages(part: Message, payload: Any, defects: list[str]) -> list[Message]:
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    # e.g. message/rfc822 sent base64-encoded: the parser left it as a leaf.
    data = _payload_bytes(part, defects)
    if not data:
        return []
    try:
        return [BytesParser(policy=compat32).parsebytes(data)]
    except Exception:
        defects.append("メールに添付されたメール（message/rfc822）を解析できませんでした")
        return []


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    before = len(part.defects)
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        defects.append(
            f"メールの一部（MIME パート）の内容をデコードできず、空として扱いました"
            f"（{type(exc).__name__}）"
        )
        return b""
    if len(part.defects) > before:
        defects.append(
            "メールの一部（MIME パート）の転送エンコーディングが壊れていたため、"
            "読み取れる範囲でデコードしました"
        )
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message, defects: list[str]) -> str:
    data = _payload_bytes(part, defects)
    charset = _param(part, "content-type", "charset", defects)
    result = decode_text(data, charset)
    if result.had_errors:
        declared = f"charset={_shown(charset)}" if charset else "charset の指定なし"
        defects.append(f"本文（{declared}）に解読できない文字があり、{_REPLACED}")
    elif not data.isascii() and normalize_charset(charset) != result.codec:
        if charset:
            defects.append(
                f"本文の文字コードは {_shown(charset)} と指定されていましたが、"
                f"{result.codec} として読み取りました"
            )
        else:
            defects.append(
                f"本文に文字コード（charset）の指定がないため、{result.codec} として読み取りました"
            )
    return result.text.replace("\r\n", "\n").replace("\r", "\n")


_SCRIPT_STYLE_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_RE = re.compile(r"<(br|/p|/div|/tr|/li|/h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")


def _strip_html(markup: str) -> str:
    text = _SCRIPT_STYLE_RE.sub("", markup)
    text = _BREAK_RE.sub("\n", text)
    text = _TAG_RE.sub("", text)
    return html.unescape(text).strip()


# --------------------------------------------------------------------------------------
# Parameters (filename, name, charset) and disposition
# --------------------------------------------------------------------------------------


def _disposition(part: Message) -> str | None:
    raw = _raw_header(part, "content-disposition")
    if raw is None:
        return None
    text, _ = decode_raw_header(raw)
    value = text.split(";", 1)[0].strip().lower()
    return value if value in {"attachment", "inline"} else None


def _param(part: Message, header: str, param: str, defects: list[str]) -> str | None:
    """Read a header parameter robustly (raw 8-bit, RFC 2231, RFC 2047)."""
    raw = _raw_header(part, header)
    if raw is None:
        return None
    # Decode the whole header first, so CP932 trail byte 0x5C is not a backslash escape.
    text, bad = decode_raw_header(raw)
    if bad:
        defects.append(f"{_param_label(header, param)}に解読できない文字があり、{_REPLACED}")
    scratch = Message()
    scratch[header] = text
    try:
        params = scratch.get_params(header=header, unquote=True) or []
    except Exception as exc:  # the stdlib parameter parser on hostile input
        defects.append(
            f"{_field_name(header)} ヘッダーのパラメーターを解析できませんでした"
            f"（{type(exc).__name__}）"
        )
        return None
    plain: str | None = None
    for key, value in params[1:]:
        if key.strip().lower() != param:
            continue
        if isinstance(value, tuple):
            # RFC 2231 wins over a plain parameter of the same name.
            charset, _lang, encoded = value
            return _decode_rfc2231(charset, encoded, header, param, defects)
        if plain is None:
            plain = value
    if plain is None:
        return None
    decoded, err = decode_header_detailed(plain)
    if err:
        defects.append(f"{_param_label(header, param)}に解読できない文字があり、{_REPLACED}")
    return decoded


def _decode_rfc2231(
    charset: str | None, encoded: str, header: str, param: str, defects: list[str]
) -> str:
    # email.utils unquotes %XX as latin-1, so latin-1 gives the octets back.
    try:
        data = encoded.encode("latin-1")
    except UnicodeEncodeError:
        data = header_str_to_bytes(encoded)
    result = decode_text(data, charset)
    if result.had_errors:
        defects.append(f"{_param_label(header, param)}に解読できない文字があり、{_REPLACED}")
    return result.text


def _filename(part: Message, defects: list[str]) -> str | None:
    name = _param(part, "content-disposition", "filename", defects)
    if not name:
        name = _param(part, "content-type", "name", defects)
    if name is None:
        return None
    cleaned = _CONTROL_RE.sub("", name)
    if cleaned != name:
        defects.append(
            f"添付ファイル名から制御文字を取り除きました（元の名前: {_shown(name, 200)}）"
        )
    return cleaned or None
