"""The write side's queries for the selection: part of the repository
(:class:`intake.adapters.repository.Repository`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.adapters.orm import Application
from intake.adapters.orm_selection import (
    DecisionNotice,
    DecisionRecord,
    SelectionAlert,
    SelectionWorkbook,
)
from intake.domain.lifecycle import ApplicationStatus, SendStatus

_CHUNK = 500  # keep IN lists short for every backend


class SelectionRepository:
    session: Session

    def current_applications(self, term_id: int) -> Sequence[Application]:
        """The term's current applications, with their experience rows, by id."""
        return self.session.scalars(
            select(Application)
            .options(selectinload(Application.experience))
            .where(Application.term_id == term_id, Application.status == ApplicationStatus.ACCEPTED)
            .order_by(Application.id)
        ).all()

    def applications_by_id(self, ids: Iterable[int]) -> dict[int, Application]:
        wanted = sorted(set(ids))
        found: dict[int, Application] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self.session.scalars(select(Application).where(Application.id.in_(chunk)))
            found.update({row.id: row for row in rows})
        return found

    def selection_workbook(self, token: str) -> SelectionWorkbook | None:
        return self.session.scalars(
            select(SelectionWorkbook).where(SelectionWorkbook.token == token)
        ).one_or_none()

    def term_decisions(self, term_id: int) -> dict[int, DecisionRecord]:
        """The recorded decisions of a term, by application id."""
        rows = self.session.scalars(select(DecisionRecord).where(DecisionRecord.term_id == term_id))
        return {row.application_id: row for row in rows}

    def term_decision_notices(self, term_id: int) -> dict[int, list[DecisionNotice]]:
        """The decision notices of a term by application id, oldest first."""
        found: dict[int, list[DecisionNotice]] = {}
        rows = self.session.scalars(
            select(DecisionNotice)
            .where(DecisionNotice.term_id == term_id)
            .order_by(DecisionNotice.id)
        )
        for row in rows:
            found.setdefault(row.application_id, []).append(row)
        return found

    def decision_notice(self, notice_id: int) -> DecisionNotice | None:
        return self.session.get(DecisionNotice, notice_id)

    def decision_notices_in(
        self, term_id: int, statuses: Iterable[SendStatus]
    ) -> Sequence[DecisionNotice]:
        return self.session.scalars(
            select(DecisionNotice)
            .where(DecisionNotice.term_id == term_id, DecisionNotice.status.in_(list(statuses)))
            .order_by(DecisionNotice.id)
        ).all()

    def selection_alert(self, term_id: int, notice_by: date) -> SelectionAlert | None:
        return self.session.scalars(
            select(SelectionAlert).where(
                SelectionAlert.term_id == term_id, SelectionAlert.notice_by == notice_by
            )
        ).one_or_none()

    def decision_of(self, application_id: int) -> DecisionRecord | None:
        return self.session.scalars(
            select(DecisionRecord).where(DecisionRecord.application_id == application_id)
        ).one_or_none()
