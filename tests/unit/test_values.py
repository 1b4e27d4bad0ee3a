"""The value normalisers: every format applicants type, and properties over many values."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain.forms import PREFECTURES, Mark
from intake.domain.values import (
    Parsed,
    cell_text,
    is_katakana,
    is_ongoing,
    normalize_phone,
    normalize_postal_code,
    normalize_romaji,
    parse_choice,
    parse_date,
    parse_int,
    parse_mark,
    parse_yes_no,
)

FULL_WIDTH_DIGITS = str.maketrans("0123456789,-/.", "０１２３４５６７８９，－／．")


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH_DIGITS)


# ---------------------------------------------------------------------------------------------
# cell_text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("\u3000\u3000", None),
        ("\u3000山田 太郎\u3000", "山田 太郎"),
        ("ＳＵＺＵＫＩ　Ｉｃｈｉｒｏ", "ＳＵＺＵＫＩ　Ｉｃｈｉｒｏ"),  # characters kept for display
        (2350, "2350"),
        (2350.0, "2350"),
        (datetime(2025, 4, 14), "2025-04-14"),
    ],
)
def test_cell_text(raw: object, expected: str | None) -> None:
    assert cell_text(raw) == expected


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2025, 4, 14, 0, 0), date(2025, 4, 14)),
        (date(1985, 7, 12), date(1985, 7, 12)),
        (45761, date(2025, 4, 14)),  # Excel serial, 1900 date system
        (45761.5, date(2025, 4, 14)),  # with a time of day
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        ("令和3年4月1日", date(2021, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和 元年 5月 1日", date(2019, 5, 1)),
        ("令和7年6月10日", date(2025, 6, 10)),
        ("R4.3.31", date(2022, 3, 31)),
        ("R7.6.10", date(2025, 6, 10)),
        ("r4.3.31", date(2022, 3, 31)),
        ("Ｒ４．３．３１", date(2022, 3, 31)),
        ("令4.3.31", date(2022, 3, 31)),
        ("H2.3.15", date(1990, 3, 15)),
        ("平成2年3月15日", date(1990, 3, 15)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和60年7月12日", date(1985, 7, 12)),
        ("S64.1.7", date(1989, 1, 7)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("2021/4/1", date(2021, 4, 1)),
        ("2021-04-01", date(2021, 4, 1)),
        ("2021.4.1", date(2021, 4, 1)),
        ("2021年4月1日", date(2021, 4, 1)),
        ("２０２１年４月１日", date(2021, 4, 1)),
        ("２０２１／４／１", date(2021, 4, 1)),
        ("2021年4月1日（木）", date(2021, 4, 1)),
        ("20210401", date(2021, 4, 1)),
        ("2025-04-14 00:00:00", date(2025, 4, 14)),
        ("  2021/4/1\u3000", date(2021, 4, 1)),
    ],
)
def test_parse_date_reads(raw: object, expected: date) -> None:
    parsed = parse_date(raw)
    assert parsed.value == expected
    assert parsed.problem is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021年4月", date(2021, 4, 1)),
        ("令和3年4月", date(2021, 4, 1)),
        ("2021/4", date(2021, 4, 1)),
    ],
)
def test_month_only_reads_the_first_with_a_note(raw: str, expected: date) -> None:
    parsed = parse_date(raw)
    assert parsed.value == expected
    assert parsed.note is not None and "日の記入なし" in parsed.note and raw in parsed.note


def test_era_date_after_the_era_ended_is_read_with_a_note() -> None:
    parsed = parse_date("平成31年5月1日")
    assert parsed.value == date(2019, 5, 1)
    assert parsed.note is not None and "平成の終了後" in parsed.note


@pytest.mark.parametrize(
    "raw",
    [
        "1980/13/45",
        "１９８０／１３／４５",
        "2021/2/30",
        "令和1年4月1日",  # 令和 began on 5 May 2019
        "令和0年5月1日",
        "平成2年13月1日",
        "21/4/1",  # two-digit years are ambiguous
        "来年の春",
        "2021年4月1日から2022年3月31日まで",
        True,
        60,  # 1900-02-29 exists only in Excel
        -5,
        10**9,
        float("nan"),
    ],
)
def test_parse_date_problems(raw: object) -> None:
    parsed = parse_date(raw)
    assert parsed.value is None
    assert parsed.problem is not None and parsed.problem.startswith("日付として読めません")


def test_date_problem_quotes_what_was_typed() -> None:
    assert parse_date("1980/13/45") == Parsed(None, "日付として読めません（「1980/13/45」）")


@pytest.mark.parametrize("raw", [None, "", "\u3000"])
def test_blank_date_is_no_value_and_no_problem(raw: object) -> None:
    assert parse_date(raw) == Parsed(None)


@pytest.mark.parametrize(
    "raw", ["現在", "継続中", "至現在", "現在まで", "（現在）", "present", "Present", "～現在"]
)
def test_ongoing(raw: str) -> None:
    assert is_ongoing(raw)
    parsed = parse_date(raw, allow_ongoing=True)
    assert parsed.value is None and parsed.problem is None and parsed.note is not None
    assert parse_date(raw).problem is not None  # not allowed here


@pytest.mark.parametrize("raw", [None, "", "2021/4/1", datetime(2021, 4, 1), 45000, "現在地"])
def test_not_ongoing(raw: object) -> None:
    assert not is_ongoing(raw)


ERA_STARTS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
)


def era_of(value: date) -> tuple[str, str, int]:
    for starts, name, letter in ERA_STARTS:
        if value >= starts:
            return name, letter, value.year - starts.year + 1
    raise AssertionError(value)


def date_styles(value: date) -> list[str]:
    name, letter, year = era_of(value)
    era_year = "元" if year == 1 else str(year)
    y, m, d = value.year, value.month, value.day
    return [
        f"{name}{era_year}年{m}月{d}日",
        f"{name}{year}年{m:02d}月{d:02d}日",
        f"{letter}{year}.{m}.{d}",
        f"{letter}{year:02d}/{m:02d}/{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}-{m:02d}-{d:02d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y}{m:02d}{d:02d}",
        unicodedata.normalize("NFKC", f"{y}/{m}/{d}").translate(FULL_WIDTH_DIGITS),
        full_width(f"{name}{year}年{m}月{d}日"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1926, 1, 1), max_value=date(2030, 12, 31)))
def test_any_date_in_any_style_parses_back(value: date) -> None:
    for text in date_styles(value):
        parsed = parse_date(text)
        assert parsed.value == value, text
        assert parsed.problem is None, text
    assert parse_date(datetime.combine(value, datetime.min.time())).value == value


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_excel_serials(value: date) -> None:
    serial = (value - date(1899, 12, 30)).days
    assert parse_date(serial).value == value
    assert parse_date(float(serial) + 0.25).value == value


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        (200, None, 200),
        (200.0, None, 200),
        (0, None, 0),
        ("200", None, 200),
        ("200日", None, 200),
        ("200日", "日", 200),
        ("２００日", "日", 200),
        ("２４５日", "日", 245),
        ("１２０件", None, 120),
        ("１２０件", "件", 120),
        ("1,200", None, 1200),
        ("１，２００件", "件", 1200),
        ("  96 日 ", "日", 96),
        ("１５０", "日", 150),
        ("12.0", None, 12),
    ],
)
def test_parse_int_reads(raw: object, unit: str | None, expected: int) -> None:
    assert parse_int(raw, unit=unit) == Parsed(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("約１，２００件", 1200), ("約200日", 200), ("200日程度", 200), ("およそ300件", 300)],
)
def test_approximations_are_read_with_a_note(raw: str, expected: int) -> None:
    parsed = parse_int(raw)
    assert parsed.value == expected
    assert parsed.note == f"「{raw}」を {expected} と読みました（概数）"


@pytest.mark.parametrize(
    "raw",
    [-1, "-5", "－５日", 1.5, "1.5日", "約2百日", "二百日", "百二十", "200～250日", "abc", True,
     "1,20", "1,2000", float("inf")],
)  # fmt: skip
def test_parse_int_problems(raw: object) -> None:
    parsed = parse_int(raw)
    assert parsed.value is None and parsed.problem is not None


def test_parse_int_unit_must_match() -> None:
    assert parse_int("１２０件", unit="日").problem is not None
    assert parse_int("約2百日", unit="日").problem == "数値として読めません（「約2百日」）"


@pytest.mark.parametrize("raw", [None, "", "\u3000"])
def test_blank_int(raw: object) -> None:
    assert parse_int(raw) == Parsed(None)


@given(st.integers(min_value=0, max_value=10**12))
def test_full_width_ints_parse_equal(number: int) -> None:
    plain = str(number)
    grouped = f"{number:,}"
    for text in (plain, grouped, full_width(plain), full_width(grouped), f"{plain}日"):
        assert parse_int(text).value == number, text
    assert parse_int(full_width(grouped) + "件", unit="件").value == number


# ---------------------------------------------------------------------------------------------
# Marks, yes/no, choices
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["■", "☑", "✓", "✔", "レ", "ﾚ", "○", "〇", "☒", "v", "V", "x", "X", "1", "１", 1, True]
)
def test_checked_marks(raw: object) -> None:
    assert parse_mark(raw) is Mark.CHECKED


@pytest.mark.parametrize("raw", ["□", "☐", "", " ", "\u3000", None, False, " □ "])
def test_unchecked_marks(raw: object) -> None:
    assert parse_mark(raw) is Mark.UNCHECKED


@pytest.mark.parametrize("raw", ["?", "済", "同意", "△", "□■", 2, 0, "yes"])
def test_unknown_marks(raw: object) -> None:
    assert parse_mark(raw) is Mark.UNKNOWN


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("はい", True), ("いいえ", False), ("○", True), ("×", False), ("有", True), ("無", False),
     (" はい ", True), ("Yes", True), ("no", False), (True, True)],
)  # fmt: skip
def test_yes_no(raw: object, expected: bool) -> None:
    assert parse_yes_no(raw) == Parsed(expected)


def test_yes_no_blank_and_unknown() -> None:
    assert parse_yes_no(None) == Parsed(None)
    parsed = parse_yes_no("たぶん")
    assert parsed.value is None and parsed.problem is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("愛知県", "愛知県"),
        (" 愛知県\u3000", "愛知県"),
        ("相談対応者に対して助言・指導する立場", "相談対応者に対して助言・指導する立場"),
        ("相談対応者に対して 助言･指導する立場", "相談対応者に対して助言・指導する立場"),
        ("地方公共団体の委託等を受けた機関", "地方公共団体の委託等を受けた機関"),
    ],
)
def test_parse_choice(raw: str, expected: str) -> None:
    choices = (*PREFECTURES, "相談対応者", "相談対応者に対して助言・指導する立場")
    choices += ("地方公共団体", "地方公共団体の委託等を受けた機関")
    assert parse_choice(raw, choices) == Parsed(expected)


def test_parse_choice_unique_prefix_and_problems() -> None:
    assert parse_choice("愛知", PREFECTURES).value == "愛知県"
    assert parse_choice("京都", PREFECTURES).value == "京都府"
    assert parse_choice("東京", PREFECTURES).note is not None
    assert parse_choice("愛地県", PREFECTURES).problem is not None
    assert parse_choice(None, PREFECTURES) == Parsed(None)


# ---------------------------------------------------------------------------------------------
# Postal codes, phones, romaji
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("〒４６０－００１２", "460-0012"), ("460-0012", "460-0012"), ("4600012", "460-0012"),
     ("〒 231-0023", "231-0023"), ("４６０ー００１２", "460-0012"), (4600012, "460-0012")],
)  # fmt: skip
def test_postal_codes(raw: object, expected: str) -> None:
    assert normalize_postal_code(raw) == Parsed(expected)


def test_postal_code_number_that_lost_its_zero() -> None:
    parsed = normalize_postal_code(600001)
    assert parsed.value == "060-0001" and parsed.note is not None


@pytest.mark.parametrize("raw", ["460-001", "46-00123", "〒", "愛知県", "460-00123"])
def test_postal_code_problems(raw: str) -> None:
    parsed = normalize_postal_code(raw)
    assert parsed.value is None and parsed.problem is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("０８０－４４１２－７７０３", "080-4412-7703"), ("045-123-4567", "045-123-4567"),
     ("０４５（１２３）４５６７", "045(123)4567"), ("08044127703", "08044127703"),
     ("080ー4412ー7703", "080-4412-7703"), ("+81-80-4412-7703", "+81-80-4412-7703")],
)  # fmt: skip
def test_phones(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == Parsed(expected)


def test_phone_number_that_lost_its_zero_and_problems() -> None:
    parsed = normalize_phone(451234567)
    assert parsed.value == "0451234567" and parsed.note is not None
    assert normalize_phone("内線123").problem is not None
    assert normalize_phone("045-123").problem is not None
    assert normalize_phone(None) == Parsed(None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ＳＵＺＵＫＩ　Ｉｃｈｉｒｏ", "SUZUKI Ichiro"), ("  NGUYEN  Thi   Lan ", "NGUYEN Thi Lan"),
     ("YAMADA Taro", "YAMADA Taro"), ("", None), (None, None)],
)  # fmt: skip
def test_romaji(raw: object, expected: str | None) -> None:
    assert normalize_romaji(raw) == expected


def test_katakana_names() -> None:
    assert is_katakana("グエン　ティ　ラン")
    assert is_katakana("ｸﾞｴﾝ ﾃｨ ﾗﾝ")
    assert not is_katakana("山田 太郎")
    assert not is_katakana("やまだ")
    assert not is_katakana("・")


# ---------------------------------------------------------------------------------------------
# Nothing ever raises
# ---------------------------------------------------------------------------------------------

ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="0123456789０１２３４５６７８９年月日/.-令和平成昭和元RHS約件,，現在 　"),
    st.dates().map(lambda d: datetime.combine(d, datetime.min.time())),
    st.dates(),
    st.lists(st.integers(), max_size=3),
    st.builds(object),
)


@settings(max_examples=400, deadline=None)
@given(ANY_CELL)
def test_parsers_never_raise(raw: object) -> None:
    for parsed in (
        parse_date(raw),
        parse_date(raw, allow_ongoing=True),
        parse_int(raw),
        parse_int(raw, unit="日"),
        parse_yes_no(raw),
        parse_choice(raw, PREFECTURES),
        normalize_postal_code(raw),
        normalize_phone(raw),
    ):
        assert isinstance(parsed, Parsed)
        assert parsed.value is None or parsed.problem is None
    assert isinstance(parse_mark(raw), Mark)
    normalize_romaji(raw)
    cell_text(raw)
    is_ongoing(raw)
