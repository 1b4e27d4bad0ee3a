"""The desk at a glance, for the console's ダッシュボード: open rejections, acknowledgements
needing attention, each term's state and the last poll. Plain values, no ORM objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from intake.adapters.orm import Acknowledgement, MailboxState, Rejection
from intake.domain.labels import TERM_STATE_LABELS
from intake.domain.lifecycle import RejectionStatus, SendStatus, TermState, term_state
from intake.domain.model import Term
from intake.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TermStatus:
    id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    phase: TermState
    roster_version: int | None  # of the cutoff for the deadline in force
    cutoff_ran_at: datetime | None

    @property
    def phase_label(self) -> str:
        return TERM_STATE_LABELS[self.phase]


@dataclass(frozen=True)
class MailboxStatus:
    account: str
    folder: str
    last_poll_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class DeskOverview:
    open_rejections: int
    acks_due: int  # pending and past their due time
    acks_held: int
    acks_failed: int
    acks_in_flight: int  # claimed or sending: a send was interrupted
    terms: list[TermStatus]
    mailboxes: list[MailboxStatus]

    @property
    def last_poll_at(self) -> datetime | None:
        times = [m.last_poll_at for m in self.mailboxes if m.last_poll_at is not None]
        return max(times) if times else None


def desk_overview(uow: UnitOfWork, terms: Sequence[Term], now: datetime) -> DeskOverview:
    with uow:
        session = uow.session
        open_rejections = session.scalar(
            select(func.count())
            .select_from(Rejection)
            .where(Rejection.status == RejectionStatus.OPEN)
        )
        by_status: dict[str, int] = {
            status: count
            for status, count in session.execute(
                select(Acknowledgement.status, func.count()).group_by(Acknowledgement.status)
            )
        }
        due = session.scalar(
            select(func.count())
            .select_from(Acknowledgement)
            .where(Acknowledgement.status == SendStatus.PENDING, Acknowledgement.due_at <= now)
        )
        term_states = []
        for term in terms:
            cutoff = uow.repo.cutoff_for(term.id, term.closes_at)
            term_states.append(
                TermStatus(
                    id=term.id,
                    name=term.name,
                    opens_at=term.opens_at,
                    closes_at=term.closes_at,
                    phase=term_state(term, now, cutoff_done=cutoff is not None),
                    roster_version=cutoff.version if cutoff else None,
                    cutoff_ran_at=cutoff.ran_at if cutoff else None,
                )
            )
        mailboxes = [
            MailboxStatus(m.account, m.folder, m.last_poll_at, m.last_error)
            for m in session.scalars(select(MailboxState).order_by(MailboxState.id))
        ]
        return DeskOverview(
            open_rejections=open_rejections or 0,
            acks_due=due or 0,
            acks_held=by_status.get(SendStatus.HELD, 0),
            acks_failed=by_status.get(SendStatus.FAILED, 0),
            acks_in_flight=by_status.get(SendStatus.CLAIMED, 0)
            + by_status.get(SendStatus.SENDING, 0),
            terms=term_states,
            mailboxes=mailboxes,
        )
