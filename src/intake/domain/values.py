"""Pure normalisers for the values applicants type into the Excel forms (no I/O).

Each parser takes whatever a cell held (``None``, ``str``, ``int``, ``float``, ``datetime`` …)
and never raises: what it cannot read comes back as ``Parsed(value=None, problem=…)`` with a
Japanese fragment the form reader turns into a sentence
(「受講申込書 B8（生年月日）が<problem>。」).
A ``note`` is a Japanese fragment for a warning about a value that was read but deserves a look
(「<note>」 reads after 「受講申込書 B17（年間相談件数）の」).

Width folding uses ``unicodedata`` NFKC (through :func:`intake.domain.text.normalize`): it turns
full-width digits, letters, spaces and punctuation into their ASCII forms, which is all the forms
need. Japanese era dates use the small table in :mod:`intake.domain.timefmt` rather than a
library: the only eras that
matter are 明治 to 令和, and the maintained libraries checked (japanera 2.1) did not parse
「令和元年5月1日」 or 「R4.3.31」.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from intake.domain.forms import Mark
from intake.domain.text import normalize
from intake.domain.timefmt import ERAS, Era, format_seireki

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A value read from a cell, or why it could not be read."""

    value: T | None
    problem: str | None = None  # e.g. 「日付として読めません（「1980/13/45」）」
    note: str | None = None  # e.g. 「「約１，２００件」を 1200 と読みました（概数）」

    @property
    def ok(self) -> bool:
        return self.problem is None


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def cell_text(raw: object) -> str | None:
    """The cell as display text: stripped (ideographic spaces too), ``None`` when blank.

    The characters are kept as typed (no width folding): this is what an operator sees.
    """
    if raw is None:
        return None
    if isinstance(raw, datetime):
        text = raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        text = str(int(raw))
    else:
        text = str(raw)
    text = text.strip()
    return text or None


def fold(raw: object) -> str:
    """The comparison form of a cell: NFKC, unified dashes, single spaces ('' when blank)."""
    text = cell_text(raw)
    return normalize(text) if text is not None else ""


def _quote(raw: object) -> str:
    return f"「{cell_text(raw) or ''}」"


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


_ERA_BY_KEY: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_KEY[_era.name] = _era
    _ERA_BY_KEY[_era.name[0]] = _era  # 令3.4.1
    _ERA_BY_KEY[_era.letter] = _era
    _ERA_BY_KEY[_era.letter.lower()] = _era

_ERA_KEYS = "|".join(sorted((re.escape(k) for k in _ERA_BY_KEY), key=len, reverse=True))
_ERA_DATE = re.compile(
    rf"^(?P<era>{_ERA_KEYS})\s*(?P<year>\d{{1,2}}|元)\s*(?:年|[./\-])\s*(?P<month>\d{{1,2}})"
    rf"\s*(?:(?:月|[./\-])\s*(?P<day>\d{{1,2}})\s*日?|月?)$"
)
_WESTERN_DATE = re.compile(
    r"^(?P<year>\d{4})\s*(?:年|[./\-])\s*(?P<month>\d{1,2})"
    r"\s*(?:(?:月|[./\-])\s*(?P<day>\d{1,2})\s*日?|月?)$"
)
_COMPACT_DATE = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
# A weekday in brackets, a time of day (str(datetime)) or 「から」/「～」 left at the end.
_DATE_TAIL = re.compile(
    r"\s*(?:\((?:[月火水木金土日](?:曜日?)?)\)|[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|から|より|~)$"
)

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 for serials after the 1900-02-29 bug
_MAX_SERIAL = 2_958_465  # 9999-12-31

_ONGOING = frozenset(
    {
        "現在",
        "至現在",
        "現在まで",
        "現在に至る",
        "現在継続中",
        "継続中",
        "在職中",
        "従事中",
        "勤務中",
        "~現在",
        "present",
        "current",
        "ongoing",
        "now",
        "tothepresent",
    }
)


def is_ongoing(raw: object) -> bool:
    """Whether the cell says the period has not ended (現在 / 継続中 / 至現在 / present …)."""
    if not isinstance(raw, str):
        return False
    key = re.sub(r"[\s()]", "", fold(raw)).casefold()
    return key in _ONGOING


