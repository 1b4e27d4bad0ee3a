"""受講生の決定, the desk's side: prepare the workbook for the agency, import its decisions.

intake never decides. ``prepare`` writes the term's candidates (current applications that are
eligible or need review) in a suggested order with an empty 決定 column, the ineligible ones
apart, and a summary; it records the workbook (a hidden id in the file names the record, which
keeps the checksum of the set of its application ids). ``import`` reads the 決定 column back:
all or nothing (:mod:`intake.domain.selection_import` says what refuses it), every change
audited. Sending the notices is :mod:`intake.services.decision_notices`.

Callers hold the "send" lock around :func:`import_decisions`, so no notice goes out while the
decisions it tells are being changed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from intake.adapters.orm import Application
from intake.adapters.orm_selection import DecisionNotice, DecisionRecord, SelectionWorkbook
from intake.adapters.selectionbook import (
    BookContent,
    BookRow,
    SelectionBookError,
    read_selection_book,
    write_selection_book,
)
from intake.config import Settings
from intake.domain import lifecycle
from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import DECISION_LABELS, ELIGIBILITY_LABELS, label
from intake.domain.lifecycle import (
    CANCELLABLE,
    ApplicationStatus,
    Decision,
    reached_applicant,
)
from intake.domain.model import Term
from intake.domain.search import format_reference, parse_reference
from intake.domain.selection import (
    CANDIDATE_ELIGIBILITY,
    given,
    id_set_checksum,
    prefecture_counts,
    suggested_order,
    summarise,
)
from intake.domain.selection_import import (
    ImportContext,
    ImportPlan,
    ImportRefused,
    RecordedApplication,
    plan_import,
)
from intake.domain.timefmt import short_jst
from intake.services import audit
from intake.services.cutoff import term_by_id
from intake.services.unit_of_work import UnitOfWork


class SelectionError(Exception):
    """Refused; str() is one Japanese line per problem (nothing was recorded)."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class PrepareResult:
    path: Path
    term: Term
    candidates: int
    ineligible: int
    workbook_id: int


@dataclass(frozen=True)
class _Candidate:
    """An application as the suggested order and the summary see it."""

    application: Application
    application_id: int
    received_at: datetime
    is_one_stop_center: bool | None
    annual_consultations: int | None
    prefecture: str | None
    operator_type: str | None


def _candidate(application: Application) -> _Candidate:
    form = application.form or {}

    def text(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) else None

    consultations = form.get("annual_consultations")
    one_stop = form.get("is_one_stop_center")
    return _Candidate(
        application=application,
        application_id=application.id,
        received_at=application.received_at,
        is_one_stop_center=one_stop if isinstance(one_stop, bool) else None,
        annual_consultations=consultations
        if isinstance(consultations, int) and not isinstance(consultations, bool)
        else None,
        prefecture=text("prefecture"),
        operator_type=text("operator_type"),
    )


def _book_row(candidate: _Candidate, prefecture_total: int, rank: int | None) -> BookRow:
    application = candidate.application
    form = application.form or {}
    days = [e.days_worked for e in application.experience if e.days_worked is not None]
    open_days = form.get("annual_open_days")
    return BookRow(
        reference=format_reference(application.term_id, application.id),
        name_kanji=application.name_kanji,
        name_romaji=application.name_romaji,
        org_name=form.get("org_name") if isinstance(form.get("org_name"), str) else None,
        prefecture=candidate.prefecture,
        window_name=form.get("window_name") if isinstance(form.get("window_name"), str) else None,
        operator_type=candidate.operator_type,
        is_one_stop_center=candidate.is_one_stop_center,
        annual_consultations=candidate.annual_consultations,
        annual_open_days=open_days if isinstance(open_days, int) else None,
        worked_days=sum(days) if days else None,
        eligibility_label=label(ELIGIBILITY_LABELS, application.eligibility),
        prefecture_candidates=prefecture_total,
        rank=rank,
    )


def cutoff_done(uow: UnitOfWork, term: Term) -> bool:
    """Whether the cutoff ran for the term's deadline in force."""
    return uow.repo.cutoff_for(term.id, term.closes_at) is not None


def prepare_workbook(
    uow: UnitOfWork,
    settings: Settings,
    term_id: int,
    path: Path,
    *,
    operator: str,
    before_cutoff: bool = False,
    now: datetime | None = None,
) -> PrepareResult:
    """Write the selection workbook of a term to ``path`` and record it."""
    term = term_by_id(settings, term_id)
    instant = now or datetime.now(UTC)
    with uow:
        if not before_cutoff and not cutoff_done(uow, term):
            raise SelectionError(
                f"{term.name}の締切処理（締切 {short_jst(term.closes_at)}）がまだのため、"
                "選考表は作りません。締切処理のあとに作ってください"
                "（締切前の途中経過として作るには --before-cutoff）"
            )
        current = [_candidate(a) for a in uow.repo.current_applications(term.id)]
        candidates = suggested_order(
            c for c in current if c.application.eligibility in CANDIDATE_ELIGIBILITY
        )
        ineligible = [
            c for c in current if c.application.eligibility is EligibilityStatus.INELIGIBLE
        ]
        totals = prefecture_counts(candidates)
        ids = [c.application_id for c in candidates]
        record = SelectionWorkbook(
            token=secrets.token_hex(16),
            term_id=term.id,
            checksum=id_set_checksum(term.id, ids),
            application_ids=ids,
            path=str(path),
            prepared_at=instant,
            prepared_by=operator,
        )
        uow.repo.add(record)
        uow.session.flush()
        content = BookContent(
            token=record.token,
            checksum=record.checksum,
            term_id=term.id,
            term_name=term.name,
            notice_deadline=term.decision_deadline,
            prepared_at=instant,
            candidates=[
                _book_row(c, totals[given(c.prefecture)], rank)
                for rank, c in enumerate(candidates, start=1)
            ],
            ineligible=[_book_row(c, 0, None) for c in ineligible],
            summary=summarise(candidates, term.capacity),
        )
        try:
            write_selection_book(path, content)  # before the commit: no record without a file
        except OSError as exc:
            raise SelectionError(f"{path} に書き込めません（{exc.strerror or exc}）") from None
        audit.record(
            uow,
            operator=operator,
            action="selection.prepare",
            target=f"term:{term.id}",
            path=str(path),
            workbook=record.token,
            candidates=len(candidates),
            ineligible=len(ineligible),
            before_cutoff=before_cutoff,
        )
        uow.commit()
        return PrepareResult(path, term, len(candidates), len(ineligible), record.id)


