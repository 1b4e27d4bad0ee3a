"""Japanese charset handling for mail: CP932, CP50220-style ISO-2022-JP, RFC 2047.

Python's ``iso2022_jp*`` codecs reject the Windows characters (①, ㈱, 髙, NEC/IBM
extensions) that Outlook and other Windows clients put into ISO-2022-JP mail, and
``shift_jis`` rejects them too.  Everything here therefore goes through CP932:
ISO-2022-JP is decoded by walking the escape sequences and converting each JIS
X 0208 pair to Shift_JIS, then decoding with ``cp932``.

Nothing in this module raises on bad input or silently drops data: undecodable
bytes become U+FFFD and the caller is told via a flag.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DecodeResult",
    "decode_bytes",
    "decode_header_detailed",
    "decode_header_value",
    "decode_iso2022jp_ms",
    "decode_raw_header",
    "decode_text",
    "encode_iso2022jp_ms",
    "header_str_to_bytes",
    "normalize_charset",
]

# Canonical names returned by normalize_charset() for the charsets handled specially.
CP932 = "cp932"
ISO2022JP = "iso-2022-jp"
EUCJP = "euc-jp"
UTF8 = "utf-8"

_CP932_ALIASES = frozenset(
    {
        "shift_jis",
        "shift-jis",
        "shiftjis",
        "sjis",
        "x-sjis",
        "s-jis",
        "ms_kanji",
        "windows-31j",
        "windows31j",
        "ms932",
        "cp932",
        "ibm-943",
        "csshiftjis",
        "cswindows31j",
        "x-ms-cp932",
    }
)
_ISO2022JP_ALIASES = frozenset(
    {
        "iso-2022-jp",
        "iso2022-jp",
        "iso2022jp",
        "iso_2022_jp",
        "iso-2022-jp-ms",
        "iso-2022-jp-1",
        "iso-2022-jp-2",
        "iso-2022-jp-3",
        "iso-2022-jp-2004",
        "csiso2022jp",
        "csiso2022jp2",
        "cp50220",
        "cp50221",
        "cp50222",
        "jis",
    }
)
_EUCJP_ALIASES = frozenset(
    {"euc-jp", "eucjp", "euc_jp", "x-euc-jp", "cseucpkdfmtjapanese", "ujis", "euc-jis-2004"}
)
# Labels that promise nothing beyond ASCII; real mail mislabels 8-bit text this way.
_GUESS_ALIASES = frozenset({"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "default"})


@dataclass(frozen=True)
class DecodeResult:
    """Decoded text plus how it was obtained (for defect reporting)."""

    text: str
    had_errors: bool  # True when U+FFFD had to be substituted somewhere
    codec: str  # codec that produced ``text`` (may differ from the declared charset)


def normalize_charset(charset: str | None) -> str:
    """Return a canonical lower-case charset label; ``""`` when missing.

    The Japanese families collapse to ``"cp932"``, ``"iso-2022-jp"`` and ``"euc-jp"``;
    other labels known to Python become Python's codec name, unknown labels are
    returned lower-cased so callers can still report them.
    """
    if not charset:
        return ""
    label = charset.strip().strip("\"'").strip().lower()
    # RFC 2231 allows "charset*language"; the language is irrelevant for decoding.
    label = label.split("*", 1)[0]
    if label in _CP932_ALIASES:
        return CP932
    if label in _ISO2022JP_ALIASES:
        return ISO2022JP
    if label in _EUCJP_ALIASES:
        return EUCJP
    if label in {"us-ascii", "ascii"}:
        return "ascii"
    if label in _GUESS_ALIASES:
        return label
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return label
    # codecs.lookup() maps shift_jis etc. to their own names; fold them again.
    if name in {"shift_jis", "shift_jisx0213", "shift_jis_2004"}:
        return CP932
    if name.startswith("iso2022_jp"):
        return ISO2022JP
    return "utf-8" if name == "utf-8" else name


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode ``data`` declared as ``charset``; returns ``(text, had_errors)``.

    Never raises and never drops bytes: anything undecodable becomes U+FFFD and
    ``had_errors`` is True.  Mislabelled data is recovered by retrying strictly
    with UTF-8 and CP932 before falling back to replacement characters.
    """
    result = decode_text(data, charset)
    return result.text, result.had_errors


