"""Every date and time format, on the Tokyo clock, from one module."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from intake.domain.timefmt import (
    format_jst,
    format_jst_letter,
    format_seireki,
    format_wareki,
    iso_jst,
    screen_date,
    screen_jst,
    short_jst,
    time_ago,
)

# 2025-05-07 08:00 UTC is 17:00 in Tokyo.
DEADLINE = datetime(2025, 5, 7, 8, 0, tzinfo=UTC)


def test_operator_formats() -> None:
    assert format_jst(DEADLINE) == "2025年5月7日 17:00"
    assert format_jst(DEADLINE.replace(second=30)) == "2025年5月7日 17:00:30"
    assert short_jst(DEADLINE) == "2025-05-07 17:00"
    assert iso_jst(DEADLINE) == "2025-05-07T17:00:00+09:00"
    assert (short_jst(None), iso_jst(None)) == ("", None)


def test_applicant_formats() -> None:
    assert format_jst_letter(DEADLINE) == "2025年5月7日 17時00分"
    assert format_jst_letter(DEADLINE, wareki=True) == "令和7年5月7日 17時00分"
    with pytest.raises(ValueError, match="aware"):
        format_jst_letter(datetime(2025, 5, 7, 17, 0))


def test_dates() -> None:
    assert format_seireki(date(2019, 5, 1)) == "2019年5月1日"
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(2019, 4, 30)) == "平成31年4月30日"
    # An aware instant is dated in Tokyo: 2025-05-07 20:00 UTC is already the 8th there.
    assert format_seireki(datetime(2025, 5, 7, 20, 0, tzinfo=UTC)) == "2025年5月8日"


def test_the_console_shows_instants_on_the_tokyo_clock_with_the_weekday() -> None:
    instant = datetime(2025, 5, 7, 8, 0, tzinfo=UTC)  # 17:00 in Tokyo
    assert screen_jst(instant) == "2025/05/07（水）17:00"
    assert screen_date(datetime(2025, 5, 31, 15, 30, tzinfo=UTC)) == "2025/06/01（日）"
    assert screen_jst(None) == screen_date(None) == ""


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(-5, "これから"), (30, "たった今"), (300, "5 分前"), (7200, "2 時間前"), (259200, "3 日前")],
)
def test_time_ago(seconds: int, said: str) -> None:
    now = datetime(2025, 5, 7, 8, 0, tzinfo=UTC)
    assert time_ago(now - timedelta(seconds=seconds), now) == said
