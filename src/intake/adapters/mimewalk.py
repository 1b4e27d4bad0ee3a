"""The MIME walk: a mail's body text and its attachments, from the parsed Message tree.

Every part is looked at once, depth-first in the order sent. A part is an attachment when it has
a file name, says ``attachment`` or is not text; the first text/plain part is the body (else the
first text/html, stripped of its markup). A part whose Content-Type names only a file name gets
the type that name says. A bounce (``multipart/report``) quotes the original, whose attachments
are not this mail's attachments.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from intake.adapters.charsets import decode_text, informative_charset, normalize_charset
from intake.adapters.htmltext import html_to_text
from intake.adapters.mimedefects import shown, undecodable
from intake.adapters.mimeparams import (
    attachment_filename,
    content_disposition,
    header_param,
    mime_type,
    payload_of,
    type_from_name,
)

# Deeper MIME nesting than this is hostile or broken; the rest is skipped (noted).
MAX_DEPTH = 40


@dataclass(frozen=True)
class MailAttachment:
    filename: str | None  # decoded name as sent (not normalised); None when nameless
    content_type: str  # lower-case MIME type
    disposition: str | None  # "attachment" | "inline" | None
    payload: bytes  # transfer encoding (base64/qp) undone

    @property
    def size(self) -> int:
        return len(self.payload)


def walk(
    msg: Message, top_type: str, defects: list[str], hint: str | None = None
) -> tuple[str, tuple[MailAttachment, ...]]:
    """The body text and the attachments; ``hint`` is the charset the mail declares for its
    text, for file names written in raw 8-bit."""
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
        content_type = top_type if part is msg else mime_type(part)
        payload = payload_of(part)
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

        filename = attachment_filename(part, defects, hint)
        if filename is not None:
            content_type = type_from_name(part, filename) or content_type
        disposition = content_disposition(part)
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


def declared_text_charset(msg: Message) -> str | None:
    """The charset the first text part declares (a hint for undeclared 8-bit headers)."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        payload = payload_of(part)
        if isinstance(payload, list):
            if depth < MAX_DEPTH:
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if mime_type(part).startswith("text/"):
            charset = informative_charset(header_param(part, "content-type", "charset", []))
            if charset is not None:
                return charset
    return None


def _part_text(part: Message, defects: list[str]) -> str:
    data = _payload_bytes(part, defects)
    charset = header_param(part, "content-type", "charset", defects)
    result = decode_text(data, charset)
    if result.had_errors:
        declared = f"charset={shown(charset)}" if charset else "charset の指定なし"
        defects.append(undecodable(f"本文（{declared}）"))
    elif not data.isascii() and normalize_charset(charset) != result.codec:
        if charset:
            defects.append(
                f"本文の文字コードは {shown(charset)} と指定されていましたが、"
                f"{result.codec} として読み取りました"
            )
        else:
            defects.append(
                f"本文に文字コード（charset）の指定がないため、{result.codec} として読み取りました"
            )
    return result.text.replace("\r\n", "\n").replace("\r", "\n")


def _strip_html(markup: str) -> str:
    return html_to_text(markup)
