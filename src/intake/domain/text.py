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


def is_format_control(ch: str) -> bool:
    """Unicode's format controls (category Cf): invisible, and some (U+202E RIGHT-TO-LEFT
    OVERRIDE) make 「…fdp.exe」 show as 「…exe.pdf」."""
    return unicodedata.category(ch) == "Cf"


def format_controls(text: str) -> list[str]:
    """The format controls in ``text``, in order, each once."""
    return list(dict.fromkeys(ch for ch in text if is_format_control(ch)))


def without_format_controls(text: str) -> str:
    return "".join(ch for ch in text if not is_format_control(ch))


def code_point(ch: str) -> str:
    """「U+202E RIGHT-TO-LEFT OVERRIDE」: how a character is named to an operator."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def escape_invisible(text: str) -> str:
    """Text for a terminal: format controls shown as ``\\u202e`` instead of acting."""
    if text.isascii():
        return text
    return "".join(_escaped(ch) if is_format_control(ch) else ch for ch in text)


def _escaped(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def storable_text(text: str, limit: int | None = None) -> str:
    """Text from mail as a database can hold it: no control characters (PostgreSQL refuses
    NUL), and within the column's length."""
    cleaned = _CONTROL.sub("", text)
    return cleaned[:limit] if limit is not None else cleaned


# C0 (but line feed and tab), DEL and C1: escape sequences and carriage returns would drive
# the terminal showing an applicant's text.
_CONTROL_ON_SCREEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Text from mail as a terminal may show it: control characters written as ``\\x1b``
    and format controls as ``\\u202e`` (see :func:`escape_invisible`), seen, never obeyed."""
    return escape_invisible(_CONTROL_ON_SCREEN.sub(lambda m: f"\\x{ord(m.group()):02x}", text))
