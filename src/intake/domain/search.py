"""One search box: what an operator types, turned into what to look for.

An operator looks a record up by whatever is at hand: a name in romaji, kanji or kana, a
sender address, a word of the subject, a 受付番号 (``T1-00012``) or a Message-ID. Each word
typed must be found (in any of those fields); a word is looked for as typed and, for kana,
in both hiragana and katakana, since forms and subjects are written either way. Full-width
letters and digits are folded (NFKC), as an IME types them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The 受付番号 told to applicants: term and application number.
_REFERENCE = re.compile(r"T(\d{1,4})-(\d{1,9})", re.IGNORECASE)
_HIRAGANA = range(0x3041, 0x3097)
_KATAKANA = range(0x30A1, 0x30F7)
_KANA_OFFSET = 0x60
MAX_WORDS = 8  # more words than this are not a search anyone types
MAX_WORD_LENGTH = 200


def format_reference(term_id: int, application_id: int) -> str:
    """The 受付番号 of an application, e.g. ``T1-00012``."""
    return f"T{term_id}-{application_id:05d}"


def parse_reference(text: str) -> tuple[int, int] | None:
    """(term id, application id) when ``text`` is a 受付番号, else None."""
    match = _REFERENCE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    return int(match[1]), int(match[2])


@dataclass(frozen=True)
class SearchToken:
    """One word of a search: found when any field contains any of ``spellings`` (ignoring
    case), or, for a 受付番号, when the record belongs to that application."""

    spellings: tuple[str, ...]
    reference: tuple[int, int] | None = None  # (term id, application id)


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + _KANA_OFFSET) if ord(c) in _HIRAGANA else c for c in text)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - _KANA_OFFSET) if ord(c) in _KATAKANA else c for c in text)


def parse_search(text: str | None) -> tuple[SearchToken, ...]:
    """The words of a search box; empty when there is nothing to look for."""
    if not text:
        return ()
    words = unicodedata.normalize("NFKC", text).split()[:MAX_WORDS]
    tokens = []
    for word in words:
        word = word[:MAX_WORD_LENGTH]
        bare = word[1:-1] if word.startswith("<") and word.endswith(">") else word  # Message-ID
        spellings = tuple(dict.fromkeys((bare, to_katakana(bare), to_hiragana(bare))))
        tokens.append(SearchToken(spellings, parse_reference(word)))
    return tuple(tokens)
