"""Reading the agency's decisions back (pure): everything that refuses an import, or the plan.

An import is all or nothing: every problem is one Japanese line for the operator, and with any
problem nothing is recorded. Refused are: a 受付番号 that is not one of this term's current
applications (unknown, another term's, or superseded by a resubmission); a row without a
decision, or with something other than 決定 / 補欠 / 見送り; an application twice; an
application the prepared first sheet did not have; a prepared row that is missing; more 決定
than the term's capacity (unless the operator says so); and a change that can no longer be
made: a decision whose notice may already be with the applicant, or a new 決定 after the
notice date (no notice by then means not selected, so a 補欠 moves up only until then).

Everything else may change as often as the agency likes: an import replaces earlier decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from intake.domain.labels import DECISION_LABELS, DECISION_NOTICE_NAMES
from intake.domain.lifecycle import Decision
from intake.domain.search import format_reference, parse_reference
from intake.domain.selection import read_decision
from intake.domain.timefmt import short_jst


@dataclass(frozen=True)
class SheetRow:
    """One row of the first sheet below its header, as typed (cells as text, None if empty)."""

    row: int  # the sheet's row number
    reference: str | None  # 受付番号
    decision: str | None  # 決定


@dataclass(frozen=True)
class RecordedApplication:
    """What intake holds about an application an import names."""

    application_id: int
    term_id: int
    current: bool  # False: superseded by a later application of the same applicant
    decision: Decision | None
    # The decision a notice that may be with the applicant told (None: no such notice).
    told: Decision | None = None


@dataclass(frozen=True)
class ImportContext:
    term_id: int
    term_name: str
    capacity: int
    over_capacity: bool  # the operator allows more 決定 than places
    prepared: frozenset[int]  # the application ids of the prepared first sheet
    now: datetime
    deadline: datetime | None  # 17:00 of decision_notice_by
    # 決定 of the term's current applications that this workbook does not list.
    selected_elsewhere: int = 0


@dataclass(frozen=True)
class DecisionChange:
    application_id: int
    before: Decision | None
    after: Decision


@dataclass(frozen=True)
class ImportPlan:
    decisions: Mapping[int, Decision]  # every application of the workbook
    changes: tuple[DecisionChange, ...]  # those that differ from what was recorded
    selected: int  # 決定 of the term after the import

    @property
    def unchanged(self) -> int:
        return len(self.decisions) - len(self.changes)


class ImportRefused(Exception):
    """The import records nothing; ``problems`` are one Japanese line each."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _name(decision: Decision | None) -> str:
    return DECISION_LABELS[decision] if decision is not None else "未入力"


def change_refusal(
    recorded: RecordedApplication, after: Decision, context: ImportContext
) -> str | None:
    """Why ``recorded``'s decision may not become ``after`` now (None: it may)."""
    before = recorded.decision
    if before is after:
        return None
    reference = format_reference(context.term_id, recorded.application_id)
    if recorded.told is not None:
        notice = DECISION_NOTICE_NAMES.get(recorded.told, "お知らせ")
        return (
            f"{reference}: {notice}を送信済み（または送信結果不明）のため、"
            f"決定を「{_name(before)}」から「{_name(after)}」に変えられません"
        )
    deadline = context.deadline
    if after is Decision.SELECTED and deadline is not None and context.now > deadline:
        return (
            f"{reference}: 通知期日（{short_jst(deadline)}）を過ぎたため、"
            f"「{_name(before)}」から「決定」には変えられません"
            "（期日までに通知がなければ受講できないことになっています）"
        )
    return None


def _row_problem(
    row: SheetRow,
    recorded: Mapping[int, RecordedApplication],
    context: ImportContext,
) -> tuple[int | None, Decision | None, list[str]]:
    """The application and decision of one row, and what is wrong with it."""
    where = f"{row.row} 行目"
    problems: list[str] = []
    if row.reference is None:
        return None, None, [f"{where}: 受付番号がありません"]
    parsed = parse_reference(row.reference)
    if parsed is None:
        return None, None, [f"{where}: 受付番号「{row.reference}」を読めません"]
    term_id, application_id = parsed
    reference = format_reference(term_id, application_id)
    found = recorded.get(application_id)
    if term_id != context.term_id or (found is not None and found.term_id != context.term_id):
        problems.append(
            f"{where}: {reference} は{context.term_name}の申込ではありません"
            f"（第{found.term_id if found else term_id}期）"
        )
    elif found is None:
        problems.append(f"{where}: {reference} の申込はありません")
    elif not found.current:
        problems.append(
            f"{where}: {reference} の申込は再提出により置き換えられています"
            "（選考表を作り直してください）"
        )
    elif application_id not in context.prepared:
        problems.append(
            f"{where}: {reference} はこの選考表の選考シートになかった申込です"
            "（資格なしの申込や、あとから増えた申込には決定を書けません）"
        )
    decision: Decision | None = None
    try:
        decision = read_decision(row.decision)
    except ValueError as exc:
        problems.append(f"{where}: {reference} の決定{exc}")
    else:
        if decision is None:
            problems.append(f"{where}: {reference} の決定が空欄です（決定・補欠・見送りのどれか）")
    return application_id, decision, problems


def plan_import(
    rows: Iterable[SheetRow],
    recorded: Mapping[int, RecordedApplication],
    context: ImportContext,
) -> ImportPlan:
    """The decisions of the workbook's rows and what they change; ImportRefused otherwise."""
    problems: list[str] = []
    decisions: dict[int, Decision] = {}
    first_row: dict[int, int] = {}
    for row in sorted(rows, key=lambda r: r.row):
        application_id, decision, row_problems = _row_problem(row, recorded, context)
        problems.extend(row_problems)
        if application_id is None:
            continue
        if application_id in first_row:
            problems.append(
                f"{row.row} 行目: {format_reference(context.term_id, application_id)} が"
                f"{first_row[application_id]} 行目と重複しています"
            )
            continue
        first_row[application_id] = row.row
        if decision is not None and not row_problems:
            decisions[application_id] = decision
    for application_id in sorted(context.prepared - first_row.keys()):
        problems.append(
            f"{format_reference(context.term_id, application_id)} の行が選考シートにありません"
            "（行を消さずに、決定を書いてください）"
        )
    changes: list[DecisionChange] = []
    for application_id, decision in sorted(decisions.items()):
        found = recorded[application_id]
        refusal = change_refusal(found, decision, context)
        if refusal is not None:
            problems.append(refusal)
        elif found.decision is not decision:
            changes.append(DecisionChange(application_id, found.decision, decision))
    selected = context.selected_elsewhere + sum(
        1 for d in decisions.values() if d is Decision.SELECTED
    )
    if selected > context.capacity and not context.over_capacity:
        problems.append(
            f"決定が {selected} 件あり、{context.term_name}の定員 {context.capacity} 名を"
            "超えています（定員を超えて決定する場合は --over-capacity を付けてください）"
        )
    if problems:
        raise ImportRefused(problems)
    return ImportPlan(decisions=decisions, changes=tuple(changes), selected=selected)
