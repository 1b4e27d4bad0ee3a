"""Header text of Japanese mail: raw 8-bit octets and RFC 2047 encoded-words.

Japanese clients put raw CP932 or UTF-8 octets into headers, split encoded-words in the middle of
a character or of an ISO-2022-JP shift state, and put encoded-words inside quoted parameters
(Outlook's ``filename="=?ISO-2022-JP?B?...?="``): all of that is decoded here. Undecodable parts
become U+FFFD or stay as written, and the caller is told; raw 8-bit text and encoded-words with
an unknown charset are guessed (:func:`intake.adapters.charsets.guess_text`, with the charset
the mail declares for its body as the hint), and each guess nothing confirms is reported.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from intake.adapters.charsets import (
    Guess,
    decode_text,
    guess_text,
    is_known_charset,
    normalize_charset,
)

__all__ = [
    "HeaderText",
    "decode_header_detailed",
    "decode_header_text",
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


@dataclass(frozen=True)
class HeaderText:
    text: str
    had_errors: bool  # something was replaced by U+FFFD or kept as written
    guesses: tuple[Guess, ...] = ()  # parts read with a charset nothing confirms


def decode_raw_header(value: str | bytes, hint: str | None = None) -> tuple[str, bool]:
    """Decode raw 8-bit header text WITHOUT touching RFC 2047 encoded-words.

    Used before parameter parsing: CP932 trail bytes such as 0x5C (the second byte
    of 申) must become characters before anything interprets backslashes.
    """
    found = decode_header_text(value, hint, encoded_words=False)
    return found.text, found.had_errors


def _decode_raw_segment(raw: bytes, hint: str | None, guesses: list[Guess]) -> tuple[str, bool]:
    result = guess_text(raw, hint, header=True)
    if result.guessed:
        guesses.append(Guess(raw, result.codec))
    return result.text, result.had_errors


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
    found = decode_header_text(value)
    return found.text, found.had_errors


def decode_header_text(
    value: str | bytes, hint: str | None = None, *, encoded_words: bool = True
) -> HeaderText:
    """Decode a header value (raw 8-bit text, and encoded-words unless ``encoded_words`` is
    False); ``hint`` is the charset the mail declares for its body."""
    raw = header_str_to_bytes(value) if isinstance(value, str) else value
    raw = _FOLD_RE.sub(b"", raw)
    guesses: list[Guess] = []
    if not encoded_words:
        text, bad = _decode_raw_segment(raw, hint, guesses)
        return HeaderText(text, bad, tuple(guesses))
    pieces: list[str] = []
    bad = False
    # Pending run of adjacent encoded-words sharing one charset.
    run_charset: str | None = None
    run_bytes = bytearray()

    def flush_run() -> None:
        nonlocal run_charset, bad
        if run_charset is not None:
            result = decode_text(bytes(run_bytes), run_charset)
            if result.guessed:
                unknown = None if is_known_charset(run_charset) else run_charset
                guesses.append(Guess(bytes(run_bytes), result.codec, unknown))
            pieces.append(result.text)
            bad = bad or result.had_errors
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
            text, err = _decode_raw_segment(raw[pos : match.end()], hint, guesses)
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
                text, err = _decode_raw_segment(gap, hint, guesses)
                pieces.append(text)
                bad = bad or err
            run_charset = charset
            run_bytes.extend(payload)
        pos = match.end()
    flush_run()
    if pos < len(raw):
        text, err = _decode_raw_segment(raw[pos:], hint, guesses)
        pieces.append(text)
        bad = bad or err
    return HeaderText("".join(pieces), bad, tuple(guesses))


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
