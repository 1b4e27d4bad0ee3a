"""Counting recent experience (requirement 3 of the eligibility rule) as lower and upper bounds.

Pure arithmetic on the experience rows: no wording here (:mod:`intake.domain.eligibility` writes
the explanation from what this module counts).

Definitions:

* Window (確認期間): ``experience_window`` — the 5 years counted back from the training start
  date, ``[start - 5 years, start - 1 day]``, both ends included.
* Counting range: the window, cut at ``received_on`` when that comes earlier. Experience after
  the day the application was received has not happened yet and is never counted; an ongoing
  period (現在 / 継続中) ends on ``received_on``, even when an end date was typed as well.
* Tenure (在職期間): every row's period, clipped to the counting range, merged where periods
  overlap or touch (two posts held at once are not counted twice), counted in calendar days with
  both ends included.
* "At least 1 year": merged tenure of at least MIN_TENURE_DAYS (365) days. A day count (not a
  calendar comparison) is used because merged tenure may consist of several separate periods;
  365 is the shorter of the two possible calendar-year lengths, so the reading is the
  applicant-friendly one (a single period of one calendar year always qualifies).
* Worked days (従事日数): the per-row day counts, added up as on the form (days worked at two
  windows on the same day are counted for each row, exactly as the form's 合計 does). A row's
  count cannot be split by date, so a row that straddles the counting range contributes an
  interval: at least ``days_worked - days of the period outside the range`` (never below 0) and
  at most ``min(days_worked, days of the period inside the range)``.

Deciding under uncertainty: each row yields a lower and an upper bound for tenure and worked
days (rows with missing or reversed dates, missing or impossible day counts, and straddling rows
make the bounds differ). If the lower bounds already meet both thresholds the experience
requirement is met; if even an upper bound misses its threshold it is not met; otherwise a person
must decide. Adding a row can therefore never turn a met requirement into a missed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from intake.domain.forms import ExperienceEntry

LOOKBACK_YEARS = 5
MIN_TENURE_DAYS = 365
MIN_WORKED_DAYS = 180

Span = tuple[date, date]  # first and last day, both included


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; Feb 29 falls back to Feb 28.

    This mirrors 民法143条2項 (a period with no corresponding day ends on the last day of that
    month) and gives the longer of the two possible windows, i.e. it favours the applicant by
    at most one day.
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # Feb 29 in a year that has none
        return date(day.year - years, 2, 28)


def experience_window(training_starts_on: date) -> Span:
    """(first day, last day), both included: the 5 years before the training start date.

    ``[start - 5 years, start - 1 day]``; for a start on 2025-06-02 that is 2020-06-02 ..
    2025-06-01. When the start is Feb 29 the first day is Feb 28 five years earlier (see
    ``_years_before``), so the window is never shorter than 5 calendar years.
    """
    first = _years_before(training_starts_on, LOOKBACK_YEARS)
    return first, training_starts_on - timedelta(days=1)


def count_days(first: date, last: date) -> int:
    """Calendar days from first to last, both included (0 when last < first)."""
    return max(0, (last - first).days + 1)


def _clip(span: Span, bounds: Span) -> Span | None:
    first, last = max(span[0], bounds[0]), min(span[1], bounds[1])
    return (first, last) if first <= last else None


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Union of inclusive date spans; overlapping and adjacent spans become one."""
    merged: list[Span] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


class RowState(StrEnum):
    """How one row could be counted."""

    NO_PERIOD = "no_period"  # neither start nor end date could be used
    NO_START = "no_start"
    NO_END = "no_end"
    REVERSED = "reversed"  # starts after it ends (an ongoing row: after the day received)
    AFTER_RECEIPT = "after_receipt"  # dated, but after the day the application was received
    OUTSIDE_WINDOW = "outside_window"  # dated, but wholly outside the window
    NO_WORKED_DAYS = "no_worked_days"  # dated, but the day count is missing
    IMPOSSIBLE_WORKED_DAYS = "impossible_worked_days"  # more days worked than the period has
    COUNTED = "counted"


# Rows whose state leaves the experience requirement to be checked by a person.
PROBLEM_STATES = frozenset(
    {
        RowState.NO_PERIOD,
        RowState.NO_START,
        RowState.NO_END,
        RowState.REVERSED,
        RowState.NO_WORKED_DAYS,
        RowState.IMPOSSIBLE_WORKED_DAYS,
    }
)


@dataclass(frozen=True)
class RowCount:
    """One experience row as counted inside the counting range."""

    entry: ExperienceEntry
    state: RowState
    start: date | None
    end: date | None  # an ongoing row ends on the day received
    full_days: int  # days of the whole period (0 when its dates cannot be used)
    clipped: Span | None  # the dated period inside the counting range
    worked_lo: int
    worked_hi: int
    estimate: float | None  # pro-rata worked days inside the range, for straddling rows

    @property
    def dated(self) -> bool:
        """Its dates could be used (known and in order)."""
        return self.start is not None and self.end is not None and self.start <= self.end

    @property
    def inside_days(self) -> int:
        return count_days(*self.clipped) if self.clipped else 0

    @property
    def has_problem(self) -> bool:
        return self.state in PROBLEM_STATES


