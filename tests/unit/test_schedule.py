"""When the acknowledgement is due (business days, holidays, closures, send window) and how
dates are written (和暦 / 西暦)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain.model import TOKYO
from intake.domain.schedule import (
    ack_due_at,
    is_business_day,
    parse_send_window,
)
from intake.domain.timefmt import format_seireki, format_wareki

YEAR_END = ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"]
NINE_TO_SIX = "09:00-18:00"


def jst(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


# ---------------------------------------------------------------------------------------------
# is_business_day
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "closures", "expected"),
    [
        (date(2025, 5, 7), [], True),  # Wednesday after Golden Week
        (date(2025, 5, 2), [], True),  # Friday before it
        (date(2025, 5, 3), [], False),  # Saturday (憲法記念日)
        (date(2025, 5, 5), [], False),  # Monday, こどもの日
        (date(2025, 5, 6), [], False),  # Tuesday, 振替休日
        (date(2025, 11, 24), [], False),  # 振替休日 for 勤労感謝の日
        (date(2026, 9, 22), [], False),  # 国民の休日 between two holidays
        (date(2025, 3, 20), [], False),  # 春分の日
        (date(2025, 12, 29), YEAR_END, False),
        (date(2025, 12, 29), [], True),
        (date(2026, 1, 2), YEAR_END, False),
        (date(2026, 1, 5), YEAR_END, True),
        (date(2025, 8, 13), ["2025-08-13"], False),  # a one-off closure
        (date(2026, 8, 13), ["2025-08-13"], True),  # ...only that year
        (date(2028, 2, 29), ["02-29"], False),  # yearly 02-29 applies in leap years
        (date(2028, 3, 1), ["02-29"], True),
    ],
)
def test_is_business_day(day: date, closures: list[str], expected: bool) -> None:
    assert is_business_day(day, closures) is expected


@pytest.mark.parametrize("bad", ["13-01", "02-30", "2025-02-29", "1-1", "12/29", "xx-yy"])
def test_malformed_closure_day_is_an_error(bad: str) -> None:
    with pytest.raises(ValueError, match="closure_days"):
        is_business_day(date(2025, 5, 7), [bad])


# ---------------------------------------------------------------------------------------------
# ack_due_at: table
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "delay", "business", "closures", "window", "due"),
    [
        # Calendar days: same clock time, weekends and holidays do not matter.
        (jst(2025, 5, 2, 15, 0), 7, False, YEAR_END, None, jst(2025, 5, 9, 15, 0)),
        (jst(2025, 5, 2, 15, 0), 1, False, YEAR_END, None, jst(2025, 5, 3, 15, 0)),
        (jst(2025, 12, 26, 10, 0), 7, False, YEAR_END, None, jst(2026, 1, 2, 10, 0)),
        # Delay 0 without business days: the completion time itself.
        (jst(2025, 5, 3, 10, 0), 0, False, [], None, jst(2025, 5, 3, 10, 0)),
        # Friday before Golden Week 2025: 5/3-5/6 are holidays (5/6 振替休日).
        (jst(2025, 5, 2, 15, 0), 1, True, YEAR_END, None, jst(2025, 5, 7, 15, 0)),
        (jst(2025, 5, 2, 15, 0), 7, True, YEAR_END, None, jst(2025, 5, 15, 15, 0)),
        # Completed on a holiday: counts from 0:00 of the next business day.
        (jst(2025, 5, 3, 23, 0), 1, True, [], None, jst(2025, 5, 8, 0, 0)),
        (jst(2025, 5, 5, 10, 0), 0, True, [], None, jst(2025, 5, 7, 0, 0)),
        (jst(2025, 5, 5, 10, 0), 0, True, [], NINE_TO_SIX, jst(2025, 5, 7, 9, 0)),
        # Year-end closure 12/29-1/3, then the weekend: the first business day is 1/5.
        (jst(2025, 12, 26, 10, 0), 1, True, YEAR_END, None, jst(2026, 1, 5, 10, 0)),
        (jst(2025, 12, 26, 10, 0), 1, True, [], None, jst(2025, 12, 29, 10, 0)),
        (jst(2025, 12, 30, 11, 0), 0, True, YEAR_END, NINE_TO_SIX, jst(2026, 1, 5, 9, 0)),
        # A one-off closure day is skipped too.
        (jst(2025, 5, 2, 15, 0), 1, True, ["2025-05-07"], None, jst(2025, 5, 8, 15, 0)),
        # Delay 0 on a business day inside the window: at once.
        (jst(2025, 5, 7, 10, 30), 0, True, [], NINE_TO_SIX, jst(2025, 5, 7, 10, 30)),
        # Send window: before -> window start the same day.
        (jst(2025, 5, 2, 7, 30), 7, False, [], NINE_TO_SIX, jst(2025, 5, 9, 9, 0)),
        (jst(2025, 5, 9, 7, 30), 1, True, [], NINE_TO_SIX, jst(2025, 5, 12, 9, 0)),
        # ...inside (both ends included) -> unchanged.
        (jst(2025, 5, 2, 9, 0), 7, False, [], NINE_TO_SIX, jst(2025, 5, 9, 9, 0)),
        (jst(2025, 5, 2, 18, 0), 7, False, [], NINE_TO_SIX, jst(2025, 5, 9, 18, 0)),
        # ...after -> next day's window start (a Saturday: calendar days ignore weekends).
        (jst(2025, 5, 2, 20, 0), 7, False, [], NINE_TO_SIX, jst(2025, 5, 10, 9, 0)),
        (jst(2025, 5, 2, 18, 0, 1), 7, False, [], NINE_TO_SIX, jst(2025, 5, 10, 9, 0)),
        # ...after, with business days -> the next business day's window start.
        (jst(2025, 5, 1, 19, 0), 0, True, [], NINE_TO_SIX, jst(2025, 5, 2, 9, 0)),
        (jst(2025, 5, 2, 19, 0), 0, True, [], NINE_TO_SIX, jst(2025, 5, 7, 9, 0)),
        (jst(2025, 12, 25, 19, 0), 1, True, YEAR_END, NINE_TO_SIX, jst(2026, 1, 5, 9, 0)),
        # Another time zone in: Tokyo decides the day (23:30 UTC is 8:30 the next day in JST).
        (
            datetime(2025, 5, 1, 23, 30, tzinfo=UTC),
            0,
            True,
            [],
            NINE_TO_SIX,
            jst(2025, 5, 2, 9, 0),
        ),
        (datetime(2025, 5, 2, 6, 0, tzinfo=UTC), 1, True, [], None, jst(2025, 5, 7, 15, 0)),
    ],
)
def test_ack_due_at(
    completed: datetime,
    delay: int,
    business: bool,
    closures: list[str],
    window: str | None,
    due: datetime,
) -> None:
    result = ack_due_at(
        completed,
        delay_days=delay,
        business_days=business,
        closure_days=closures,
        send_window=window,
    )
    assert result == due
    assert result.utcoffset() == timedelta(hours=9)
    assert result.tzinfo == TOKYO


def test_naive_completion_time_is_an_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        ack_due_at(
            datetime(2025, 5, 2, 15, 0),
            delay_days=7,
            business_days=False,
            closure_days=[],
            send_window=None,
        )


@pytest.mark.parametrize("window", ["18:00-09:00", "09:00-09:00", "25:00-26:00", "9:00-18:00"])
def test_bad_send_window_is_an_error(window: str) -> None:
    with pytest.raises(ValueError, match="send_window"):
        ack_due_at(
            jst(2025, 5, 2, 15, 0),
            delay_days=7,
            business_days=False,
            closure_days=[],
            send_window=window,
        )


def test_parse_send_window() -> None:
    assert parse_send_window("08:30-17:15") == (time(8, 30), time(17, 15))


# ---------------------------------------------------------------------------------------------
# ack_due_at: properties
# ---------------------------------------------------------------------------------------------

ZONES = st.sampled_from([TOKYO, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5))])
COMPLETED = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2031, 12, 31), timezones=ZONES
)
WINDOWS = st.sampled_from([None, NINE_TO_SIX, "08:30-17:15", "00:00-23:59", "12:00-12:01"])
CLOSURES = st.sampled_from([[], YEAR_END, [*YEAR_END, "08-13", "08-14", "08-15", "2026-05-07"]])


@settings(max_examples=300, deadline=None)
@given(
    completed=COMPLETED,
    delay=st.integers(min_value=0, max_value=20),
    business=st.booleans(),
    closures=CLOSURES,
    window=WINDOWS,
)
def test_due_time_properties(
    completed: datetime, delay: int, business: bool, closures: list[str], window: str | None
) -> None:
    due = ack_due_at(
        completed,
        delay_days=delay,
        business_days=business,
        closure_days=closures,
        send_window=window,
    )
    assert due >= completed
    assert due.utcoffset() == timedelta(hours=9)
    if business:
        assert is_business_day(due.date(), closures)
    if window is not None:
        start, end = parse_send_window(window)
        assert start <= due.time() <= end
    if not business and window is None:
        assert due - completed == timedelta(days=delay)
    if business and delay > 0:
        # At least delay_days business days come after the completion day, up to the due day.
        first = completed.astimezone(TOKYO).date()
        counted = sum(
            is_business_day(first + timedelta(days=n), closures)
            for n in range(1, (due.date() - first).days + 1)
        )
        assert counted >= delay


@settings(max_examples=300, deadline=None)
@given(
    first=COMPLETED,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    delay=st.integers(min_value=0, max_value=10),
    business=st.booleans(),
    closures=CLOSURES,
    window=WINDOWS,
)
def test_later_completion_is_never_due_earlier(
    first: datetime,
    gap: timedelta,
    delay: int,
    business: bool,
    closures: list[str],
    window: str | None,
) -> None:
    def due(completed: datetime) -> datetime:
        return ack_due_at(
            completed,
            delay_days=delay,
            business_days=business,
            closure_days=closures,
            send_window=window,
        )

    assert due(first) <= due(first + gap)


# ---------------------------------------------------------------------------------------------
# Dates for applicants
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "wareki", "seireki"),
    [
        (date(2025, 4, 14), "令和7年4月14日", "2025年4月14日"),
        (date(2019, 5, 1), "令和元年5月1日", "2019年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日", "2019年4月30日"),
        (date(2020, 1, 1), "令和2年1月1日", "2020年1月1日"),
        (date(1989, 1, 8), "平成元年1月8日", "1989年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日", "1989年1月7日"),
        (date(1926, 12, 25), "昭和元年12月25日", "1926年12月25日"),
        (date(1868, 1, 1), "1868年1月1日", "1868年1月1日"),  # before 明治: western calendar
        # An aware datetime is dated in Tokyo: 15:30 UTC on the 13th is the 14th in Japan.
        (datetime(2025, 4, 13, 15, 30, tzinfo=UTC), "令和7年4月14日", "2025年4月14日"),
        (datetime(2019, 4, 30, 15, 0, tzinfo=UTC), "令和元年5月1日", "2019年5月1日"),
    ],
)
def test_date_formats(day: date, wareki: str, seireki: str) -> None:
    assert format_wareki(day) == wareki
    assert format_seireki(day) == seireki


@given(st.dates(min_value=date(2019, 5, 1), max_value=date(2099, 12, 31)))
def test_reiwa_year_is_western_year_minus_2018(day: date) -> None:
    year = day.year - 2018
    expected = f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"
    assert format_wareki(day) == expected
