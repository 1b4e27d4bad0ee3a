"""MIME header parameters as Japanese clients write them: raw 8-bit octets, RFC 2231
(``filename*=utf-8''...``) and RFC 2047 words inside quotes, decoded in that order."""

from __future__ import annotations

import re
from email.message import Message

from intake.adapters.charsets import decode_text
from intake.adapters.mimedefects import field_name, param_label, shown, undecodable
from intake.adapters.rfc2047 import decode_header_detailed, decode_raw_header, header_str_to_bytes

# C0 controls and DEL never belong in a file name (NUL truncates C strings).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


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
    ctype = text.split(";", 1)[0].strip().lower()
    if ctype.count("/") != 1 or " " in ctype:
        # RFC 2045: an invalid Content-Type means text/plain.
        return "text/plain"
    return ctype


def content_disposition(part: Message) -> str | None:
    raw = raw_header(part, "content-disposition")
    if raw is None:
        return None
    text, _ = decode_raw_header(raw)
    value = text.split(";", 1)[0].strip().lower()
    return value if value in {"attachment", "inline"} else None


def header_param(part: Message, header: str, param: str, defects: list[str]) -> str | None:
    """Read a header parameter robustly (raw 8-bit, RFC 2231, RFC 2047)."""
    raw = raw_header(part, header)
    if raw is None:
        return None
    # Decode the whole header first, so CP932 trail byte 0x5C is not a backslash escape.
    text, bad = decode_raw_header(raw)
    if bad:
        defects.append(undecodable(param_label(header, param)))
    scratch = Message()
    scratch[header] = text
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
    decoded, err = decode_header_detailed(plain)
    if err:
        defects.append(undecodable(param_label(header, param)))
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
        defects.append(undecodable(param_label(header, param)))
    return result.text


def attachment_filename(part: Message, defects: list[str]) -> str | None:
    """The attachment's file name as sent (decoded, control characters removed), or None."""
    name = header_param(part, "content-disposition", "filename", defects)
    if not name:
        name = header_param(part, "content-type", "name", defects)
    if name is None:
        return None
    cleaned = _CONTROL_RE.sub("", name)
    if cleaned != name:
        defects.append(
            f"添付ファイル名から制御文字を取り除きました（元の名前: {shown(name, 200)}）"
        )
    return cleaned or None
