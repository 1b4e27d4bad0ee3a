"""The selection's read-side queries over SQLAlchemy
(:class:`intake.services.views.ports.SelectionQueries`): plain records, no ORM object leaves.

One query for the rows and one for their notices, whatever the number of applications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from intake.adapters.orm import Application, AuditEvent
from intake.adapters.orm_selection import DecisionNotice, DecisionRecord
from intake.adapters.queryrows import audit_entry, record
from intake.domain.eligibility import EligibilityStatus
from intake.domain.lifecycle import ApplicationStatus, SendStatus
from intake.domain.readmodel import AuditEntry, DecisionNoticeView, SelectionRow

_CHUNK = 500
Query = Select[*tuple[Any, ...]]  # an application and its decision (None when undecided)


def notice_view(row: DecisionNotice) -> DecisionNoticeView:
    return record(DecisionNoticeView, row)


def _text(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    return value if isinstance(value, str) else None


def _int(form: Mapping[str, Any], key: str) -> int | None:
    value = form.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool(form: Mapping[str, Any], key: str) -> bool | None:
    value = form.get(key)
    return value if isinstance(value, bool) else None


def selection_row(
    application: Application,
    decision: DecisionRecord | None,
    notices: Sequence[DecisionNotice],
) -> SelectionRow:
    form = application.form or {}
    current = decision.decision if decision else None
    telling = [n for n in notices if n.decision is current and n.status is not SendStatus.CANCELLED]
    return SelectionRow(
        application_id=application.id,
        term_id=application.term_id,
        name_romaji=application.name_romaji,
        name_kanji=application.name_kanji,
        email=_text(form, "email"),
        eligibility=application.eligibility,
        prefecture=_text(form, "prefecture"),
        operator_type=_text(form, "operator_type"),
        is_one_stop_center=_bool(form, "is_one_stop_center"),
        annual_consultations=_int(form, "annual_consultations"),
        received_at=application.received_at,
        decision=current,
        decided_at=decision.decided_at if decision else None,
        decided_by=decision.decided_by if decision else None,
        notice=notice_view(telling[-1]) if telling else None,
    )


class SqlSelectionQueries:
    """The selection's queries in one session (a ``with app.read_selection()`` block)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows(self, query: Query) -> list[SelectionRow]:
        found = self.session.execute(query.order_by(Application.id)).all()
        ids = [application.id for application, _ in found]
        notices: dict[int, list[DecisionNotice]] = {}
        for start in range(0, len(ids), _CHUNK):
            rows = self.session.scalars(
                select(DecisionNotice)
                .where(DecisionNotice.application_id.in_(ids[start : start + _CHUNK]))
                .order_by(DecisionNotice.id)
            )
            for row in rows:
                notices.setdefault(row.application_id, []).append(row)
        return [
            selection_row(application, decision, notices.get(application.id, []))
            for application, decision in found
        ]

    @staticmethod
    def _query() -> Query:
        return select(Application, DecisionRecord).outerjoin(
            DecisionRecord, DecisionRecord.application_id == Application.id
        )

    def selection_rows(self, term_id: int) -> tuple[SelectionRow, ...]:
        query = self._query().where(
            Application.term_id == term_id,
            Application.status == ApplicationStatus.ACCEPTED,
            or_(
                Application.eligibility != EligibilityStatus.INELIGIBLE,
                DecisionRecord.id.is_not(None),
            ),
        )
        return tuple(self._rows(query))

    def selection_row(self, application_id: int) -> SelectionRow | None:
        rows = self._rows(self._query().where(Application.id == application_id))
        return rows[0] if rows else None

    def decision_notices(self, application_id: int) -> tuple[DecisionNoticeView, ...]:
        rows = self.session.scalars(
            select(DecisionNotice)
            .where(DecisionNotice.application_id == application_id)
            .order_by(DecisionNotice.id)
        )
        return tuple(notice_view(row) for row in rows)

    def decision_notices_by_id(self, notice_ids: Sequence[int]) -> tuple[DecisionNoticeView, ...]:
        wanted = list(notice_ids)
        found: dict[int, DecisionNoticeView] = {}
        for start in range(0, len(wanted), _CHUNK):
            rows = self.session.scalars(
                select(DecisionNotice).where(DecisionNotice.id.in_(wanted[start : start + _CHUNK]))
            )
            found.update({row.id: notice_view(row) for row in rows})
        return tuple(found[i] for i in wanted if i in found)

    def selection_form(self, application_id: int) -> Mapping[str, object]:
        application = self.session.get(Application, application_id)
        return dict(application.form or {}) if application is not None else {}

    def decision_history(self, application_id: int) -> tuple[AuditEntry, ...]:
        rows = self.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.target == f"application:{application_id}",
                AuditEvent.action.startswith("selection."),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return tuple(audit_entry(row) for row in rows)
