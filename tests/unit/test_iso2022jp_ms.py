"""The ISO-2022-JP codec with Windows characters (CP50220/CP50221), as a function and as a
registered codec."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.adapters.charsets import decode_bytes
from intake.adapters.iso2022jp_ms import ISO_2022_JP_MS, decode_iso2022jp_ms, encode_iso2022jp_ms

WINDOWS_CHARS = "①㈱髙纊ⅰⅠ￢∵№℡"


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


@given(st.text(alphabet=st.sampled_from("あア亜申表ソ①㈱髙纊ⅰ〜ｶﾞabc \r\n\\"), max_size=60))
def test_iso2022jp_round_trip_property(text: str) -> None:
    expected = text.replace("〜", "～")
    assert decode_iso2022jp_ms(encode_iso2022jp_ms(text)) == (expected, False)


def test_registered_with_codecs_and_its_error_handlers() -> None:
    assert codecs.lookup("ISO-2022-JP-MS").name == ISO_2022_JP_MS
    assert "①㈱髙".encode(ISO_2022_JP_MS) == encode_iso2022jp_ms("①㈱髙")
    assert "x😀y".encode(ISO_2022_JP_MS, "xmlcharrefreplace") == b"x&#128512;y"
    broken = b"ok\x1b(Xzz"
    with pytest.raises(UnicodeDecodeError) as caught:
        broken.decode(ISO_2022_JP_MS)
    assert (caught.value.encoding, caught.value.start, caught.value.end) == (ISO_2022_JP_MS, 2, 3)
    assert broken.decode(ISO_2022_JP_MS, "replace") == decode_iso2022jp_ms(broken)[0]
    assert broken.decode(ISO_2022_JP_MS, "ignore") == "ok(Xzz"
    # Python's own ISO-2022-JP is left alone.
    with pytest.raises(UnicodeDecodeError):
        "①".encode(ISO_2022_JP_MS).decode("iso-2022-jp")


def test_a_bad_pair_among_good_ones_is_located() -> None:
    # 0x2F21 is an unassigned JIS row: only that pair (bytes 5..7) is undecodable.
    data = b'\x1b$B$"/!$"\x1b(B'
    with pytest.raises(UnicodeDecodeError) as caught:
        data.decode(ISO_2022_JP_MS)
    assert (caught.value.start, caught.value.end) == (5, 7)
    assert decode_iso2022jp_ms(data) == ("あ\ufffdあ", True)
