"""Charsets of Japanese mail: canonical labels, recovery from wrong labels, guessing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.adapters.charsets import decode_bytes, decode_text, normalize_charset

WINDOWS_CHARS = "①㈱髙纊ⅰⅠ￢∵№℡"


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
