"""Japanese charset handling: CP932, CP50220-style ISO-2022-JP, RFC 2047 headers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.adapters.jpcodec import (
    decode_bytes,
    decode_header_detailed,
    decode_header_value,
    decode_iso2022jp_ms,
    decode_text,
    encode_iso2022jp_ms,
    normalize_charset,
)

WINDOWS_CHARS = "①㈱髙纊ⅰⅠ￢∵№℡"


def _b_word(data: bytes, charset: str = "ISO-2022-JP") -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("shift_jis", "cp932"),
        ("Shift-JIS", "cp932"),
        ("sjis", "cp932"),
        ("x-sjis", "cp932"),
        ("Windows-31J", "cp932"),
        ("MS932", "cp932"),
        ("cp932", "cp932"),
        ("csShiftJIS", "cp932"),
        ("ISO-2022-JP", "iso-2022-jp"),
        ("iso-2022-jp-ms", "iso-2022-jp"),
        ("csISO2022JP", "iso-2022-jp"),
        ("iso-2022-jp-1", "iso-2022-jp"),
        ("iso-2022-jp-2", "iso-2022-jp"),
        ("iso-2022-jp-3", "iso-2022-jp"),
        ('"EUC-JP"', "euc-jp"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("us-ascii", "ascii"),
        (None, ""),
        ("", ""),
        ("x-no-such-charset", "x-no-such-charset"),
    ],
)
def test_normalize_charset(label: str | None, expected: str) -> None:
    assert normalize_charset(label) == expected


def test_python_iso2022_codecs_reject_windows_chars() -> None:
    """The trap this module exists for: no stdlib ISO-2022-JP codec decodes ①㈱髙."""
    data = encode_iso2022jp_ms("①㈱髙")
    for codec in (
        "iso2022_jp",
        "iso2022_jp_1",
        "iso2022_jp_2",
        "iso2022_jp_3",
        "iso2022_jp_ext",
        "iso2022_jp_2004",
    ):
        with pytest.raises(UnicodeDecodeError):
            data.decode(codec)
    assert decode_bytes(data, "ISO-2022-JP") == ("①㈱髙", False)


def test_encode_iso2022jp_ms_windows_chars_round_trip() -> None:
    text = f"受講申込書{WINDOWS_CHARS} ｶﾀｶﾅ ABC\r\n二行目"
    data = encode_iso2022jp_ms(text)
    assert data.isascii()
    assert data.startswith(b"\x1b$B")
    assert data.endswith(b"\x1b(B")  # always back to ASCII at the end
    assert b"\x1b(I" in data  # half-width katakana in CP50221 style
    assert decode_iso2022jp_ms(data) == (text, False)


def test_encode_iso2022jp_ms_known_bytes() -> None:
    # ① is NEC row 13 (JIS 0x2D21); 髙 is the NEC-selected IBM extension (JIS 0x7C62).
    assert encode_iso2022jp_ms("①") == b"\x1b$B-!\x1b(B"
    assert encode_iso2022jp_ms("髙") == b"\x1b$B|b\x1b(B"
    assert encode_iso2022jp_ms("a") == b"a"


def test_encode_iso2022jp_ms_unencodable() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_iso2022jp_ms("emoji 😀")
    assert encode_iso2022jp_ms("x😀", errors="replace") == b"x?"


def test_wave_dash_from_windows_becomes_fullwidth_tilde() -> None:
    # Windows sends 〜 as JIS 0x2141; through CP932 that is U+FF5E.
    assert decode_bytes(b"\x1b$B!A\x1b(B", "iso-2022-jp") == ("～", False)


def test_iso2022jp_other_designations() -> None:
    assert decode_bytes(b"\x1b(Jabc\x1b(I12\x1b(B", "iso-2022-jp") == ("abcｱｲ", False)
    # SO/SI shift to half-width katakana (CP50222 style).
    assert decode_bytes(b"a\x0e12\x0fz", "iso-2022-jp") == ("aｱｲz", False)
    # JIS X 0212 segment falls back to Python's iso2022_jp_2.
    assert decode_bytes(b"\x1b$(D\x22\x2f\x1b(B", "iso-2022-jp") == ("˘", False)
    # ESC $ @ (JIS C 6226) is treated like ESC $ B.
    assert decode_bytes(b'\x1b$@$"\x1b(B', "iso-2022-jp") == ("あ", False)


@pytest.mark.parametrize(
    "data",
    [
        b"\x1b$B$",  # truncated pair
        b"ok\x1b(Xzz",  # unknown escape
        b'\x1b$B$"\x1b(B\xff',  # 8-bit byte in a 7-bit charset, not valid UTF-8/CP932 either
    ],
)
def test_invalid_iso2022jp_marks_errors(data: bytes) -> None:
    text, bad = decode_bytes(data, "iso-2022-jp")
    assert bad
    assert "\ufffd" in text


def test_decode_bytes_cp932_family() -> None:
    raw = f"申込書{WINDOWS_CHARS}ﾃｽﾄ".encode("cp932")
    for label in ("Shift_JIS", "sjis", "windows-31j", "MS932", "csShiftJIS"):
        assert decode_bytes(raw, label) == (f"申込書{WINDOWS_CHARS}ﾃｽﾄ", False)
    # Python's shift_jis itself would fail on these.
    with pytest.raises(UnicodeDecodeError):
        raw.decode("shift_jis")


def test_decode_bytes_mislabelled_is_recovered() -> None:
    assert decode_bytes("日本語".encode(), "shift_jis") == ("日本語", False)
    assert decode_text("日本語".encode(), "iso-2022-jp").codec == "utf-8"
    assert decode_bytes("日本語".encode("cp932"), "utf-8") == ("日本語", False)


def test_decode_bytes_unknown_or_missing_charset() -> None:
    assert decode_bytes("あ".encode(), None) == ("あ", False)
    assert decode_bytes("あ".encode("cp932"), None) == ("あ", False)
    assert decode_bytes("あ".encode("cp932"), "x-unknown-thing") == ("あ", False)
    result = decode_text(b"\xff\xfe\xfd", None)
    assert (result.text, result.had_errors, result.codec) == ("ÿþý", False, "latin-1")
    assert decode_bytes(b"", "shift_jis") == ("", False)


def test_decode_bytes_euc_jp_falls_back_to_euc_jis_2004() -> None:
    raw = "①𠀋".encode("euc_jis_2004")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("euc_jp")
    assert decode_bytes(raw, "EUC-JP") == ("①𠀋", False)


def test_decode_bytes_never_drops_invalid_bytes() -> None:
    text, bad = decode_bytes(b"\x82\xa0\xff", "shift_jis")
    assert bad
    assert text == "あ\ufffd"


@given(
    st.binary(max_size=200),
    st.sampled_from([None, "shift_jis", "iso-2022-jp", "utf-8", "euc-jp", "nonsense", "us-ascii"]),
)
def test_decode_bytes_never_raises(data: bytes, charset: str | None) -> None:
    text, bad = decode_bytes(data, charset)
    assert isinstance(text, str)
    text.encode("utf-8")  # no lone surrogates
    if "\ufffd" in text and "\ufffd".encode() not in data:
        assert bad


@given(st.text(alphabet=st.sampled_from("あア亜申表ソ①㈱髙纊ⅰ〜ｶﾞabc \r\n\\"), max_size=60))
def test_iso2022jp_round_trip_property(text: str) -> None:
    expected = text.replace("〜", "～")
    assert decode_iso2022jp_ms(encode_iso2022jp_ms(text)) == (expected, False)


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


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
