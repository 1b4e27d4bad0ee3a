"""Charsets of Japanese mail: canonical names, decoding with recovery, guessing when unlabelled.

Python's ``shift_jis`` and ``iso2022_jp*`` reject the Windows characters (①, ㈱, 髙, NEC/IBM
extensions) Japanese mail is full of, so the Shift_JIS family is decoded as CP932 and
ISO-2022-JP with :mod:`intake.adapters.iso2022jp_ms`.

Nothing in this module raises on bad input or silently drops data: undecodable bytes become
U+FFFD and the caller is told via a flag.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from intake.adapters.iso2022jp_ms import ISO_2022_JP_MS

__all__ = [
    "CP932",
    "EUCJP",
    "ISO2022JP",
    "UTF8",
    "DecodeResult",
    "decode_bytes",
    "decode_text",
    "looks_like_iso2022jp",
    "normalize_charset",
    "strict_decode",
]

# Canonical names returned by normalize_charset() for the charsets handled specially.
CP932 = "cp932"
ISO2022JP = "iso-2022-jp"
EUCJP = "euc-jp"
UTF8 = "utf-8"
# Labels decoded by another codec than Python's of that name.
_PYTHON_CODECS = {ISO2022JP: ISO_2022_JP_MS}

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
    strict = strict_decode(data, label)
    if strict is not None:
        return DecodeResult(strict, False, label)
    # The label is wrong or the data is damaged; try the usual suspects strictly
    # (pointless for 7-bit data, which they would pass through unchanged).
    for alt in (UTF8, CP932):
        if alt != label and not data.isascii():
            text = strict_decode(data, alt)
            if text is not None:
                return DecodeResult(text, False, alt)
    if b"\x1b" in data and label != ISO2022JP:
        text = strict_decode(data, ISO2022JP)
        if text is not None:
            return DecodeResult(text, False, ISO2022JP)
    return DecodeResult(_replace_decode(data, label), True, label)


def _guess(data: bytes) -> DecodeResult:
    # Missing/unknown charset: UTF-8 is unambiguous when it validates, CP932 is the
    # Japanese default, latin-1 accepts anything (so had_errors stays False).
    if looks_like_iso2022jp(data):
        text = strict_decode(data, ISO2022JP)
        if text is not None:
            return DecodeResult(text, False, ISO2022JP)
    for alt in (UTF8, CP932):
        guessed = strict_decode(data, alt)
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


def looks_like_iso2022jp(data: bytes) -> bool:
    """Whether ``data`` switches character sets the way ISO-2022-JP does."""
    return b"\x1b$" in data or b"\x1b(" in data


def strict_decode(data: bytes, label: str) -> str | None:
    """Strict decode of a :func:`normalize_charset` label; None on failure (including unknown
    codecs)."""
    try:
        if label == EUCJP:
            try:
                return data.decode("euc_jp")
            except UnicodeDecodeError:
                return data.decode("euc_jis_2004")
        text = data.decode(_PYTHON_CODECS.get(label, label))
    except (LookupError, UnicodeError, ValueError):
        return None
    if label == CP932 and _CP932_JUNK_RE.search(text):
        return None
    # Some codecs emit lone surrogates, which are not text and break UTF-8 sinks.
    if _has_surrogates(text):
        return None
    return text


def _replace_decode(data: bytes, label: str) -> str:
    if label == EUCJP:
        return data.decode("euc_jis_2004", "replace")
    try:
        text = data.decode(_PYTHON_CODECS.get(label, label), "replace")
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
