"""Header text: raw 8-bit octets and RFC 2047 encoded-words as Japanese clients write them."""

from __future__ import annotations

import base64

from intake.adapters.iso2022jp_ms import encode_iso2022jp_ms
from intake.adapters.rfc2047 import decode_header_detailed, decode_header_value


def _b_word(data: bytes, charset: str = "ISO-2022-JP") -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="


def test_decode_header_joins_adjacent_words_split_mid_character() -> None:
    data = "受講申込書".encode()
    words = [_b_word(data[:4], "UTF-8"), _b_word(data[4:], "UTF-8")]  # 4 = inside 講
    assert decode_header_value(" ".join(words)) == "受講申込書"
    assert decode_header_value("\r\n ".join(words)) == "受講申込書"


def test_decode_header_joins_iso2022jp_split_inside_shift_state() -> None:
    data = encode_iso2022jp_ms("受講申込書①㈱髙.xlsx")
    # Split after ESC $ B plus 3 bytes: inside JIS mode and inside a JIS pair.
    cut = 3 + 3
    words = [_b_word(data[:cut]), _b_word(data[cut:])]
    assert base64.b64decode(words[1][16:-2])[:1] != b"\x1b"
    assert decode_header_value(f'filename="{words[0]}\r\n {words[1]}"') == (
        'filename="受講申込書①㈱髙.xlsx"'
    )


def test_decode_header_whitespace_rules() -> None:
    word = _b_word("あ".encode(), "UTF-8")
    assert decode_header_value(f"Re: {word} {word} x") == "Re: ああ x"
    assert decode_header_value(f"{word}.xlsx") == "あ.xlsx"
    assert decode_header_value("=?utf-8?q?=E3=81=82_b?=") == "あ b"
    assert decode_header_value("=?ISO-2022-JP*ja?B?GyRCJCIbKEI=?=") == "あ"
    assert decode_header_value("plain ascii") == "plain ascii"


def test_decode_header_mixed_charsets_are_decoded_separately() -> None:
    value = f"{_b_word(encode_iso2022jp_ms('①'))} {_b_word('あ'.encode('cp932'), 'Shift_JIS')}"
    assert decode_header_value(value) == "①あ"


def test_decode_header_raw_8bit_surrogateescaped() -> None:
    # The email package hands raw 8-bit header octets over as lone surrogates.
    cp932 = "受講申込書.xlsx".encode("cp932").decode("ascii", "surrogateescape")
    utf8 = "受講申込書.xlsx".encode().decode("ascii", "surrogateescape")
    assert decode_header_value(cp932) == "受講申込書.xlsx"
    assert decode_header_value(utf8) == "受講申込書.xlsx"


def test_decode_header_bad_encoded_word_is_kept() -> None:
    text, bad = decode_header_detailed("=?utf-8?B?#?= tail")
    assert text == "=?utf-8?B?#?= tail"
    assert bad