def decode_text(data: bytes, charset: str | None) -> DecodeResult:
    """Like :func:`decode_bytes` but also reports which codec was used."""
    label = normalize_charset(charset)
    if not data:
        return DecodeResult("", False, label or UTF8)
    if label in _GUESS_ALIASES or label == "ascii" or not _known(label):
        return _guess(data)
    strict = _strict_decode(data, label)
    if strict is not None:
        return DecodeResult(strict, False, label)
    # The label is wrong or the data is damaged; try the usual suspects strictly
    # (pointless for 7-bit data, which they would pass through unchanged).
    for alt in (UTF8, CP932):
        if alt != label and not data.isascii():
            text = _strict_decode(data, alt)
            if text is not None:
                return DecodeResult(text, False, alt)
    if b"\x1b" in data and label != ISO2022JP:
        text, bad = decode_iso2022jp_ms(data)
        if not bad:
            return DecodeResult(text, False, ISO2022JP)
    return DecodeResult(_replace_decode(data, label), True, label)


def _guess(data: bytes) -> DecodeResult:
    # Missing/unknown charset: UTF-8 is unambiguous when it validates, CP932 is the
    # Japanese default, latin-1 accepts anything (so had_errors stays False).
    if b"\x1b$" in data or b"\x1b(" in data:
        text, bad = decode_iso2022jp_ms(data)
        if not bad:
            return DecodeResult(text, False, ISO2022JP)
    for alt in (UTF8, CP932):
        guessed = _strict_decode(data, alt)
        if guessed is not None:
            return DecodeResult(guessed, False, alt)
    return DecodeResult(data.decode("latin-1"), False, "latin-1")


def _known(label: str) -> bool:
    if label in {CP932, ISO2022JP, EUCJP}:
        return True
    try:
        codecs.lookup(label)
    except LookupError:
        return False
    return True


def _strict_decode(data: bytes, label: str) -> str | None:
    """Strict decode; None on failure (including unknown codecs)."""
    try:
        if label == ISO2022JP:
            text, bad = decode_iso2022jp_ms(data)
            return None if bad else text
        if label == EUCJP:
            try:
                return data.decode("euc_jp")
            except UnicodeDecodeError:
                return data.decode("euc_jis_2004")
        text = data.decode(label)
    except (LookupError, UnicodeError, ValueError):
        return None
    if label == CP932 and _CP932_JUNK_RE.search(text):
        return None
    # Some codecs emit lone surrogates, which are not text and break UTF-8 sinks.
    if _has_surrogates(text):
        return None
    return text


def _replace_decode(data: bytes, label: str) -> str:
    if label == ISO2022JP:
        return decode_iso2022jp_ms(data)[0]
    if label == EUCJP:
        return data.decode("euc_jis_2004", "replace")
    try:
        text = data.decode(label, "replace")
    except (LookupError, UnicodeError, ValueError):
        text = data.decode("utf-8", "replace")
    if _has_surrogates(text):
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if label == CP932:
        text = _CP932_JUNK_RE.sub("\ufffd", text)
    return text


_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Python's cp932 "decodes" the lone bytes 0x80, 0xA0 and 0xFD-0xFF to these code
# points; no Japanese text contains them, so treat them as undecodable.
_CP932_JUNK_RE = re.compile("[\u0080\uf8f0-\uf8f3]")


def _has_surrogates(text: str) -> bool:
    return _SURROGATE_RE.search(text) is not None


# --------------------------------------------------------------------------------------
# ISO-2022-JP (CP50220/CP50221 style)
# --------------------------------------------------------------------------------------

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