def _from_serial(serial: float) -> date | None:
    if not math.isfinite(serial) or serial < 1 or serial > _MAX_SERIAL:
        return None
    days = int(serial)
    if days == 60:  # 1900-02-29 exists only in Excel
        return None
    if days < 60:
        return date(1899, 12, 31) + timedelta(days=days)
    return _EXCEL_EPOCH + timedelta(days=days)


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(raw: object, *, allow_ongoing: bool = False) -> Parsed[date]:
    """A date cell, an Excel serial number, or a date typed as text (western or era style)."""
    if raw is None or isinstance(raw, bool):
        return Parsed(None) if raw is None else Parsed(None, f"日付として読めません（{raw}）")
    if isinstance(raw, datetime):
        return Parsed(raw.date())
    if isinstance(raw, date):
        return Parsed(raw)
    if isinstance(raw, int | float):
        serial = _from_serial(float(raw))
        if serial is None:
            return Parsed(None, f"日付として読めません（{cell_text(raw)}）")
        return Parsed(serial)
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    if is_ongoing(text):
        if allow_ongoing:
            return Parsed(None, note=f"「{text}」を継続中（終了日なし）と読みました")
        return Parsed(None, f"日付ではありません（「{text}」）")
    folded = _DATE_TAIL.sub("", fold(text))
    problem = f"日付として読めません（「{text}」）"

    match = _ERA_DATE.match(folded)
    if match is not None:
        era = _ERA_BY_KEY[match["era"]]
        era_year = 1 if match["year"] == "元" else int(match["year"])
        if era_year < 1:
            return Parsed(None, problem)
        day = int(match["day"]) if match["day"] else 1
        value = _make_date(era.starts.year + era_year - 1, int(match["month"]), day)
        if value is None or value < era.starts:
            return Parsed(None, problem)
        newer = next((e for e in reversed(ERAS) if e.starts > era.starts), None)
        note = None
        if newer is not None and value >= newer.starts:
            note = f"「{text}」を {format_seireki(value)} と読みました（{era.name}の終了後の日付）"
        if not match["day"]:
            note = f"「{text}」を {format_seireki(value)} と読みました（日の記入なし）"
        return Parsed(value, note=note)

    match = _WESTERN_DATE.match(folded) or _COMPACT_DATE.match(folded)
    if match is not None:
        day_text = match["day"]
        value = _make_date(int(match["year"]), int(match["month"]), int(day_text or 1))
        if value is None or value.year < 1868:
            return Parsed(None, problem)
        if not day_text:
            return Parsed(
                value, note=f"「{text}」を {format_seireki(value)} と読みました（日の記入なし）"
            )
        return Parsed(value)
    return Parsed(None, problem)


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_APPROX_PREFIX = re.compile(r"^(?:約|およそ|凡そ|概ね|おおむね|大体|だいたい|ca\.?|approx\.?)\s*")
_APPROX_SUFFIX = re.compile(r"\s*(?:程度|くらい|ぐらい|位|前後|余り|あまり|強|弱|ほど|程)$")
_COUNTERS = ("件", "日", "回", "人", "名", "時間", "日間", "か月", "ヶ月", "カ月", "年")
_PLAIN_INT = re.compile(r"^\d+(?:\.0+)?$|^\d{1,3}(?:,\d{3})+$")


def parse_int(raw: object, *, unit: str | None = None) -> Parsed[int]:
    """A non-negative whole number.

    200, 200.0, 「200日」, 「１２０件」, 「1,200」; approximations (「約１，２００件」,
    「200日程度」) are read with a note. With ``unit`` only that unit may follow the number;
    without it any common counter may.
    """
    if raw is None:
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, f"数値として読めません（「{raw}」）")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not (math.isfinite(raw) and raw.is_integer()):
            return Parsed(None, f"整数ではありません（「{cell_text(raw)}」）")
        number = int(raw)
        if number < 0:
            return Parsed(None, f"負の数になっています（「{number}」）")
        return Parsed(number)
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    folded = fold(text).replace(" ", "")
    approx = False
    stripped = _APPROX_PREFIX.sub("", folded)
    if stripped != folded:
        approx = True
    units = (unit,) if unit else _COUNTERS
    for step in range(2):  # 「200日程度」 and 「200程度」 alike
        without_suffix = _APPROX_SUFFIX.sub("", stripped)
        if without_suffix != stripped:
            approx = True
            stripped = without_suffix
        if step == 0:
            for counter in sorted(units, key=len, reverse=True):
                if stripped.endswith(counter):
                    stripped = stripped[: -len(counter)]
                    break
    if stripped.startswith("-") and _PLAIN_INT.match(stripped[1:]):
        return Parsed(None, f"負の数になっています（「{text}」）")
    if not _PLAIN_INT.match(stripped):
        return Parsed(None, f"数値として読めません（「{text}」）")
    number = int(stripped.replace(",", "").split(".")[0])
    if approx:
        return Parsed(number, note=f"「{text}」を {number} と読みました（概数）")
    return Parsed(number)


# ---------------------------------------------------------------------------------------------
# Checkboxes, yes/no, lists
# ---------------------------------------------------------------------------------------------

_CHECKED = frozenset("■☑✓✔レ○〇◯☒●✅ㇾvVxX1")
_UNCHECKED = frozenset("□☐")


def parse_mark(raw: object) -> Mark:
    """A checkbox cell: checked, unchecked, or a mark nobody can be sure of (UNKNOWN)."""
    if raw is None or raw is False:
        return Mark.UNCHECKED
    if raw is True:
        return Mark.CHECKED
    if isinstance(raw, int | float):
        return Mark.CHECKED if raw == 1 else Mark.UNKNOWN
    text = cell_text(raw)
    if text is None:
        return Mark.UNCHECKED
    if text in _UNCHECKED:
        return Mark.UNCHECKED
    if text in _CHECKED:
        return Mark.CHECKED
    folded = fold(text)  # full-width Ｖ, half-width ﾚ
    if folded in _UNCHECKED:
        return Mark.UNCHECKED
    if folded in _CHECKED:
        return Mark.CHECKED
    return Mark.UNKNOWN


