"""When the 受付完了 acknowledgement is due (pure).

Everything happens on the Tokyo wall clock (Japan has no daylight saving time, so adding days
keeps the clock time without surprises).

Business days (``business_days = true``) are weekdays that are neither Japanese public holidays
(the ``holidays`` package's ``Japan`` calendar, substitute holidays and 国民の休日 included; it
covers 1949–2099, later years have weekends and closure days only) nor closure days of the
office (``"MM-DD"`` every year, ``"YYYY-MM-DD"`` once).

The rules of :func:`ack_due_at`:

* ``business_days = false``: ``delay_days`` calendar days later at the same clock time. Weekends,
  holidays and closure days play no part; only ``send_window`` applies.
* ``business_days = true``: an application completed on a day that is not a business day counts
  as completed at 0:00 of the next business day (as a letter posted on Saturday is received on
  Monday). From there the due time is ``delay_days`` business days later at the same clock
  time; ``delay_days = 0`` means the completion time itself (moved as just said).
* ``send_window`` ("09:00-18:00", both ends included): a due time before the window moves to
  the window start the same day; a time after it moves to the window start of the next day
  (with ``business_days``, the next business day).

These rules make the due time never earlier than the completion time and never earlier for a
later completion (tests check both as properties).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from intake.domain.model import TOKYO

__all__ = [
    "ack_due_at",
    "is_business_day",
    "is_japanese_holiday",
    "parse_send_window",
]

_CLOSURE = re.compile(r"^(?:(?P<year>\d{4})-)?(?P<month>\d{2})-(?P<day>\d{2})$")
_WINDOW = re.compile(r"^(?P<sh>\d{2}):(?P<sm>\d{2})-(?P<eh>\d{2}):(?P<em>\d{2})$")
# Far more than any delay_days (at most 60) can need; guards against an endless search.
_MAX_SEARCH_DAYS = 3660


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def is_japanese_holiday(day: date) -> bool:
    """Whether ``day`` is a Japanese public holiday (振替休日 and 国民の休日 included)."""
    return day in _holidays_of(day.year)


@lru_cache(maxsize=32)
def _closures(closure_days: tuple[str, ...]) -> tuple[frozenset[tuple[int, int]], frozenset[date]]:
    yearly: set[tuple[int, int]] = set()
    once: set[date] = set()
    for entry in closure_days:
        match = _CLOSURE.match(entry.strip())
        month = int(match["month"]) if match else 0
        day = int(match["day"]) if match else 0
        if match is None or not 1 <= month <= 12 or not 1 <= day <= 31:
            raise ValueError(
                f"closure_days の「{entry}」は MM-DD か YYYY-MM-DD の日付として読めません"
            )
        if match["year"]:
            try:
                once.add(date(int(match["year"]), month, day))
            except ValueError:
                raise ValueError(f"closure_days の「{entry}」は存在しない日付です") from None
        else:
            # "02-29" is a valid yearly entry: it matches in leap years only.
            try:
                date(2000, month, day)
            except ValueError:
                raise ValueError(f"closure_days の「{entry}」は存在しない日付です") from None
            yearly.add((month, day))
    return frozenset(yearly), frozenset(once)


def is_business_day(day: date, closure_days: Sequence[str]) -> bool:
    """A weekday that is neither a Japanese public holiday nor a closure day of the office.

    Raises ``ValueError`` for a closure day that is not a date.
    """
    if day.weekday() >= 5 or is_japanese_holiday(day):
        return False
    yearly, once = _closures(tuple(closure_days))
    return (day.month, day.day) not in yearly and day not in once


def _next_business_day(day: date, closure_days: Sequence[str]) -> date:
    """The first business day strictly after ``day``."""
    for offset in range(1, _MAX_SEARCH_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if is_business_day(candidate, closure_days):
            return candidate
    raise ValueError(
        f"{day.isoformat()} の後 {_MAX_SEARCH_DAYS} 日間に営業日がありません"
        "（closure_days を確認してください）"
    )


def parse_send_window(send_window: str) -> tuple[time, time]:
    """``"09:00-18:00"`` → (09:00, 18:00). The window must start before it ends (same day)."""
    match = _WINDOW.match(send_window.strip())
    if match is None:
        raise ValueError(f'send_window「{send_window}」は "09:00-18:00" の形で書いてください')
    try:
        start = time(int(match["sh"]), int(match["sm"]))
        end = time(int(match["eh"]), int(match["em"]))
    except ValueError:
        raise ValueError(f"send_window「{send_window}」に存在しない時刻があります") from None
    if start >= end:
        raise ValueError(
            f"send_window「{send_window}」は開始時刻が終了時刻より前になるように書いてください"
            "（日付をまたぐ時間帯は使えません）"
        )
    return start, end


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TOKYO)


def ack_due_at(
    completed_at: datetime,
    *,
    delay_days: int,
    business_days: bool,
    closure_days: Sequence[str],
    send_window: str | None,
) -> datetime:
    """When the acknowledgement of an application completed at ``completed_at`` is due.

    ``completed_at`` must be aware; the result is aware, in Asia/Tokyo. See the module
    docstring for the rules. Raises ``ValueError`` for a naive time, a negative delay, or a
    malformed ``closure_days`` / ``send_window``.
    """
    if completed_at.tzinfo is None or completed_at.utcoffset() is None:
        raise ValueError("completed_at must be timezone-aware")
    if delay_days < 0:
        raise ValueError("delay_days must not be negative")
    window = parse_send_window(send_window) if send_window is not None else None
    local = completed_at.astimezone(TOKYO).replace(tzinfo=None)

    if business_days:
        day, clock = local.date(), local.time()
        if not is_business_day(day, closure_days):
            day, clock = _next_business_day(day, closure_days), time(0, 0)
        for _ in range(delay_days):
            day = _next_business_day(day, closure_days)
    else:
        shifted = local + timedelta(days=delay_days)
        day, clock = shifted.date(), shifted.time()

    if window is not None:
        start, end = window
        if clock < start:
            clock = start
        elif clock > end:
            day = _next_business_day(day, closure_days) if business_days else day + timedelta(1)
            clock = start
    return _at(day, clock)