def decode_iso2022jp_ms(data: bytes) -> tuple[str, bool]:
    """Decode ISO-2022-JP including Windows (CP932) characters.

    JIS X 0208 pairs are mapped to Shift_JIS and decoded as CP932, which covers NEC
    row 13 (①, ㈱) and the NEC-selected IBM extensions (髙).  Returns
    ``(text, had_errors)``; invalid sequences become U+FFFD.
    """
    out: list[str] = []
    bad = False
    mode: _Mode = "ascii"
    before_so: _Mode = "ascii"
    foreign = b""
    g2 = ""
    pair_buf = bytearray()

    def flush_pairs() -> None:
        nonlocal bad
        if not pair_buf:
            return
        try:
            out.append(bytes(pair_buf).decode("cp932"))
        except UnicodeDecodeError:
            # Decode pair by pair so one bad cell does not taint its neighbours.
            for k in range(0, len(pair_buf), 2):
                try:
                    out.append(bytes(pair_buf[k : k + 2]).decode("cp932"))
                except UnicodeDecodeError:
                    out.append("\ufffd")
                    bad = True
        pair_buf.clear()

    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == _ESC:
            seq = next((e for e in _ESCAPES if data.startswith(e, i + 1)), None)
            if seq is None:
                flush_pairs()
                out.append("\ufffd")
                bad = True
                i += 1
                continue
            i += 1 + len(seq)
            if seq == b"N":  # ISO-2022-JP-2 single shift 2
                flush_pairs()
                if i < n and g2:
                    out.append(bytes((data[i] | 0x80,)).decode(g2, "replace"))
                    i += 1
                else:
                    out.append("\ufffd")
                    bad = True
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
                out.append("\ufffd")
                bad = True
                i += 1
                continue
            if mode == "jis0208":
                pair_buf += _jis_to_sjis(b, data[i + 1])
            else:
                codec = _FOREIGN_2BYTE[foreign]
                chunk = b"\x1b" + foreign + data[i : i + 2] + b"\x1b(B"
                try:
                    out.append(chunk.decode(codec))
                except UnicodeDecodeError:
                    out.append("\ufffd")
                    bad = True
            i += 2
            continue
        flush_pairs()
        if b >= 0x80:
            # Not 7-bit: the label is wrong; let the caller retry other codecs.
            out.append("\ufffd")
            bad = True
        elif mode == "kana" and 0x21 <= b <= 0x5F:
            out.append(bytes((b + 0x80,)).decode("cp932"))
        else:
            # ASCII, JIS-Roman, and controls/space inside 2-byte mode (lenient).
            out.append(chr(b))
        i += 1
    flush_pairs()
    return "".join(out), bad


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


def encode_iso2022jp_ms(text: str, errors: Literal["strict", "replace"] = "strict") -> bytes:
    """Encode ``text`` as ISO-2022-JP the way Windows mail clients do (CP50221).

    Characters go through CP932, so ①, ㈱, 髙 etc. are representable; half-width
    katakana use ``ESC ( I``.  The output always ends in ASCII mode.  With
    ``errors="replace"`` unencodable characters become ``?``; otherwise
    :class:`UnicodeEncodeError` is raised.
    """
    out = bytearray()
    mode: _Mode = "ascii"

    def switch(new: _Mode) -> None:
        nonlocal mode
        if new != mode:
            out.extend({"ascii": b"\x1b(B", "jis0208": b"\x1b$B", "kana": b"\x1b(I"}[new])
            mode = new

    for pos, ch in enumerate(text):
        if ord(ch) < 0x80:
            switch("ascii")
            out.append(ord(ch))
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
        elif errors == "replace":
            switch("ascii")
            out.append(ord("?"))
        else:
            raise UnicodeEncodeError(
                "iso-2022-jp-ms", text, pos, pos + 1, "not representable in CP932"
            )
    switch("ascii")
    return bytes(out)


# --------------------------------------------------------------------------------------
# Headers: raw 8-bit and RFC 2047
# --------------------------------------------------------------------------------------

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
    if b"\x1b$" in raw or b"\x1b(" in raw:
        text, bad = decode_iso2022jp_ms(raw)
        if not bad:
            return text, False
    for alt in (UTF8, CP932):
        text2 = _strict_decode(raw, alt)
        if text2 is not None:
            return text2, False
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