_YES = frozenset({"はい", "○", "〇", "◯", "有", "あり", "有り", "該当", "該当する", "yes", "y"})
_NO = frozenset({"いいえ", "×", "✕", "✖", "無", "なし", "無し", "非該当", "該当しない", "no", "n"})


def parse_yes_no(raw: object) -> Parsed[bool]:
    """はい / いいえ (also ○ / ×, 有 / 無, yes / no)."""
    if raw is None:
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(raw)
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    key = fold(text).replace(" ", "").casefold()
    if key in _YES or text in _YES:
        return Parsed(True)
    if key in _NO or text in _NO:
        return Parsed(False)
    return Parsed(None, f"「はい」「いいえ」のどちらとも読めません（「{text}」）")


def _choice_key(text: str) -> str:
    return re.sub(r"\s", "", normalize(text)).casefold()


def parse_choice(raw: object, choices: Sequence[str]) -> Parsed[str]:
    """One of ``choices``, matched after width and space folding; returns the canonical text.

    A unique prefix of at least two characters is accepted with a note (「愛知」 → 愛知県).
    """
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    key = _choice_key(text)
    for choice in choices:
        if _choice_key(choice) == key:
            return Parsed(choice)
    if len(key) >= 2:
        prefixed = [c for c in choices if _choice_key(c).startswith(key)]
        if len(prefixed) == 1:
            return Parsed(prefixed[0], note=f"「{text}」を「{prefixed[0]}」と読みました")
    return Parsed(None, f"選択肢にない値になっています（「{text}」）")


# ---------------------------------------------------------------------------------------------
# Postal codes, phone numbers, romaji names
# ---------------------------------------------------------------------------------------------

_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")
_DASHES = str.maketrans({"ー": "-", "‐": "-", "ｰ": "-", "—": "-", "―": "-", "−": "-"})


def normalize_postal_code(raw: object) -> Parsed[str]:
    """「〒４６０－００１２」 → 460-0012; seven digits required."""
    if raw is None or isinstance(raw, bool):
        return Parsed(None)
    if isinstance(raw, int) and 0 <= raw <= 9_999_999:
        digits = f"{raw:07d}"
        value = f"{digits[:3]}-{digits[3:]}"
        if raw < 1_000_000:
            return Parsed(value, note=f"「{raw}」を {value} と読みました（先頭の 0 を補いました）")
        return Parsed(value)
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    key = re.sub(r"[\s〒〶]|^郵便番号:?", "", fold(text).translate(_DASHES))
    match = _POSTAL.match(key)
    if match is None:
        return Parsed(None, f"郵便番号（7桁）として読めません（「{text}」）")
    return Parsed(f"{match[1]}-{match[2]}")


_PHONE_CHARS = re.compile(r"^\+?[\d\-() ]+$")


def normalize_phone(raw: object) -> Parsed[str]:
    """Full-width digits and dashes to ASCII, hyphens kept.

    「０８０－４４１２－７７０３」 → 080-4412-7703; 10 to 15 digits required.
    """
    if raw is None or isinstance(raw, bool):
        return Parsed(None)
    if isinstance(raw, int | float):
        # A number cell lost its leading zero: 451234567 was 045-123-4567.
        if isinstance(raw, float) and not raw.is_integer():
            return Parsed(None, f"電話番号として読めません（「{cell_text(raw)}」）")
        digits = str(int(raw))
        if 9 <= len(digits) <= 10 and not digits.startswith("0"):
            value = "0" + digits
            return Parsed(
                value, note=f"「{digits}」を {value} と読みました（先頭の 0 を補いました）"
            )
        raw = digits
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    value = fold(text).translate(_DASHES)
    value = re.sub(r"^(?:tel|電話)[:.]?\s*", "", value, flags=re.IGNORECASE)
    digit_count = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARS.match(value) or not 10 <= digit_count <= 15:
        return Parsed(None, f"電話番号として読めません（「{text}」）")
    return Parsed(value)


def normalize_romaji(raw: object) -> str | None:
    """Full-width letters and spaces to ASCII, spaces collapsed.

    「ＳＵＺＵＫＩ　Ｉｃｈｉｒｏ」 → SUZUKI Ichiro.
    """
    text = fold(raw)
    return text or None


_KATAKANA = re.compile(r"^[\u30a0-\u30ff\u31f0-\u31ff\uff65-\uff9f\s・=＝]+$")


def is_katakana(text: str) -> bool:
    """Whether a name is written only in katakana (spaces and ・ allowed)."""
    return (
        bool(text.strip())
        and bool(_KATAKANA.match(text))
        and any("\u30a1" <= ch <= "\u30fa" or "\uff66" <= ch <= "\uff9d" for ch in text)
    )
