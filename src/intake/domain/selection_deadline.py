"""The notice date's guard (pure): when to warn that decisions or notices are missing.

Selected applicants must be told by 17:00 Tokyo time on the term's ``decision_notice_by``; no
notice by then means not selected. From three business days before that date (the
acknowledgements' calendar: weekdays that are neither Japanese public holidays nor the office's
closure days), ``intake status``, the console and the daemon warn while a candidate has no
decision or a due notice has not gone out; on the day itself the daemon also mails the
operators once if a 受講決定のお知らせ is still unsent. After the deadline only unsent 決定
notices are worth a warning (an undecided applicant is simply not selected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from intake.domain.model import TOKYO, Term
from intake.domain.schedule import is_business_day
from intake.domain.timefmt import WEEKDAYS

GUARD_BUSINESS_DAYS = 3


@dataclass(frozen=True)
class SelectionProgress:
    """Where a term's selection stands."""

    candidates: int = 0  # current applications that are eligible or need review
    undecided: int = 0  # candidates without a decision
    selected: int = 0
    waitlisted: int = 0
    not_selected: int = 0
    selected_unsent: int = 0  # 決定 whose notice is not (yet) with the applicant
    not_selected_unsent: int = 0  # 見送り whose due notice is not (yet) with the applicant

    @property
    def notices_missing(self) -> int:
        return self.selected_unsent + self.not_selected_unsent


def guard_starts_on(notice_by: date, closure_days: Sequence[str]) -> date:
    """The day the guard starts: the third business day before ``notice_by``."""
    day, counted = notice_by, 0
    while counted < GUARD_BUSINESS_DAYS:
        day -= timedelta(days=1)
        if is_business_day(day, closure_days):
            counted += 1
    return day


def _day(day: date) -> str:
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def deadline_warning(
    term: Term, progress: SelectionProgress, now: datetime, closure_days: Sequence[str]
) -> str | None:
    """The warning for ``term`` at ``now`` (Japanese, one line), or None."""
    deadline = term.decision_deadline
    if deadline is None or term.decision_notice_by is None:
        return None
    when = f"{_day(term.decision_notice_by)} 17:00"
    if now >= deadline:
        if not progress.selected_unsent:
            return None
        return (
            f"{term.name}: 受講決定の通知期日（{when}）を過ぎましたが、受講決定のお知らせが"
            f"相手に届いていない申込が {progress.selected_unsent} 件あります"
            "（intake selection list で確認してください）"
        )
    if now.astimezone(TOKYO).date() < guard_starts_on(term.decision_notice_by, closure_days):
        return None
    missing = []
    if progress.undecided:
        missing.append(f"決定が未入力の申込 {progress.undecided} 件")
    if progress.selected_unsent:
        missing.append(f"未送信の受講決定のお知らせ {progress.selected_unsent} 件")
    if progress.not_selected_unsent:
        missing.append(f"未送信の選考結果のお知らせ {progress.not_selected_unsent} 件")
    if not missing:
        return None
    return f"{term.name}: 受講決定の通知期日は {when} です。{'、'.join(missing)}があります"


def alert_due(term: Term, progress: SelectionProgress, now: datetime) -> bool:
    """Whether the operators are to be mailed: the notice date itself, a 決定 still unsent."""
    if term.decision_notice_by is None:
        return False
    return now.astimezone(TOKYO).date() == term.decision_notice_by and progress.selected_unsent > 0