# -- import --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    term: Term
    plan: ImportPlan
    undecided_outside: int  # current candidates the workbook does not list (added since)


def _told(notices: list[DecisionNotice]) -> Decision | None:
    """The decision a notice that may be with the applicant told."""
    for notice in reversed(notices):
        if reached_applicant(notice.status, started=notice.message_id is not None):
            return notice.decision
    return None


def import_decisions(
    uow: UnitOfWork,
    settings: Settings,
    term_id: int,
    data: bytes,
    *,
    operator: str,
    over_capacity: bool = False,
    now: datetime | None = None,
) -> ImportResult:
    """Record the decisions of a filled workbook, or SelectionError with every problem."""
    term = term_by_id(settings, term_id)
    instant = now or datetime.now(UTC)
    try:
        read = read_selection_book(data)
    except SelectionBookError as exc:
        raise SelectionError(str(exc)) from None
    with uow:
        book = uow.repo.selection_workbook(read.token) if read.token else None
        if book is None:
            raise SelectionError(
                f"intake が{term.name}のために作った選考表ではありません"
                "（管理情報が見つかりません）。"
                f"intake selection prepare --term {term.id} で作った選考表を使ってください"
            )
        if book.term_id != term.id or read.term_id != term.id:
            raise SelectionError(
                f"この選考表は第{book.term_id}期のものです（{term.name}の取り込みには使えません）"
            )
        if read.checksum != book.checksum:
            raise SelectionError(
                "選考表の管理用シート（intake）が書き換えられています。"
                "intake selection prepare で作り直した選考表を使ってください"
            )
        prepared = frozenset(int(i) for i in book.application_ids)
        decisions = uow.repo.term_decisions(term.id)
        notices = uow.repo.term_decision_notices(term.id)
        named = {
            parsed
            for row in read.rows
            if row.reference and (parsed := _application_id(row.reference)) is not None
        }
        applications = uow.repo.applications_by_id(named | prepared)
        recorded = {
            a.id: RecordedApplication(
                application_id=a.id,
                term_id=a.term_id,
                current=a.status is ApplicationStatus.ACCEPTED,
                decision=decisions[a.id].decision if a.id in decisions else None,
                told=_told(notices.get(a.id, [])),
            )
            for a in applications.values()
        }
        current = uow.repo.current_applications(term.id)
        current_ids = {a.id for a in current}
        candidate_ids = {a.id for a in current if a.eligibility in CANDIDATE_ELIGIBILITY}
        elsewhere = sum(
            1
            for application_id, d in decisions.items()
            if d.decision is Decision.SELECTED
            and application_id in current_ids
            and application_id not in prepared
        )
        context = ImportContext(
            term_id=term.id,
            term_name=term.name,
            capacity=term.capacity,
            over_capacity=over_capacity,
            prepared=prepared,
            now=instant,
            deadline=term.decision_deadline,
            selected_elsewhere=elsewhere,
        )
        try:
            plan = plan_import(read.rows, recorded, context)
        except ImportRefused as exc:
            raise SelectionError(*exc.problems) from None
        for change in plan.changes:
            _record_change(
                uow,
                book,
                decisions.get(change.application_id),
                applications[change.application_id],
                change.after,
                notices.get(change.application_id, []),
                operator=operator,
                at=instant,
            )
            audit.record(
                uow,
                operator=operator,
                action="selection.decide",
                target=f"application:{change.application_id}",
                term=term.id,
                before=change.before.value if change.before else None,
                after=change.after.value,
                workbook=book.token,
            )
        audit.record(
            uow,
            operator=operator,
            action="selection.import",
            target=f"term:{term.id}",
            workbook=book.token,
            changed=len(plan.changes),
            unchanged=plan.unchanged,
            selected=plan.selected,
            over_capacity=over_capacity,
        )
        uow.commit()
    undecided = candidate_ids - prepared - decisions.keys()
    return ImportResult(term, plan, len(undecided))


def _application_id(reference: str) -> int | None:
    parsed = parse_reference(reference)
    return parsed[1] if parsed else None


def _record_change(
    uow: UnitOfWork,
    book: SelectionWorkbook,
    existing: DecisionRecord | None,
    application: Application,
    decision: Decision,
    notices: list[DecisionNotice],
    *,
    operator: str,
    at: datetime,
) -> None:
    """Record one changed decision; notices of the old one that never left are cancelled."""
    if existing is None:
        existing = DecisionRecord(application_id=application.id, term_id=application.term_id)
        uow.repo.add(existing)
    existing.decision = decision
    existing.workbook_id = book.id
    existing.decided_at = at
    existing.decided_by = operator
    for notice in notices:
        if notice.decision is not decision and notice.status in CANCELLABLE:
            notice.status = lifecycle.cancel(notice.status)
            notice.note = f"決定が「{label(DECISION_LABELS, decision)}」に変わったため取消"
