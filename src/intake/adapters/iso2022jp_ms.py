"""ISO-2022-JP as Windows writes it (CP50220/CP50221), registered with :mod:`codecs`.

Python's ``iso2022_jp*`` codecs reject the Windows characters (①, ㈱, 髙, the NEC and IBM
extensions) that Outlook and other Windows clients put into ISO-2022-JP mail. This codec decodes
by walking the escape sequences and converting each JIS X 0208 pair to Shift_JIS, then decoding
with ``cp932``; it encodes through ``cp932`` the same way back.

Importing this module registers the codec as ``"iso-2022-jp-ms"`` (:data:`ISO_2022_JP_MS`), so
``data.decode(ISO_2022_JP_MS, "replace")`` and ``text.encode(ISO_2022_JP_MS)`` work with
Python's error handlers. Only this new name is registered: ``"iso-2022-jp"`` stays Python's own.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["ISO_2022_JP_MS", "decode_iso2022jp_ms", "encode_iso2022jp_ms"]

ISO_2022_JP_MS = "iso-2022-jp-ms"

_ESC = 0x1B
_SO = 0x0E
_SI = 0x0F

# Multi-byte designations other than JIS X 0208 are rare; decode their pairs with a
# Python codec that knows them by wrapping each pair in the designation.
_FOREIGN_2BYTE: dict[bytes, str] = {
    b"$(D": "iso2022_jp_2",  # JIS X 0212
    b"$A": "iso2022_jp_2",  # GB 2312
    b"$(C": "iso2022_jp_2",  # KS C 5601
    b"$(O": "iso2022_jp_2004",  # JIS X 0213 plane 1
    b"$(Q": "iso2022_jp_2004",  # JIS X 0213:2004 plane 1
    b"$(P": "iso2022_jp_2004",  # JIS X 0213 plane 2
}
_ESCAPES: tuple[bytes, ...] = (
    b"(B",
    b"(J",
    b"(H",
    b"(I",
    b"$@",
    b"$B",
    b"$(B",
    b"$(@",
    b"&@",
    b".A",
    b".F",
    b"N",
    *_FOREIGN_2BYTE,
)

_Mode = Literal["ascii", "jis0208", "kana", "foreign"]
# Called for an undecodable span (start, end, reason); returns what stands in for it.
_OnError = Callable[[int, int, str], str]


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    s1 = ((j1 - 0x21) >> 1) + 0x81
    if s1 > 0x9F:
        s1 += 0x40
    if j1 & 1:
        s2 = j2 + 0x1F
        if s2 >= 0x7F:
            s2 += 1
    else:
        s2 = j2 + 0x7E
    return bytes((s1, s2))


def _sjis_to_jis(s1: int, s2: int) -> tuple[int, int]:
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        return j1 + 1, s2 - 0x7E
    return j1, s2 - 0x1F - (1 if s2 >= 0x80 else 0)


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


def _decode(data: bytes, on_error: _OnError) -> str:
    """The decoder; every undecodable span goes to ``on_error``."""
    out: list[str] = []
    mode: _Mode = "ascii"
    before_so: _Mode = "ascii"
    foreign = b""
    g2 = ""
    pair_buf = bytearray()
    pair_starts: list[int] = []  # where each pair in pair_buf starts in ``data``

    def flush_pairs() -> None:
        if not pair_buf:
            return
        try:
            out.append(bytes(pair_buf).decode("cp932"))
        except UnicodeDecodeError:
            # Decode pair by pair so one bad cell does not taint its neighbours.
            for k, start in enumerate(pair_starts):
                try:
                    out.append(bytes(pair_buf[2 * k : 2 * k + 2]).decode("cp932"))
                except UnicodeDecodeError:
                    out.append(on_error(start, start + 2, "no CP932 character for this JIS pair"))
        pair_buf.clear()
        pair_starts.clear()

    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == _ESC:
            seq = next((e for e in _ESCAPES if data.startswith(e, i + 1)), None)
            if seq is None:
                flush_pairs()
                out.append(on_error(i, i + 1, "unknown escape sequence"))
                i += 1
                continue
            start = i
            i += 1 + len(seq)
            if seq == b"N":  # ISO-2022-JP-2 single shift 2
                flush_pairs()
                if i < n and g2:
                    out.append(bytes((data[i] | 0x80,)).decode(g2, "replace"))
                    i += 1
                else:
                    out.append(on_error(start, i, "single shift without a G2 character set"))
                continue
            if seq in {b".A", b".F"}:
                g2 = "latin-1" if seq == b".A" else "iso8859_7"
                continue
            if seq == b"&@":  # JIS X 0208-1990 announcer, followed by ESC $ B
                continue
            flush_pairs()
            if seq in {b"(B", b"(J", b"(H"}:
                mode = "ascii"
            elif seq == b"(I":
                mode = "kana"
            elif seq in {b"$@", b"$B", b"$(B", b"$(@"}:
                mode = "jis0208"
            else:
                mode = "foreign"
                foreign = seq
            continue
        if b == _SO:  # CP50222-style shift into half-width katakana
            flush_pairs()
            before_so, mode = (mode if mode != "kana" else before_so), "kana"
            i += 1
            continue
        if b == _SI:
            flush_pairs()
            mode = before_so
            i += 1
            continue
        if mode in {"jis0208", "foreign"} and 0x21 <= b <= 0x7E:
            if i + 1 >= n or not 0x21 <= data[i + 1] <= 0x7E:
                flush_pairs()
                out.append(on_error(i, i + 1, "incomplete double-byte character"))
                i += 1
                continue
            if mode == "jis0208":
                pair_starts.append(i)
                pair_buf += _jis_to_sjis(b, data[i + 1])
            else:
                codec = _FOREIGN_2BYTE[foreign]
                chunk = b"\x1b" + foreign + data[i : i + 2] + b"\x1b(B"
                try:
                    out.append(chunk.decode(codec))
                except UnicodeDecodeError:
                    out.append(on_error(i, i + 2, f"not a character of {codec}"))
            i += 2
            continue
        flush_pairs()
        if b >= 0x80:
            # Not 7-bit: the label is wrong; the caller may retry other codecs.
            out.append(on_error(i, i + 1, "8-bit byte in a 7-bit encoding"))
        elif mode == "kana" and 0x21 <= b <= 0x5F:
            out.append(bytes((b + 0x80,)).decode("cp932"))
        else:
            # ASCII, JIS-Roman, and controls/space inside 2-byte mode (lenient).
            out.append(chr(b))
        i += 1
    flush_pairs()
    return "".join(out)


def decode_iso2022jp_ms(data: bytes) -> tuple[str, bool]:
    """Decode ISO-2022-JP including Windows (CP932) characters.

    JIS X 0208 pairs are mapped to Shift_JIS and decoded as CP932, which covers NEC
    row 13 (①, ㈱) and the NEC-selected IBM extensions (髙). Returns
    ``(text, had_errors)``; invalid sequences become U+FFFD.
    """
    bad = False

    def replace(start: int, end: int, reason: str) -> str:
        nonlocal bad
        bad = True
        return "\ufffd"

    return _decode(data, replace), bad


def _codec_decode(data: ReadableBuffer, errors: str = "strict", /) -> tuple[str, int]:
    raw = bytes(data)
    handler = codecs.lookup_error(errors)

    def on_error(start: int, end: int, reason: str) -> str:
        # The position to resume at is not used: decoding goes on after the bad span.
        replacement, _resume = handler(UnicodeDecodeError(ISO_2022_JP_MS, raw, start, end, reason))
        return replacement if isinstance(replacement, str) else replacement.decode("latin-1")

    return _decode(raw, on_error), len(raw)


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------

_NEC_EQUIVALENT: dict[str, bytes] | None = None


def _nec_equivalents() -> dict[str, bytes]:
    """Map characters of IBM extension rows (0xFA-0xFC) to their NEC encodings."""
    global _NEC_EQUIVALENT
    if _NEC_EQUIVALENT is None:
        table: dict[str, bytes] = {}
        for lead in (0x81, 0x87, 0xED, 0xEE):
            for trail in range(0x40, 0xFD):
                raw = bytes((lead, trail))
                try:
                    table.setdefault(raw.decode("cp932"), raw)
                except UnicodeDecodeError:
                    continue
        _NEC_EQUIVALENT = table
    return _NEC_EQUIVALENT


def _codec_encode(text: str, errors: str = "strict", /) -> tuple[bytes, int]:
    out = bytearray()
    mode: _Mode = "ascii"

    def switch(new: _Mode) -> None:
        nonlocal mode
        if new != mode:
            out.extend({"ascii": b"\x1b(B", "jis0208": b"\x1b$B", "kana": b"\x1b(I"}[new])
            mode = new

    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ord(ch) < 0x80:
            switch("ascii")
            out.append(ord(ch))
            pos += 1
            continue
        try:
            sjis = ch.encode("cp932")
        except UnicodeEncodeError:
            sjis = b""
        if len(sjis) == 2 and sjis[0] >= 0xF0:
            # IBM extension / user-defined area has no JIS row in CP50221.
            sjis = _nec_equivalents().get(ch, b"")
        if len(sjis) == 1 and 0xA1 <= sjis[0] <= 0xDF:
            switch("kana")
            out.append(sjis[0] - 0x80)
        elif len(sjis) == 2:
            switch("jis0208")
            out.extend(_sjis_to_jis(sjis[0], sjis[1]))
        else:
            problem = UnicodeEncodeError(
                ISO_2022_JP_MS, text, pos, pos + 1, "not representable in CP932"
            )
            replacement, resume = codecs.lookup_error(errors)(problem)
            # The error handlers' replacements ("?", "&#...;", "\\u...") are ASCII.
            data = replacement if isinstance(replacement, bytes) else replacement.encode("ascii")
            switch("ascii")
            out.extend(data)
            pos = resume if resume > pos else pos + 1
            continue
        pos += 1
    switch("ascii")
    return bytes(out), len(text)


def encode_iso2022jp_ms(text: str, errors: str = "strict") -> bytes:
    """Encode ``text`` as ISO-2022-JP the way Windows mail clients do (CP50221).

    Characters go through CP932, so ①, ㈱, 髙 etc. are representable; half-width
    katakana use ``ESC ( I``. The output always ends in ASCII mode. Unencodable characters
    go to the ``errors`` handler (``"replace"`` writes ``?``; ``"strict"`` raises
    :class:`UnicodeEncodeError`).
    """
    return _codec_encode(text, errors)[0]


# --------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------

_CODEC = codecs.CodecInfo(name=ISO_2022_JP_MS, encode=_codec_encode, decode=_codec_decode)


def _search(name: str) -> codecs.CodecInfo | None:
    # codecs.lookup() lower-cases the name and turns punctuation into underscores.
    return _CODEC if name.replace("-", "_") == "iso_2022_jp_ms" else None


codecs.register(_search)
