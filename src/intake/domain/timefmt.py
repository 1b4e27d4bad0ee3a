"""How dates and times are written, always on the Tokyo clock: one home for every format.

* Dates: :func:`format_seireki` (2025年4月14日) and :func:`format_wareki` (令和7年4月14日),
  with the era table (:data:`ERAS`) that :mod:`intake.domain.values` also reads dates with.
* Instants for operators: :func:`format_jst` in Japanese sentences (2025年5月7日 17:00),
  :func:`short_jst` in tables and terse lines (2025-05-07 17:00), :func:`iso_jst` for scripts;
  on the web console's pages :func:`screen_jst` (2025/05/07（水）17:00), :func:`screen_date`
  and :func:`time_ago` (5 分前).
* Instants for applicants: :func:`format_jst_letter` (2025年4月14日 9時05分), the mail
  templates' ``jst`` filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from intake.domain.model import TOKYO

__all__ = [
    "ERAS",
    "Era",
    "format_jst",
    "format_jst_letter",
    "format_seireki",
    "format_wareki",
    "iso_jst",
    "screen_date",
    "screen_jst",
    "short_jst",
    "time_ago",
]


@dataclass(frozen=True)
class Era:
    name: str
    letter: str  # the usual abbreviation (R4.3.31, H2.3.15)
    starts: date


# Newest first.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("明治", "M", date(1868, 10, 23)),
)


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def _as_tokyo_date(day: date) -> date:
    """A date as is; an aware datetime as its date in Tokyo (a naive one as written)."""
    if isinstance(day, datetime):
        if day.tzinfo is not None and day.utcoffset() is not None:
            return day.astimezone(TOKYO).date()
        return day.date()
    return day


def format_seireki(day: date) -> str:
    """2025年4月14日 (an aware datetime is taken as its date in Tokyo)."""
    value = _as_tokyo_date(day)
    return f"{value.year}年{value.month}月{value.day}日"


def format_wareki(day: date) -> str:
    """令和7年4月14日; the first year of an era is 元年 (令和元年5月1日).

    Dates before 明治 (1868-10-23) have no era in the table and are written in the western
    calendar. An aware datetime is taken as its date in Tokyo.
    """
    value = _as_tokyo_date(day)
    for era in ERAS:  # newest first
        if value >= era.starts:
            year = value.year - era.starts.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era.name}{year_text}年{value.month}月{value.day}日"
    return format_seireki(value)


# ---------------------------------------------------------------------------------------------
# Instants
# ---------------------------------------------------------------------------------------------


def format_jst(instant: datetime) -> str:
    """An instant as the secretariat writes it, in Tokyo time: 2025年5月7日 17:00.

    Seconds are shown when there are any, so 17:00:30 is not mistaken for the 17:00 deadline.
    """
    local = instant.astimezone(TOKYO)
    clock = f"{local:%H:%M:%S}" if local.second or local.microsecond else f"{local:%H:%M}"
    return f"{format_seireki(local.date())} {clock}"


def format_jst_letter(instant: datetime, *, wareki: bool = False) -> str:
    """An aware instant as a letter to an applicant writes it: 2025年4月14日 9時05分
    (令和7年4月14日 9時05分 with ``wareki``)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("jst: the datetime must be timezone-aware")
    local = instant.astimezone(TOKYO)
    day = format_wareki(local.date()) if wareki else format_seireki(local.date())
    return f"{day} {local.hour}時{local.minute:02d}分"


def short_jst(instant: datetime | None) -> str:
    """2025-05-07 17:00, for tables and terse lines; "" for None."""
    return "" if instant is None else instant.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def iso_jst(instant: datetime | None) -> str | None:
    """ISO 8601 with the Tokyo offset, to the second (2025-05-07T17:00:00+09:00), for JSON."""
    return None if instant is None else instant.astimezone(TOKYO).isoformat(timespec="seconds")


WEEKDAYS = "月火水木金土日"


def screen_date(instant: datetime | None) -> str:
    """2025/05/07（水）, on the console's pages; "" for None."""
    if instant is None:
        return ""
    local = instant.astimezone(TOKYO)
    return f"{local:%Y/%m/%d}（{WEEKDAYS[local.weekday()]}）"


def screen_jst(instant: datetime | None) -> str:
    """2025/05/07（水）17:00, on the console's pages; "" for None."""
    if instant is None:
        return ""
    return f"{screen_date(instant)}{instant.astimezone(TOKYO):%H:%M}"


def time_ago(instant: datetime | None, now: datetime) -> str:
    """How long ago, as a person says it: たった今 / 5 分前 / 3 時間前 / 2 日前."""
    if instant is None:
        return ""
    seconds = int((now - instant).total_seconds())
    if seconds < 0:
        return "これから"
    if seconds < 60:
        return "たった今"
    if seconds < 3600:
        return f"{seconds // 60} 分前"
    if seconds < 86400:
        return f"{seconds // 3600} 時間前"
    return f"{seconds // 86400} 日前"
