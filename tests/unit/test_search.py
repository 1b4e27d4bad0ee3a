"""The search box: words, kana in either script, full width, 受付番号, Message-IDs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intake.domain.search import (
    MAX_WORDS,
    format_reference,
    parse_reference,
    parse_search,
    to_hiragana,
    to_katakana,
)


def test_each_word_is_looked_for_in_both_kana_scripts() -> None:
    (first, second) = parse_search("すずき　ｲﾁﾛｳ")  # an ideographic space, half-width kana
    assert set(first.spellings) == {"すずき", "スズキ"}
    assert set(second.spellings) == {"イチロウ", "いちろう"}
    (latin,) = parse_search("ＳＵＺＵＫＩ")  # full width, as typed with the IME on
    assert latin.spellings == ("SUZUKI",)


def test_a_reference_number_is_recognised_in_any_width_and_case() -> None:
    assert format_reference(1, 12) == "T1-00012"
    assert parse_reference("T1-00012") == (1, 12)
    assert parse_reference("ｔ２－００１２３") == (2, 123)
    assert parse_reference("T1-12x") is None and parse_reference("山田") is None
    (token,) = parse_search("t1-00012")
    assert token.reference == (1, 12) and token.spellings == ("t1-00012",)


def test_message_ids_are_found_with_or_without_angle_brackets() -> None:
    (token,) = parse_search("<abc.123@mail.example.jp>")
    assert token.spellings == ("abc.123@mail.example.jp",)


def test_nothing_to_look_for() -> None:
    assert parse_search(None) == () and parse_search("  \u3000 ") == ()
    assert len(parse_search(" ".join("w" * 3 for _ in range(20)))) == MAX_WORDS


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096)))
def test_hiragana_and_katakana_convert_back_and_forth(text: str) -> None:
    assert to_hiragana(to_katakana(text)) == text
