"""Header text of Japanese mail: raw 8-bit octets and RFC 2047 encoded-words.

Japanese clients put raw CP932 or UTF-8 octets into headers, split encoded-words in the middle of
a character or of an ISO-2022-JP shift state, and put encoded-words inside quoted parameters
(Outlook's ``filename="=?ISO-2022-JP?B?...?="``): all of that is decoded here. Undecodable parts
become U+FFFD or stay as written, and the caller is told.
"""

from __future__ import annotations

import base64
import binascii
import re

from intake.adapters.charsets import (
    CP932,
    ISO2022JP,
    UTF8,
    decode_bytes,
    looks_like_iso2022jp,
    normalize_charset,
    strict_decode,
)

__all__ = [
    "decode_header_detailed",
    "decode_header_value",
    "decode_raw_header",
    "header_str_to_bytes",
]

_ENCODED_WORD_RE = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD_RE = re.compile(rb"\r?\n(?=[ \t])|\r?\n$")
_ONLY_WSP_RE = re.compile(rb"[ \t\r\n]*")


def header_str_to_bytes(value: str) -> bytes:
    """Recover the wire bytes of a header string from the ``email`` package.

    compat32 keeps raw 8-bit octets as lone surrogates (surrogateescape); real
    non-ASCII text (if any) is taken as UTF-8.
    """
    return value.encode("utf-8", "surrogateescape")


def decode_raw_header(value: str | bytes) -> tuple[str, bool]:
    """Decode raw 8-bit header text WITHOUT touching RFC 2047 encoded-words.

    Used before parameter parsing: CP932 trail bytes such as 0x5C (the second byte
    of 申) must become characters before anything interprets backslashes.
    """
    raw = header_str_to_bytes(value) if isinstance(value, str) else value
    raw = _FOLD_RE.sub(b"", raw)
    return _decode_raw_segment(raw)


def _decode_raw_segment(raw: bytes) -> tuple[str, bool]:
    if raw.isascii() and b"\x1b" not in raw:
        return raw.decode("ascii"), False
    for label in (ISO2022JP, UTF8, CP932):
        if label == ISO2022JP and not looks_like_iso2022jp(raw):
            continue
        text = strict_decode(raw, label)
        if text is not None:
            return text, False
    return raw.decode("utf-8", "replace"), True


def decode_header_value(value: str) -> str:
    """Decode a header value: RFC 2047 encoded-words anywhere and raw 8-bit text.

    Encoded-words are decoded even inside quoted strings (Outlook puts them in
    ``filename="..."``).  Adjacent encoded-words of the same charset are joined as
    bytes before decoding, so words split in the middle of a character or of an
    ISO-2022-JP shift state decode correctly.  Folding line breaks are removed.
    """
    return decode_header_detailed(value)[0]


def decode_header_detailed(value: str | bytes) -> tuple[str, bool]:
    """Like :func:`decode_header_value`; returns ``(text, had_errors)``."""
    raw = header_str_to_bytes(value) if isinstance(value, str) else value
    raw = _FOLD_RE.sub(b"", raw)
    pieces: list[str] = []
    bad = False
    # Pending run of adjacent encoded-words sharing one charset.
    run_charset: str | None = None
    run_bytes = bytearray()

    def flush_run() -> None:
        nonlocal run_charset, bad
        if run_charset is not None:
            text, err = decode_bytes(bytes(run_bytes), run_charset)
            pieces.append(text)
            bad = bad or err
        run_charset = None
        run_bytes.clear()

    pos = 0
    for match in _ENCODED_WORD_RE.finditer(raw):
        gap = raw[pos : match.start()]
        adjacent = run_charset is not None and _ONLY_WSP_RE.fullmatch(gap) is not None
        payload = _decode_word_payload(match.group(2), match.group(3))
        if payload is None:
            # Not really an encoded-word (bad base64): keep it literally.
            flush_run()
            text, err = _decode_raw_segment(raw[pos : match.end()])
            pieces.append(text)
            bad = True
            pos = match.end()
            continue
        charset = normalize_charset(match.group(1).decode("ascii", "replace"))
        if adjacent and charset == run_charset:
            run_bytes.extend(payload)
        else:
            flush_run()
            if not adjacent and gap:
                text, err = _decode_raw_segment(gap)
                pieces.append(text)
                bad = bad or err
            run_charset = charset
            run_bytes.extend(payload)
        pos = match.end()
    flush_run()
    if pos < len(raw):
        text, err = _decode_raw_segment(raw[pos:])
        pieces.append(text)
        bad = bad or err
    return "".join(pieces), bad


def _decode_word_payload(kind: bytes, encoded: bytes) -> bytes | None:
    if kind in {b"B", b"b"}:
        # Tolerate missing or extra padding, nothing else.
        cleaned = encoded.rstrip(b"=")
        if not cleaned or re.fullmatch(rb"[A-Za-z0-9+/]+", cleaned) is None:
            return None if encoded else b""
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned, validate=True)
        except (binascii.Error, ValueError):
            return None
    # Q encoding: "_" is space, "=XX" is a hex octet; leave malformed escapes as-is.
    out = bytearray()
    i = 0
    while i < len(encoded):
        c = encoded[i]
        if c == 0x5F:
            out.append(0x20)
        elif c == 0x3D and _is_hex(encoded[i + 1 : i + 3]):
            out.append(int(encoded[i + 1 : i + 3], 16))
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    return bytes(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(ch in b"0123456789abcdefABCDEF" for ch in pair)
