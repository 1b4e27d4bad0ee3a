"""Text normalisation used wherever names are compared (never for display), and text from mail
made fit to store."""

from __future__ import annotations

import re
import unicodedata

# Characters Windows and Mac produce for the "same" wave dash / minus; NFKC leaves them apart.
_UNIFY = str.maketrans(
    {
        "\u301c": "~",  # WAVE DASH (what ISO-2022-JP 0x2141 decodes to)
        "\uff5e": "~",  # FULLWIDTH TILDE (what Windows means by it)
        "\u2212": "-",  # MINUS SIGN
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\uff0d": "-",
        "\u30fc": "ー",
    }
)
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, wave-dash/minus unification, collapsed white space (ideographic spaces included)."""
    folded = unicodedata.normalize("NFKC", text).translate(_UNIFY)
    return _SPACES.sub(" ", folded).strip()


def name_key(name: str) -> str:
    """The comparison key of a romaji name: case, spacing and macrons do not matter."""
    decomposed = unicodedata.normalize("NFKD", normalize(name))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s._'’・-]+", "", bare).casefold()


def same_name(a: str, b: str) -> bool:
    """Romaji names match when equal as keys, or with their words in another order
    (「Taro YAMADA」 and 「YAMADA Taro」)."""
    if name_key(a) == name_key(b):
        return True
    words = re.compile(r"[\s_・]+")
    return sorted(name_key(w) for w in words.split(normalize(a))) == sorted(
        name_key(w) for w in words.split(normalize(b))
    )


def strip_directories(filename: str) -> str:
    """The last component of a sender-supplied name: a name from mail is never a path."""
    return re.split(r"[/\\]", filename)[-1]


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def storable_text(text: str, limit: int | None = None) -> str:
    """Text from mail as a database can hold it: no control characters (PostgreSQL refuses
    NUL), and within the column's length."""
    cleaned = _CONTROL.sub("", text)
    return cleaned[:limit] if limit is not None else cleaned
