"""The desk as a whole: the terms and their cutoffs, the daily status, the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from intake.domain.lifecycle import term_state
from intake.domain.model import Term
from intake.domain.readmodel import (
    ALL,
    AuditEntry,
    CutoffView,
    DeskStatus,
    Page,
    Paged,
    RejectionFilter,
    TermCounts,
    TermOverview,
)
from intake.domain.termcheck import in_order
from intake.domain.termcheck import term_warnings as warnings_for
from intake.services.views.ports import DocumentReader, ReadQueries


def term_overviews(
    q: ReadQueries, terms: Sequence[Term], now: datetime
) -> tuple[TermOverview, ...]:
    """Each configured term, by opening time: its state at ``now``, the cutoff for the
    deadline in force, current applications and open rejections received in its period."""
    ordered = in_order(terms)
    counts = q.term_counts(ordered)
    cutoffs = q.cutoffs(None)
    overviews = []
    for term in ordered:
        done = next(
            (c for c in cutoffs if c.term_id == term.id and c.closes_at == term.closes_at), None
        )
        overviews.append(
            TermOverview(
                term=term,
                state=term_state(term, now, cutoff_done=done is not None),
                cutoff=done,
                counts=counts.get(term.id, TermCounts()),
            )
        )
    return tuple(overviews)


def term_warnings(q: ReadQueries, documents: DocumentReader, terms: Sequence[Term]) -> list[str]:
    """What in the terms' configuration needs a person's attention (``terms check``)."""
    latest: dict[int, CutoffView] = {}
    for cutoff in q.cutoffs(None):
        if cutoff.term_id not in latest or cutoff.version > latest[cutoff.term_id].version:
            latest[cutoff.term_id] = cutoff
    return warnings_for(
        terms,
        form_terms=documents.form_terms(),
        last_cutoff_deadlines={term_id: c.closes_at for term_id, c in latest.items()},
    )


def list_cutoffs(q: ReadQueries, term_id: int | None = None) -> tuple[CutoffView, ...]:
    """Every cutoff run (roster versions), by term and version."""
    return q.cutoffs(term_id)


def desk_status(q: ReadQueries, terms: Sequence[Term], now: datetime) -> DeskStatus:
    """What an operator checks first thing in the morning (``intake status``)."""
    return DeskStatus(
        mailboxes=q.mailboxes(),
        unmarked_messages=q.unmarked_messages(),
        open_rejections=q.rejections(RejectionFilter(), Page(limit=0)).total,
        acks=q.ack_counts(now),
        terms=term_overviews(q, terms, now),
    )


def history(q: ReadQueries, target: str | None = None, page: Page = ALL) -> Paged[AuditEntry]:
    """The audit trail, oldest first: of one record (``"rejection:12"``) or of everything."""
    return q.audit_events(target, page)
