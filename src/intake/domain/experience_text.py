"""The Japanese explanation of the experience count (requirement 3): one fact per line, with the
arithmetic, so that an operator can check it by hand against the forms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from intake.domain.experience import (
    LOOKBACK_YEARS,
    MIN_TENURE_DAYS,
    MIN_WORKED_DAYS,
    ExperienceCount,
    RowCount,
    RowState,
)
from intake.domain.forms import ExperienceEntry
from intake.domain.timefmt import format_seireki

# The heading over the rows that could not be counted as declared, by the requirement's verdict.
_PROBLEMS_HEADING: dict[bool | None, str] = {
    True: "注: 次の行は確認できませんでしたが、その分を除いても要件を満たします",
    False: "注: 次の行を最大限に数えても要件を満たしません",
    None: "要確認: 次の行を確認してください",
}


def _n(days: int) -> str:
    return f"{days:,}日"


def _approx(days: int) -> str:
    """Days as rough years and months (average month of 365.25/12 days) for reading only.

    Rounded to the nearest month, but below MIN_TENURE_DAYS never shown as a full year, so the
    rough figure cannot contradict the day comparison next to it.
    """
    months = int(days * 12 / 365.25 + 0.5)
    if days < MIN_TENURE_DAYS:
        months = min(months, 11)
    if months == 0:
        return "1か月未満"
    years, rest = divmod(months, 12)
    if years and rest:
        return f"約{years}年{rest}か月"
    return f"約{years}年" if years else f"約{rest}か月"


def explain_experience(
    count: ExperienceCount,
    notes: Sequence[str],
    *,
    window: tuple[date, date],
    training_starts_on: date,
    received_on: date,
) -> list[str]:
    """The lines that explain ``count`` (``notes``: what the table held besides its rows)."""
    lines = [
        f"確認期間: {format_seireki(window[0])}〜{format_seireki(window[1])}"
        f"（研修開始日 {format_seireki(training_starts_on)} の直近{LOOKBACK_YEARS}年）"
    ]
    if received_on < window[1] and any(
        row.entry.period_to is not None
        and row.entry.period_to > received_on
        and not row.entry.ongoing
        for row in count.rows
    ):
        lines.append(
            f"  受付日 {format_seireki(received_on)} より後の日は、まだ実績ではないため数えません"
        )
    for row in count.rows:
        lines.extend(f"  {line}" for line in _row_lines(row, received_on))
    lines.extend(f"  表中の記載: {note}" for note in notes)
    if not count.rows:
        lines.append("  実務経験の記入がありません")
    lines.extend(_tenure_lines(count))
    lines.extend(_worked_lines(count))
    problems = [problem for row in count.rows if (problem := _problem(row))]
    if problems:
        lines.append(_PROBLEMS_HEADING[count.requirement_met])
        lines.extend(f"  ・{problem}" for problem in problems)
    if count.requirement_met is None and any(r.estimate is not None for r in count.rows):
        lines.append(
            "要確認: 確認期間の初日または受付日をまたぐ行は、従事日数を内外に分けられません。"
            "在職証明書等で確認期間内の従事日数を確認してください"
        )
    return lines


def _tenure_lines(count: ExperienceCount) -> list[str]:
    tenure_lo = count.tenure_lo
    label = "在職期間の合計（重複を除く）" if count.overlapping else "在職期間の合計"
    tenure = f"{label}: {_n(tenure_lo)}" + (f"（{_approx(tenure_lo)}）" if tenure_lo else "")
    year = f"{_n(MIN_TENURE_DAYS)}（1年）"
    if count.tenure_met:
        lines = [f"{tenure} ≧ {year} … 満たす"]
    elif count.tenure_missed:
        lines = [f"{tenure} ＜ {year} … 満たさない"]
    else:
        lines = [f"{tenure} ＜ {year} … 期間の分からない行があるため判断できません"]
    if count.overlapping:
        lines.append(
            "  （期間が重なる日は1日として数えています。従事日数は各行をそのまま合計します）"
        )
    return lines


def _worked_lines(count: ExperienceCount) -> list[str]:
    needed = _n(MIN_WORKED_DAYS)
    if count.worked_lo == count.worked_hi:
        worked = f"従事日数の合計: {_n(count.worked_lo)}"
    else:
        worked = f"従事日数の合計: {count.worked_lo:,}〜{_n(count.worked_hi)}"
        estimate = count.worked_estimate
        if estimate is not None:  # only straddling rows are uncertain
            worked += f"（按分すると約{_n(round(estimate))}）"
    if count.worked_met:
        return [f"{worked} ≧ {needed} … 満たす"]
    if count.worked_missed:
        return [f"{worked} ＜ {needed} … 満たさない"]
    return [f"{worked} … {needed}に達するか判断できません"]


def _label(entry: ExperienceEntry) -> str:
    no = f"No.{entry.no}" if entry.no is not None else "No.なし"
    return f"{no}（{entry.row}行目）"


_MISSING = {RowState.NO_PERIOD: "期間", RowState.NO_START: "開始日", RowState.NO_END: "終了日"}


def _reversed_why(row: RowCount) -> str:
    return "受付日より後" if row.entry.ongoing else "終了日より後"


def _problem(row: RowCount) -> str | None:
    """Why the row cannot be counted as declared, "No.2（9行目）: …"; None when it can."""
    label = _label(row.entry)
    if row.state in _MISSING:
        return f"{label}: {_MISSING[row.state]}が不明"
    if row.state is RowState.REVERSED:
        return f"{label}: 開始日が{_reversed_why(row)}"
    if row.state is RowState.NO_WORKED_DAYS:
        return f"{label}: 従事日数が不明"
    if row.state is RowState.IMPOSSIBLE_WORKED_DAYS:
        return f"{label}: 従事日数が期間の日数を超えている"
    return None


def _row_lines(row: RowCount, received_on: date) -> list[str]:
    """How one row was counted, as the explanation shows it."""
    entry = row.entry
    label = _label(entry)
    worked = entry.days_worked
    worked_text = f"従事{_n(worked)}" if worked is not None else "従事日数の記入なし"
    if row.state in _MISSING:
        missing = _MISSING[row.state]
        return [
            f"{label}: {missing}の記入がない、または読み取れません（{worked_text}）"
            " … 数えられないため要確認"
        ]
    assert row.start is not None and row.end is not None
    end_text = (
        f"継続中（受付日 {format_seireki(received_on)} まで）"
        if entry.ongoing
        else format_seireki(row.end)
    )
    period = f"{label}: {format_seireki(row.start)}〜{end_text}"
    if row.state is RowState.REVERSED:
        why = _reversed_why(row)
        return [f"{period} 開始日が{why}になっています（{worked_text}） … 数えられないため要確認"]
    if row.clipped is None:
        where = "受付日より後" if row.state is RowState.AFTER_RECEIPT else "確認期間外"
        return [f"{period}（{_n(row.full_days)}、{worked_text}） … {where}のため数えません"]
    inside = row.inside_days
    head = f"{period}（{_n(row.full_days)}、{worked_text}）"
    if inside < row.full_days:
        head = (
            f"{period}（全期間{_n(row.full_days)}、{worked_text}）"
            f" → 数える期間 {format_seireki(row.clipped[0])}〜{format_seireki(row.clipped[1])}"
            f"（{_n(inside)}）"
        )
    if row.state is RowState.NO_WORKED_DAYS:
        return [head + " … 要確認"]
    if row.state is RowState.IMPOSSIBLE_WORKED_DAYS:
        return [
            f"{head} … 従事日数が期間の日数（{_n(row.full_days)}）を超えていてあり得ないため要確認"
        ]
    if inside == row.full_days:
        return [head]
    assert worked is not None  # a counted row has its day count
    lo, hi = row.worked_lo, row.worked_hi
    if row.estimate is None:
        detail = f"従事{_n(worked)}は期間全体の日数ですが、数える期間内は {_n(lo)} と確定します"
    else:
        detail = (
            f"従事{_n(worked)}は期間全体の日数のため、数える期間内は {lo:,}〜{_n(hi)}"
            f"（日数で按分すると約{_n(round(row.estimate))}）"
        )
    return [head, f"    {detail}"]
