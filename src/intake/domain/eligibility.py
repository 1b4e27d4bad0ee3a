"""Eligibility for the training (受講資格): current post, role and recent experience.

The published rule: an applicant is eligible when

1. they currently work at a foreign-resident consultation window run by a local government
   or by an organisation commissioned by one (``operator_type`` in ELIGIBLE_OPERATOR_TYPES);
2. they do so as a consultant or as someone advising consultants (``role`` in ROLES);
3. within the 5 years before the training start date they were consultants for at least
   1 year of tenure, with at least 180 days actually worked during that tenure.

Holders of one of the EXEMPTING_QUALIFICATIONS need no experience, provided the qualification
is declared on the form (Mark.CHECKED) *and* a qualification proof is attached.

Everything here is pure: dates are parameters, nothing is read or written. The judgement is
three-valued (eligible / ineligible / needs review) and comes with a Japanese explanation that
shows the arithmetic, so that an operator can check it by hand against the forms.

Definitions (each is also a module constant or a function below):

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
must decide (NEEDS_REVIEW). Adding a row can therefore never turn an eligible applicant into an
ineligible one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from intake.domain.forms import (
    ELIGIBLE_OPERATOR_TYPES,
    EXEMPTING_QUALIFICATIONS,
    OPERATOR_TYPES,
    ROLES,
    ApplicationForm,
    ExperienceDeclaration,
    ExperienceEntry,
    Mark,
)

LOOKBACK_YEARS = 5
MIN_TENURE_DAYS = 365
MIN_WORKED_DAYS = 180


class EligibilityStatus(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    NEEDS_REVIEW = "needs_review"  # the data cannot decide it: a person must look


_VERDICT: dict[EligibilityStatus, str] = {
    EligibilityStatus.ELIGIBLE: "受講資格あり",
    EligibilityStatus.INELIGIBLE: "受講資格なし",
    EligibilityStatus.NEEDS_REVIEW: "要確認（担当者が確認してください）",
}


@dataclass(frozen=True)
class Eligibility:
    """The judgement on one application.

    ``tenure_days`` is the merged, clipped tenure of the rows whose dates could be read (a lower
    bound when some rows' dates are missing); 0 when there is no experience sheet.
    ``worked_days`` is the worked-day total inside the counting range, or None when it cannot be
    determined exactly (no sheet, missing or impossible counts, straddling rows).
    """

    status: EligibilityStatus
    explanation: str  # Japanese, one fact per line, for the operator
    exempt_by: str | None  # the qualification that waived the experience requirement
    tenure_days: int
    worked_days: int | None


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


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


def experience_window(training_starts_on: date) -> tuple[date, date]:
    """(first day, last day), both included: the 5 years before the training start date.

    ``[start - 5 years, start - 1 day]``; for a start on 2025-06-02 that is 2020-06-02 ..
    2025-06-01. When the start is Feb 29 the first day is Feb 28 five years earlier (see
    ``_years_before``), so the window is never shorter than 5 calendar years.
    """
    first = _years_before(training_starts_on, LOOKBACK_YEARS)
    return first, training_starts_on - timedelta(days=1)


def _days(first: date, last: date) -> int:
    """Calendar days from first to last, both included (0 when last < first)."""
    return max(0, (last - first).days + 1)


def _clip(span: tuple[date, date], bounds: tuple[date, date]) -> tuple[date, date] | None:
    first, last = max(span[0], bounds[0]), min(span[1], bounds[1])
    return (first, last) if first <= last else None


def _merge(spans: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Union of inclusive date spans; overlapping and adjacent spans become one."""
    merged: list[tuple[date, date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def _jdate(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


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


def _canon(text: str) -> str:
    """Comparison key for a form value: NFKC, no white space."""
    return "".join(unicodedata.normalize("NFKC", text).split())


# --------------------------------------------------------------------------------------------
# The current post: requirements (1) and (2)
# --------------------------------------------------------------------------------------------

_OPERATOR_KEYS = {_canon(value): value for value in OPERATOR_TYPES}
_ROLE_KEYS = {_canon(value): value for value in ROLES}
_QUALIFICATION_KEYS = {_canon(value): value for value in EXEMPTING_QUALIFICATIONS}


def _judge_post(application: ApplicationForm) -> tuple[EligibilityStatus, list[str]]:
    """Requirements (1) and (2).

    An operator type from the form's list but not an eligible one is INELIGIBLE. A blank
    operator type or role, or text that is not one of the form's choices, is NEEDS_REVIEW: the
    form offers a fixed list, so anything else means a person has to read what was written.
    """
    lines: list[str] = []
    status = EligibilityStatus.ELIGIBLE

    operator = application.operator_type
    known_operator = _OPERATOR_KEYS.get(_canon(operator)) if operator else None
    if not operator or not operator.strip():
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append("窓口の運営主体: 記入がありません … 要確認")
    elif known_operator is None:
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append(f"窓口の運営主体: 「{operator}」は選択肢にない記入です … 要確認")
    elif known_operator not in ELIGIBLE_OPERATOR_TYPES:
        lines.append(
            f"窓口の運営主体: 「{known_operator}」… 満たさない"
            "（地方公共団体または地方公共団体の委託等を受けた機関が運営する窓口が対象です）"
        )
        return EligibilityStatus.INELIGIBLE, lines
    else:
        lines.append(f"窓口の運営主体: 「{known_operator}」… 満たす")

    role = application.role
    known_role = _ROLE_KEYS.get(_canon(role)) if role else None
    if not role or not role.strip():
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append("現在の立場: 記入がありません … 要確認")
    elif known_role is None:
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append(
            f"現在の立場: 「{role}」は選択肢（相談対応者／相談対応者に対して助言・指導する立場）"
            "にない記入です … 要確認"
        )
    else:
        lines.append(f"現在の立場: 「{known_role}」… 満たす")
    return status, lines


# --------------------------------------------------------------------------------------------
# Qualifications
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Qualifications:
    exempt_by: str | None  # declared, recognised and proven
    declared: tuple[str, ...]  # declared and recognised, in form order
    unclear: tuple[str, ...]  # recognised, with a mark nobody could read
    unknown_names: tuple[str, ...]  # declared but not one of the exempting qualifications


def _read_qualifications(application: ApplicationForm, proof_attached: bool) -> _Qualifications:
    declared: set[str] = set()
    unclear: set[str] = set()
    unknown: list[str] = []
    for item in application.qualifications:
        name = _QUALIFICATION_KEYS.get(_canon(item.name))
        if item.mark is Mark.CHECKED:
            if name is None:
                unknown.append(item.name)
            else:
                declared.add(name)
        elif item.mark is Mark.UNKNOWN and name is not None:
            unclear.add(name)
    in_order = tuple(q for q in EXEMPTING_QUALIFICATIONS if q in declared)
    return _Qualifications(
        exempt_by=in_order[0] if in_order and proof_attached else None,
        declared=in_order,
        unclear=tuple(q for q in EXEMPTING_QUALIFICATIONS if q in unclear and q not in declared),
        unknown_names=tuple(unknown),
    )


# --------------------------------------------------------------------------------------------
# Experience: requirement (3)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One experience row as counted: bounds, and the lines that explain it."""

    clipped: tuple[date, date] | None  # the dated period inside the counting range
    dated: bool  # its dates could be used (known and in order)
    worked_lo: int
    worked_hi: int
    estimate: float | None  # pro-rata worked days inside the range, for straddling rows
    problem: str | None  # why this row cannot be counted as declared, "No.2（9行目）: …"
    lines: tuple[str, ...]


def _label(entry: ExperienceEntry) -> str:
    no = f"No.{entry.no}" if entry.no is not None else "No.なし"
    return f"{no}（{entry.row}行目）"


def _assess(entry: ExperienceEntry, counting: tuple[date, date], received_on: date) -> _Row:
    """Bounds for one row inside the counting range (see the module docstring)."""
    label = _label(entry)
    counting_days = _days(*counting)
    worked = entry.days_worked
    worked_text = f"従事{_n(worked)}" if worked is not None else "従事日数の記入なし"

    def unusable(problem: str, line: str) -> _Row:
        # Its dates are unknown: it might add any tenure, and at most its days worked.
        hi = counting_days if worked is None else min(worked, counting_days)
        return _Row(None, False, 0, hi, None, f"{label}: {problem}", (line,))

    end = received_on if entry.ongoing else entry.period_to
    start = entry.period_from
    if start is None or end is None:
        missing = (
            "期間" if start is None and end is None else "開始日" if start is None else "終了日"
        )
        return unusable(
            f"{missing}が不明",
            f"{label}: {missing}の記入がない、または読み取れません（{worked_text}）"
            " … 数えられないため要確認",
        )
    end_text = f"継続中（受付日 {_jdate(received_on)} まで）" if entry.ongoing else _jdate(end)
    if start > end:
        why = "受付日より後" if entry.ongoing else "終了日より後"
        return unusable(
            f"開始日が{why}",
            f"{label}: {_jdate(start)}〜{end_text} 開始日が{why}になっています"
            f"（{worked_text}） … 数えられないため要確認",
        )

    period = f"{label}: {_jdate(start)}〜{end_text}"
    full_days = _days(start, end)
    clipped = _clip((start, end), counting)
    inside = _days(*clipped) if clipped else 0
    outside = full_days - inside
    if clipped is None:
        after = received_on < start and counting[1] == received_on
        where = "受付日より後" if after else "確認期間外"
        line = f"{period}（{_n(full_days)}、{worked_text}） … {where}のため数えません"
        return _Row(None, True, 0, 0, None, None, (line,))
    head = f"{period}（{_n(full_days)}、{worked_text}）"
    if outside:
        head = (
            f"{period}（全期間{_n(full_days)}、{worked_text}）"
            f" → 数える期間 {_jdate(clipped[0])}〜{_jdate(clipped[1])}（{_n(inside)}）"
        )
    if worked is None:
        return _Row(
            clipped, True, 0, inside, None, f"{label}: 従事日数が不明", (head + " … 要確認",)
        )
    if worked > full_days:
        return _Row(
            clipped,
            True,
            0,
            inside,
            None,
            f"{label}: 従事日数が期間の日数を超えている",
            (f"{head} … 従事日数が期間の日数（{_n(full_days)}）を超えていてあり得ないため要確認",),
        )
    if not outside:
        return _Row(clipped, True, worked, worked, None, None, (head,))
    lo, hi = max(0, worked - outside), min(worked, inside)
    if lo == hi:
        detail = f"従事{_n(worked)}は期間全体の日数ですが、数える期間内は {_n(lo)} と確定します"
        return _Row(clipped, True, lo, hi, None, None, (head, f"    {detail}"))
    estimate = worked * inside / full_days
    detail = (
        f"従事{_n(worked)}は期間全体の日数のため、数える期間内は {lo:,}〜{_n(hi)}"
        f"（日数で按分すると約{_n(round(estimate))}）"
    )
    return _Row(clipped, True, lo, hi, estimate, None, (head, f"    {detail}"))


@dataclass(frozen=True)
class _Experience:
    status: EligibilityStatus
    tenure_days: int
    worked_days: int | None
    lines: list[str]


def _judge_experience(
    entries: Sequence[ExperienceEntry],
    notes: Sequence[str],
    *,
    window: tuple[date, date],
    training_starts_on: date,
    received_on: date,
) -> _Experience:
    """Requirement (3) from the experience rows, by lower and upper bounds (see module doc)."""
    counting = (window[0], min(window[1], received_on))
    lines = [
        f"確認期間: {_jdate(window[0])}〜{_jdate(window[1])}"
        f"（研修開始日 {_jdate(training_starts_on)} の直近{LOOKBACK_YEARS}年）"
    ]
    if received_on < window[1] and any(
        e.period_to is not None and e.period_to > received_on and not e.ongoing for e in entries
    ):
        lines.append(f"  受付日 {_jdate(received_on)} より後の日は、まだ実績ではないため数えません")
    rows = [_assess(entry, counting, received_on) for entry in entries]
    for row in rows:
        lines.extend(f"  {line}" for line in row.lines)
    lines.extend(f"  表中の記載: {note}" for note in notes)
    if not rows:
        lines.append("  実務経験の記入がありません")

    dated = [row.clipped for row in rows if row.clipped]
    merged = _merge(dated)
    tenure_lo = sum(_days(*span) for span in merged)
    tenure_hi = _days(*counting) if any(not row.dated for row in rows) else tenure_lo
    worked_lo = sum(row.worked_lo for row in rows)
    worked_hi = sum(row.worked_hi for row in rows)
    overlapping = sum(_days(*span) for span in dated) > tenure_lo

    tenure_ok = tenure_lo >= MIN_TENURE_DAYS
    tenure_fails = tenure_hi < MIN_TENURE_DAYS
    label = "在職期間の合計（重複を除く）" if overlapping else "在職期間の合計"
    tenure = f"{label}: {_n(tenure_lo)}" + (f"（{_approx(tenure_lo)}）" if tenure_lo else "")
    year = f"{_n(MIN_TENURE_DAYS)}（1年）"
    if tenure_ok:
        lines.append(f"{tenure} ≧ {year} … 満たす")
    elif tenure_fails:
        lines.append(f"{tenure} ＜ {year} … 満たさない")
    else:
        lines.append(f"{tenure} ＜ {year} … 期間の分からない行があるため判断できません")
    if overlapping:
        lines.append(
            "  （期間が重なる日は1日として数えています。従事日数は各行をそのまま合計します）"
        )

    worked_ok = worked_lo >= MIN_WORKED_DAYS
    worked_fails = worked_hi < MIN_WORKED_DAYS
    needed = _n(MIN_WORKED_DAYS)
    if worked_lo == worked_hi:
        worked = f"従事日数の合計: {_n(worked_lo)}"
    else:
        worked = f"従事日数の合計: {worked_lo:,}〜{_n(worked_hi)}"
        if all(row.problem is None for row in rows):  # only straddling rows are uncertain
            estimate = sum(row.worked_lo if row.estimate is None else row.estimate for row in rows)
            worked += f"（按分すると約{_n(round(estimate))}）"
    if worked_ok:
        lines.append(f"{worked} ≧ {needed} … 満たす")
    elif worked_fails:
        lines.append(f"{worked} ＜ {needed} … 満たさない")
    else:
        lines.append(f"{worked} … {needed}に達するか判断できません")

    problems = [row.problem for row in rows if row.problem]
    if tenure_ok and worked_ok:
        status = EligibilityStatus.ELIGIBLE
        heading = "注: 次の行は確認できませんでしたが、その分を除いても要件を満たします"
    elif tenure_fails or worked_fails:
        status = EligibilityStatus.INELIGIBLE
        heading = "注: 次の行を最大限に数えても要件を満たしません"
    else:
        status = EligibilityStatus.NEEDS_REVIEW
        heading = "要確認: 次の行を確認してください"
    if problems:
        lines.append(heading)
        lines.extend(f"  ・{problem}" for problem in problems)
    if status is EligibilityStatus.NEEDS_REVIEW and any(r.estimate is not None for r in rows):
        lines.append(
            "要確認: 確認期間の初日または受付日をまたぐ行は、従事日数を内外に分けられません。"
            "在職証明書等で確認期間内の従事日数を確認してください"
        )
    worked_days = worked_lo if worked_lo == worked_hi else None
    return _Experience(status, tenure_lo, worked_days, lines)


# --------------------------------------------------------------------------------------------
# The judgement
# --------------------------------------------------------------------------------------------


def judge_eligibility(
    application: ApplicationForm,
    experience: ExperienceDeclaration | None,
    *,
    training_starts_on: date,
    received_on: date,
    qualification_proof_attached: bool,
) -> Eligibility:
    """Judge requirements (1)-(3) for one application.

    Order and combination:

    * The current post first. An operator type on the form's list that is not eligible makes
      the applicant INELIGIBLE and nothing else is looked at. A blank or unrecognised operator
      type or role is NEEDS_REVIEW, never INELIGIBLE by itself; experience is still judged, and
      if experience clearly fails the result is INELIGIBLE (a person need not look then).
    * Exemption: a recognised exempting qualification marked CHECKED, with
      ``qualification_proof_attached``, waives the experience requirement (``exempt_by`` is its
      name, the first in form order). Declared without proof: experience is judged and the
      explanation says the proof is missing. A qualification whose mark is UNKNOWN, with proof
      attached, makes a result that experience alone does not make ELIGIBLE into NEEDS_REVIEW
      (without proof it could not exempt anyway).
    * Experience (see the module docstring for tenure, worked days and bounds). No experience
      sheet and no exemption is INELIGIBLE.

    The overall status is ELIGIBLE when every requirement is met, INELIGIBLE when any is
    clearly not met, and NEEDS_REVIEW otherwise.
    """
    window = experience_window(training_starts_on)
    entries = experience.entries if experience is not None else ()
    notes = experience.table_notes if experience is not None else ()
    assessed = _judge_experience(
        entries,
        notes,
        window=window,
        training_starts_on=training_starts_on,
        received_on=received_on,
    )

    def result(status: EligibilityStatus, lines: list[str], exempt_by: str | None) -> Eligibility:
        lines.append(f"判定: {_VERDICT[status]}")
        return Eligibility(
            status=status,
            explanation="\n".join(lines),
            exempt_by=exempt_by,
            tenure_days=assessed.tenure_days,
            worked_days=assessed.worked_days if experience is not None else None,
        )

    post_status, lines = _judge_post(application)
    if post_status is EligibilityStatus.INELIGIBLE:
        return result(post_status, lines, None)

    quals = _read_qualifications(application, qualification_proof_attached)
    if quals.unknown_names:
        names = "、".join(f"「{name}」" for name in quals.unknown_names)
        lines.append(f"資格: {names}は免除の対象となる資格ではありません")
    if quals.exempt_by is not None:
        lines.append(
            f"資格: {quals.exempt_by}（申告あり・資格証明書の添付あり）により、"
            "実務経験の要件は免除されます"
        )
        if post_status is EligibilityStatus.NEEDS_REVIEW:
            return result(EligibilityStatus.NEEDS_REVIEW, lines, quals.exempt_by)
        return result(EligibilityStatus.ELIGIBLE, lines, quals.exempt_by)
    if quals.declared:
        lines.append(
            f"資格: {'、'.join(quals.declared)}の申告がありますが、資格証明書が添付されていないため"
            "免除は適用せず、実務経験で判断します"
        )
    unclear = quals.unclear if qualification_proof_attached else ()
    if unclear:
        lines.append(
            f"資格: {'、'.join(unclear)}のチェック欄の記号が読み取れません（資格証明書の添付あり）"
        )

    if experience is None:
        lines.append(
            "実務経験申告書がなく、実務経験の要件を満たしません"
            + ("" if unclear else "（資格による免除もありません）")
        )
        experience_status = EligibilityStatus.INELIGIBLE
    else:
        lines.extend(assessed.lines)
        experience_status = assessed.status

    if unclear and experience_status is not EligibilityStatus.ELIGIBLE:
        lines.append(
            f"要確認: {'、'.join(unclear)}の保有が確認できれば実務経験は不要となるため、"
            "資格欄と資格証明書を確認してください"
        )
        experience_status = EligibilityStatus.NEEDS_REVIEW

    if experience_status is EligibilityStatus.INELIGIBLE:
        status = EligibilityStatus.INELIGIBLE
    elif post_status is EligibilityStatus.NEEDS_REVIEW:
        status = EligibilityStatus.NEEDS_REVIEW
    else:
        status = experience_status
    return result(status, lines, None)
