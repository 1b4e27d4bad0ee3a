"""Charsets of Japanese mail: canonical names, decoding with recovery, guessing when unlabelled.

Python's ``shift_jis`` and ``iso2022_jp*`` reject the Windows characters (①, ㈱, 髙, NEC/IBM
extensions) Japanese mail is full of, so the Shift_JIS family is decoded as CP932 and
ISO-2022-JP with :mod:`intake.adapters.iso2022jp_ms`.

Text whose charset nobody declared (raw 8-bit headers, an unknown label) is guessed: ISO-2022-JP
by its escapes, UTF-8 when it validates, the charset the mail declares elsewhere (the body's) as
a hint, CP932, and finally cp1252. A guess nothing confirms is flagged (``guessed``) so that the
caller keeps the bytes as sent visible in the record.

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
    "Guess",
    "decode_bytes",
    "decode_text",
    "guess_text",
    "informative_charset",
    "is_known_charset",
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
# Labels decoded by the superset their senders really use (as Shift_JIS is read as CP932), and
# labels Python does not know under that name. GB18030 covers GB2312 and GBK; the "-i"/"-e"
# Hebrew and Arabic labels only say how the text is laid out, not how it is encoded.
_WIDENED = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc_kr": "cp949",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-8-e": "iso8859-8",
    "csiso88598i": "iso8859-8",
    "csiso88598e": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "csiso88596i": "iso8859-6",
    "csiso88596e": "iso8859-6",
}


@dataclass(frozen=True)
class DecodeResult:
    """Decoded text plus how it was obtained (for defect reporting)."""

    text: str
    had_errors: bool  # True when U+FFFD had to be substituted somewhere
    codec: str  # codec that produced ``text`` (may differ from the declared charset)
    # True when the charset was not declared (or by an unknown label) and nothing confirms the
    # codec that was used: the bytes as sent belong in the record.
    guessed: bool = False


@dataclass(frozen=True)
class Guess:
    """Bytes read with a guessed charset, kept so that the record can show them as sent."""

    raw: bytes
    codec: str
    declared: str | None = None  # the unknown label, when one was given


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
    if label in _WIDENED:
        return _WIDENED[label]
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return label
    # codecs.lookup() maps shift_jis etc. to their own names; fold them again.
    if name in {"shift_jis", "shift_jisx0213", "shift_jis_2004"}:
        return CP932
    if name.startswith("iso2022_jp"):
        return ISO2022JP
    if name in _WIDENED:
        return _WIDENED[name]
    return "utf-8" if name == "utf-8" else name


def informative_charset(charset: str | None) -> str | None:
    """``charset`` as a hint for undeclared text: a known charset beyond ASCII, else None."""
    label = normalize_charset(charset)
    if label in _GUESS_ALIASES or label == "ascii" or not _known(label):
        return None
    return label


def is_known_charset(charset: str | None) -> bool:
    """Whether ``charset`` names a charset (missing and ASCII-only labels count as known)."""
    label = normalize_charset(charset)
    return label in _GUESS_ALIASES or label == "ascii" or _known(label)


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
    if label in _GUESS_ALIASES or label == "ascii":
        return guess_text(data)
    if not _known(label):
        # An unknown label is never read silently: whatever the guess, it is reported.
        found = guess_text(data)
        unsure = found.guessed or not data.isascii()
        return DecodeResult(found.text, found.had_errors, found.codec, guessed=unsure)
    strict = strict_decode(data, label)
    if strict is not None:
        return DecodeResult(strict, False, label)
    # The label is wrong or the data is damaged; try the usual suspects strictly
    # (pointless for 7-bit data, which they would pass through unchanged).
    for alt in (UTF8, CP932):
        if alt != label and not data.isascii():
            text = _guessed_strict(data, alt)
            if text is not None:
                return DecodeResult(text, False, alt)
    if b"\x1b" in data and label != ISO2022JP:
        text = strict_decode(data, ISO2022JP)
        if text is not None:
            return DecodeResult(text, False, ISO2022JP)
    return DecodeResult(_replace_decode(data, label), True, label)


def guess_text(data: bytes, hint: str | None = None, *, header: bool = False) -> DecodeResult:
    """Decode bytes whose charset nobody declared.

    ISO-2022-JP (by its escapes), UTF-8 and ``hint`` (a charset the mail declares elsewhere)
    are sure when they decode. CP932 is the Japanese default, but a result in its user-defined
    range (private use) counts as failed, and kanji wedged between Latin letters is what
    Latin-1 text becomes through CP932: then cp1252 is preferred. A body always gets text
    (cp1252, or latin-1, accepts anything); a ``header`` only when the Latin reading is
    plausible text, else U+FFFD replaces what cannot be read (``had_errors``).
    """
    if data.isascii() and b"\x1b" not in data:
        return DecodeResult(data.decode("ascii"), False, "ascii")
    if looks_like_iso2022jp(data):
        text = strict_decode(data, ISO2022JP)
        if text is not None:
            return DecodeResult(text, False, ISO2022JP)
    text = strict_decode(data, UTF8)
    if text is not None:
        return DecodeResult(text, False, UTF8)
    declared = normalize_charset(hint)
    if declared and declared not in _GUESS_ALIASES and declared not in {"ascii", UTF8}:
        text = strict_decode(data, declared)
        if text is not None:
            return DecodeResult(text, False, declared)
    japanese = _guessed_strict(data, CP932)
    latin_codec, latin = _latin(data)
    if japanese is not None and not (_MOJIBAKE_RE.search(japanese) and _plausible_latin(latin)):
        return DecodeResult(
            japanese, False, CP932, guessed=_HALFWIDTH_KANA_RE.search(japanese) is not None
        )
    if not header or _plausible_latin(latin):
        return DecodeResult(latin, False, latin_codec, guessed=True)
    return DecodeResult(_replace_decode(data, UTF8), True, UTF8)


def _guessed_strict(data: bytes, label: str) -> str | None:
    """A strict decode for a guess: CP932's user-defined range is no real text."""
    text = strict_decode(data, label)
    if text is not None and label == CP932 and _PRIVATE_USE_RE.search(text):
        return None
    return text


def _latin(data: bytes) -> tuple[str, str]:
    """cp1252 where it differs from latin-1 (0x80-0x9F are letters and quotes there)."""
    if any(0x80 <= b <= 0x9F for b in data):
        try:
            return "cp1252", data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return "latin-1", data.decode("latin-1")


def _plausible_latin(text: str) -> bool:
    """Words with accents and typographic quotes: Latin letters and no control characters."""
    return _ASCII_LETTER_RE.search(text) is not None and _LATIN_CONTROL_RE.search(text) is None


def _known(label: str) -> bool:
    if label in {CP932, ISO2022JP, EUCJP}:
        return True
    try:
        codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a NUL in the label
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
# CP932's user-defined area (0xF040-0xF9FC) decodes to private use: never a guess's result.
_PRIVATE_USE_RE = re.compile("[\ue000-\uf8ff]")
# Latin-1 words through CP932: kanji between Latin letters (「Hélène」 -> H + 2 kanji + ne).
_MOJIBAKE_RE = re.compile("[A-Za-z][\u3400-\u9fff\uf900-\ufaff]+[A-Za-z]")
# Half-width katakana is what accented capitals become through CP932; real, but unsure.
_HALFWIDTH_KANA_RE = re.compile("[\uff61-\uff9f]")
_ASCII_LETTER_RE = re.compile("[A-Za-z]")
_LATIN_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _has_surrogates(text: str) -> bool:
    return _SURROGATE_RE.search(text) is not None
