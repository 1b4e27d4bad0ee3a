"""The selection (受講生の決定) as every screen shows it: candidates with their decisions and
notices, one in full, where a term stands, and the notice date's warnings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from intake.domain.lifecycle import Decision
from intake.domain.model import Term
from intake.domain.readmodel import DecisionNoticeView, SelectionDetail, SelectionRow
from intake.domain.search import parse_reference
from intake.domain.selection import CANDIDATE_ELIGIBILITY, notice_kind, suggested_order
from intake.domain.selection_deadline import SelectionProgress, alert_due, deadline_warning
from intake.services.errors import NotFound
from intake.services.views.ports import SelectionQueries


def _with_term(row: SelectionRow, terms: Sequence[Term]) -> SelectionRow:
    term = next((t for t in terms if t.id == row.term_id), None)
    notify = term.notify_not_selected if term is not None else False
    return replace(row, notify_not_selected=notify)


def selection_rows(q: SelectionQueries, term: Term) -> tuple[SelectionRow, ...]:
    """The term's candidates (and any application decided on) in the suggested order."""
    rows = (_with_term(row, [term]) for row in q.selection_rows(term.id))
    return tuple(suggested_order(rows))


def selection_progress(rows: Sequence[SelectionRow]) -> SelectionProgress:
    """Counts of decisions and of notices not yet with their applicants."""
    decided = [r for r in rows if r.decision is not None]

    def count(decision: Decision) -> int:
        return sum(1 for r in decided if r.decision is decision)

    def unsent(decision: Decision) -> int:
        """Decisions to be told whose notice is not (yet) with the applicant."""
        return sum(
            1
            for r in decided
            if r.decision is decision
            and notice_kind(r.decision, notify_not_selected=r.notify_not_selected) is not None
            and not r.told
        )

    return SelectionProgress(
        candidates=sum(1 for r in rows if r.eligibility in CANDIDATE_ELIGIBILITY),
        undecided=sum(
            1 for r in rows if r.decision is None and r.eligibility in CANDIDATE_ELIGIBILITY
        ),
        selected=count(Decision.SELECTED),
        waitlisted=count(Decision.WAITLISTED),
        not_selected=count(Decision.NOT_SELECTED),
        selected_unsent=unsent(Decision.SELECTED),
        not_selected_unsent=unsent(Decision.NOT_SELECTED),
    )


def deadline_warnings(
    q: SelectionQueries, terms: Sequence[Term], now: datetime, closure_days: Sequence[str]
) -> list[str]:
    """The notice date's warnings of every term that has one (``status``, the console, the
    daemon)."""
    warnings = []
    for term in terms:
        if term.decision_notice_by is None:
            continue
        progress = selection_progress(selection_rows(q, term))
        warning = deadline_warning(term, progress, now, closure_days)
        if warning is not None:
            warnings.append(warning)
    return warnings


def alert_rows(q: SelectionQueries, term: Term, now: datetime) -> tuple[SelectionRow, ...]:
    """On the term's notice date: the 決定 whose notice is not with the applicant (the
    operators are mailed about them); otherwise none."""
    rows = selection_rows(q, term)
    if not alert_due(term, selection_progress(rows), now):
        return ()
    return tuple(r for r in rows if r.decision is Decision.SELECTED and not r.told)


def find_application_id(key: str) -> int:
    """An application id from what an operator typed: the number, or its 受付番号."""
    text = key.strip()
    if text.isdigit():
        return int(text)
    parsed = parse_reference(text)
    if parsed is None:
        raise NotFound(f"「{key}」は申込番号でも受付番号（例 T1-00012）でもありません")
    return parsed[1]


def selection_detail(q: SelectionQueries, terms: Sequence[Term], key: str) -> SelectionDetail:
    application_id = find_application_id(key)
    row = q.selection_row(application_id)
    if row is None:
        raise NotFound(f"申込 {application_id} は存在しません")
    return SelectionDetail(
        row=_with_term(row, terms),
        notices=q.decision_notices(application_id),
        history=q.decision_history(application_id),
        form=q.selection_form(application_id),
    )


def notices_by_id(q: SelectionQueries, notice_ids: Sequence[int]) -> tuple[DecisionNoticeView, ...]:
    return q.decision_notices_by_id(notice_ids)


def get_notice(q: SelectionQueries, notice_id: int) -> DecisionNoticeView:
    found = q.decision_notices_by_id([notice_id])
    if not found:
        raise NotFound(f"決定のお知らせ {notice_id} は存在しません")
    return found[0]
