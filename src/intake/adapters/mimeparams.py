"""MIME header parameters as Japanese clients write them: raw 8-bit octets, RFC 2231
(``filename*=utf-8''...``) and RFC 2047 words inside quotes, decoded in that order.

Broken generators write a parameter where the type belongs (``Content-Type: name="a.pdf"``) or
forget the semicolon (``application/pdf name="a.pdf"``); both are read as the parameter they are.
"""

from __future__ import annotations

import mimetypes
import re
from email.message import Message

from intake.adapters.charsets import Guess, decode_text, is_known_charset
from intake.adapters.filenames import clean_filename
from intake.adapters.mimedefects import field_name, guessed_charset, param_label, undecodable
from intake.adapters.rfc2047 import (
    decode_header_text,
    decode_raw_header,
    header_str_to_bytes,
)

# A parameter (``name=…``) where the MIME type should be, with or without a type before it.
_PARAM_AS_TYPE_RE = re.compile(r"^\s*(?:([^\s;=\"/]+/[^\s;=\"]+)\s+)?(?=[\w.*-]+\s*=)")


def payload_of(part: Message) -> list[Message] | str:
    """The part's sub-parts, or its body as parsed (transfer encoding not undone).

    ``get_payload()`` re-decodes 8-bit text with the declared charset and raises on a label
    Python refuses (one with a NUL in it); what was parsed is then taken as it is.
    """
    try:
        payload = part.get_payload()
    except Exception:
        payload = getattr(part, "_payload", "")
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return payload if isinstance(payload, str) else ""


def raw_header(msg: Message, name: str) -> str | None:
    """First occurrence of a header, raw (compat32 would wrap 8-bit values in Header)."""
    lname = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lname:
            return str(value)
    return None


def mime_type(part: Message) -> str:
    """The part's MIME type, lower-case (RFC 2045: text/plain when missing or invalid)."""
    raw = raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type()
    text, _ = decode_raw_header(raw)
    ctype = _with_separator(text).split(";", 1)[0].strip().lower()
    if ctype.count("/") != 1 or " " in ctype:
        # RFC 2045: an invalid Content-Type means text/plain.
        return "text/plain"
    return ctype


def type_from_name(part: Message, filename: str) -> str | None:
    """For a part whose Content-Type names no type, only a file name: the type that name says
    (application/octet-stream when it says nothing); None for a part with a real type."""
    raw = raw_header(part, "content-type")
    if raw is None:
        return None
    text, _ = decode_raw_header(raw)
    if _with_separator(text).split(";", 1)[0].strip():
        return None
    # Only the extension: the whole name could read as a URL to mimetypes.
    extension = filename.rpartition(".")[2] if "." in filename else ""
    guessed, _encoding = mimetypes.guess_type(f"name.{extension[:16]}", strict=False)
    return guessed or "application/octet-stream"


def _with_separator(text: str) -> str:
    """``name="a.pdf"`` -> ``; name="a.pdf"``, and
    ``application/pdf name="a.pdf"`` -> ``application/pdf; name="a.pdf"``."""
    return _PARAM_AS_TYPE_RE.sub(lambda m: f"{m.group(1) or ''}; ", text, count=1)


def content_disposition(part: Message) -> str | None:
    raw = raw_header(part, "content-disposition")
    if raw is None:
        return None
    text, _ = decode_raw_header(raw)
    value = text.split(";", 1)[0].strip().lower()
    return value if value in {"attachment", "inline"} else None


def header_param(
    part: Message, header: str, param: str, defects: list[str], hint: str | None = None
) -> str | None:
    """Read a header parameter robustly (raw 8-bit, RFC 2231, RFC 2047); ``hint`` is the
    charset the mail declares for its body, for raw 8-bit text."""
    raw = raw_header(part, header)
    if raw is None:
        return None
    # Decode the whole header first, so CP932 trail byte 0x5C is not a backslash escape.
    decoded = decode_header_text(raw, hint, encoded_words=False)
    text, bad = decoded.text, decoded.had_errors
    if bad:
        defects.append(undecodable(param_label(header, param)))
    _note_guesses(decoded.guesses, header, param, defects)
    scratch = Message()
    scratch[header] = _with_separator(text)
    try:
        params = scratch.get_params(header=header, unquote=True) or []
    except Exception as exc:  # the stdlib parameter parser on hostile input
        defects.append(
            f"{field_name(header)} ヘッダーのパラメーターを解析できませんでした"
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
    words = decode_header_text(plain, hint)
    if words.had_errors:
        defects.append(undecodable(param_label(header, param)))
    _note_guesses(words.guesses, header, param, defects)
    return words.text


def _note_guesses(guesses: tuple[Guess, ...], header: str, param: str, defects: list[str]) -> None:
    for guess in guesses:
        defects.append(guessed_charset(param_label(header, param), guess))


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
        defects.append(undecodable(param_label(header, param)))
    elif result.guessed:
        unknown = None if is_known_charset(charset) else charset
        _note_guesses((Guess(data, result.codec, unknown),), header, param, defects)
    return result.text


def attachment_filename(part: Message, defects: list[str], hint: str | None = None) -> str | None:
    """The attachment's file name as sent (decoded, debris and control characters removed and
    said in ``defects``), or None."""
    name = header_param(part, "content-disposition", "filename", defects, hint)
    if not name:
        name = header_param(part, "content-type", "name", defects, hint)
    if name is None:
        return None
    cleaned, notes = clean_filename(name)
    defects.extend(notes)
    return cleaned or None
