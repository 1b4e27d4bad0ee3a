"""Text normalisation used wherever names are compared (never for display)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from intake.domain.model import TOKYO

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
    return re.sub(r"[\s._'’-]+", "", bare).casefold()


def format_jst(instant: datetime) -> str:
    """An instant as the secretariat writes it, in Tokyo time: 2025年5月7日 17:00."""
    local = instant.astimezone(TOKYO)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