def count_row(entry: ExperienceEntry, counting: Span, received_on: date) -> RowCount:
    """Bounds for one row inside the counting range (see the module docstring)."""
    worked = entry.days_worked
    end = received_on if entry.ongoing else entry.period_to
    start = entry.period_from

    def unusable(state: RowState) -> RowCount:
        # Its dates are unknown: it might add any tenure, and at most its days worked.
        counting_days = count_days(*counting)
        hi = counting_days if worked is None else min(worked, counting_days)
        return RowCount(entry, state, start, end, 0, None, 0, hi, None)

    if start is None and end is None:
        return unusable(RowState.NO_PERIOD)
    if start is None:
        return unusable(RowState.NO_START)
    if end is None:
        return unusable(RowState.NO_END)
    if start > end:
        return unusable(RowState.REVERSED)

    full_days = count_days(start, end)
    clipped = _clip((start, end), counting)
    if clipped is None:
        after = received_on < start and counting[1] == received_on
        state = RowState.AFTER_RECEIPT if after else RowState.OUTSIDE_WINDOW
        return RowCount(entry, state, start, end, full_days, None, 0, 0, None)
    inside = count_days(*clipped)
    outside = full_days - inside

    def counted(state: RowState, lo: int, hi: int, estimate: float | None = None) -> RowCount:
        return RowCount(entry, state, start, end, full_days, clipped, lo, hi, estimate)

    if worked is None:
        return counted(RowState.NO_WORKED_DAYS, 0, inside)
    if worked > full_days:
        return counted(RowState.IMPOSSIBLE_WORKED_DAYS, 0, inside)
    if not outside:
        return counted(RowState.COUNTED, worked, worked)
    lo, hi = max(0, worked - outside), min(worked, inside)
    estimate = None if lo == hi else worked * inside / full_days
    return counted(RowState.COUNTED, lo, hi, estimate)


@dataclass(frozen=True)
class ExperienceCount:
    """Tenure and worked days of all rows, as lower and upper bounds."""

    counting: Span
    rows: tuple[RowCount, ...]
    tenure_lo: int  # merged, clipped tenure of the dated rows
    tenure_hi: int  # the whole counting range when some row's dates are unknown
    worked_lo: int
    worked_hi: int
    overlapping: bool  # dated periods overlap: merged tenure is less than their sum

    @property
    def tenure_met(self) -> bool:
        return self.tenure_lo >= MIN_TENURE_DAYS

    @property
    def tenure_missed(self) -> bool:
        return self.tenure_hi < MIN_TENURE_DAYS

    @property
    def worked_met(self) -> bool:
        return self.worked_lo >= MIN_WORKED_DAYS

    @property
    def worked_missed(self) -> bool:
        return self.worked_hi < MIN_WORKED_DAYS

    @property
    def requirement_met(self) -> bool | None:
        """True when the lower bounds meet both thresholds, False when an upper bound misses
        one, None when only a person can tell."""
        if self.tenure_met and self.worked_met:
            return True
        if self.tenure_missed or self.worked_missed:
            return False
        return None

    @property
    def worked_days(self) -> int | None:
        """The worked-day total when the bounds agree, else None."""
        return self.worked_lo if self.worked_lo == self.worked_hi else None

    @property
    def worked_estimate(self) -> float | None:
        """Worked days with straddling rows counted pro rata, when nothing else is uncertain."""
        if any(row.has_problem for row in self.rows):
            return None
        return sum(row.worked_lo if row.estimate is None else row.estimate for row in self.rows)


def count_experience(
    entries: Sequence[ExperienceEntry], *, window: Span, received_on: date
) -> ExperienceCount:
    """Requirement (3)'s figures for ``entries`` (see the module docstring)."""
    counting = (window[0], min(window[1], received_on))
    rows = tuple(count_row(entry, counting, received_on) for entry in entries)
    dated = [row.clipped for row in rows if row.clipped]
    tenure_lo = sum(count_days(*span) for span in _merge(dated))
    tenure_hi = count_days(*counting) if any(not row.dated for row in rows) else tenure_lo
    return ExperienceCount(
        counting=counting,
        rows=rows,
        tenure_lo=tenure_lo,
        tenure_hi=tenure_hi,
        worked_lo=sum(row.worked_lo for row in rows),
        worked_hi=sum(row.worked_hi for row in rows),
        overlapping=sum(count_days(*span) for span in dated) > tenure_lo,
    )
