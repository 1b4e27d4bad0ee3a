"""The read side's queries over SQLAlchemy (:class:`intake.services.views.ports.ReadQueries`).

Every filter, sort and page is pushed into SQL, and what a page needs besides its rows
(reasons, attachments, notice states) is fetched in one query per kind for the whole page,
never per row. Rows become the frozen records of :mod:`intake.domain.readmodel`
(:mod:`intake.adapters.queryrows`): no ORM object leaves the adapter. The search box and the
term filter are :mod:`intake.adapters.querysearch`. Works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from intake.adapters.orm import (
    Acknowledgement,
    Application,
    Attachment,
    AuditEvent,
    ExperienceRow,
    MailboxState,
    Message,
    Notice,
    Rejection,
    RejectionReason,
    TermCutoff,
)
from intake.adapters.queryrows import (
    ack_view,
    application_view,
    attachment_view,
    audit_entry,
    cutoff_view,
    experience_view,
    message_view,
    notice_view,
)
from intake.adapters.querysearch import json_array_has, message_search, search
from intake.domain.lifecycle import (
    MAY_HAVE_ARRIVED,
    ApplicationStatus,
    RejectionStatus,
    SendStatus,
    ServerState,
    notice_state,
)
from intake.domain.model import Term
from intake.domain.readmodel import (
    AckCounts,
    AckFilter,
    AckView,
    ApplicationDetail,
    ApplicationFilter,
    ApplicationView,
    AttachmentView,
    AuditEntry,
    CutoffView,
    MailboxView,
    MessageFilter,
    MessageView,
    NoticeView,
    Page,
    Paged,
    ReasonView,
    RejectionFilter,
    RejectionSort,
    RejectionView,
    TermCounts,
)

T = TypeVar("T")
Query = Select[*tuple[Any, ...]]
_CHUNK = 500  # keep IN lists short for every backend


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class SqlQueries:
    """The read side's queries in one session (a ``with app.read()`` block)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- helpers --------------------------------------------------------------------------------
    def _count(self, query: Query) -> int:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return int(self.session.scalar(counted) or 0)

    def _page(self, ordered: Query, page: Page) -> tuple[int, Sequence[Any]]:
        """The size of the whole selection, and the rows of the page asked for."""
        total = self._count(ordered)
        if page.limit == 0:
            return total, []
        if page.offset:
            ordered = ordered.offset(page.offset)
        if page.limit is not None:
            ordered = ordered.limit(page.limit)
        return total, self.session.execute(ordered).all()

    def _attachments(self, message_pks: Sequence[int]) -> dict[int, list[AttachmentView]]:
        found: dict[int, list[AttachmentView]] = defaultdict(list)
        for chunk in _chunks(message_pks):
            rows = self.session.scalars(
                select(Attachment)
                .where(Attachment.message_pk.in_(chunk))
                .order_by(Attachment.message_pk, Attachment.position)
            )
            for row in rows:
                found[row.message_pk].append(attachment_view(row))
        return found

    # -- messages -------------------------------------------------------------------------------
    def _message_query(self) -> Query:
        return (
            select(Message, Rejection.id, Application.term_id)
            .outerjoin(Rejection, Rejection.message_pk == Message.id)
            .outerjoin(Application, Application.id == Message.application_id)
        )

    def _message_views(self, rows: Sequence[Any]) -> list[MessageView]:
        attachments = self._attachments([row[0].id for row in rows])
        return [
            message_view(message, rejection_id, term_id, attachments.get(message.id, []))
            for message, rejection_id, term_id in rows
        ]

    def messages(self, filters: MessageFilter, page: Page) -> Paged[MessageView]:
        query = self._message_query()
        if filters.outcome:
            query = query.where(Message.outcome == filters.outcome)
        if filters.search:
            query = query.where(message_search(filters.search))
        total, rows = self._page(query.order_by(Message.id), page)
        return Paged(tuple(self._message_views(rows)), total, page)

    def message(self, message_pk: int) -> MessageView | None:
        rows = self.session.execute(self._message_query().where(Message.id == message_pk)).all()
        views = self._message_views(rows)
        return views[0] if views else None

    def attachment(self, attachment_id: int) -> AttachmentView | None:
        row = self.session.get(Attachment, attachment_id)
        return attachment_view(row) if row is not None else None

    # -- rejections -----------------------------------------------------------------------------
    def _rejection_query(self, filters: RejectionFilter) -> Query:
        query = (
            select(Rejection, Message, Application.term_id)
            .join(Message, Message.id == Rejection.message_pk)
            .outerjoin(Application, Application.id == Message.application_id)
        )
        if filters.status is not None:
            query = query.where(Rejection.status == filters.status)
        if filters.term is not None:
            term = filters.term
            query = query.where(
                or_(
                    Message.received_at.between(term.opens_at, term.closes_at),
                    json_array_has(Message.term_ids, term.id),
                )
            )
        if filters.reason:
            query = query.where(
                exists().where(
                    RejectionReason.rejection_pk == Rejection.id,
                    RejectionReason.code == filters.reason,
                )
            )
        if filters.notified is not None:
            told = exists().where(
                Notice.rejection_id == Rejection.id,
                Notice.status.in_(MAY_HAVE_ARRIVED),
            )
            query = query.where(told if filters.notified else ~told)
        if filters.received_since is not None:
            query = query.where(Message.received_at >= filters.received_since)
        if filters.received_before is not None:
            query = query.where(Message.received_at < filters.received_before)
        if filters.search:
            query = query.where(message_search(filters.search))
        return query

    @staticmethod
    def _rejection_order(filters: RejectionFilter) -> list[Any]:
        def direction(column: Any) -> Any:
            return column.desc() if filters.descending else column.asc()

        tie = direction(Rejection.id)
        if filters.sort is RejectionSort.RECEIVED:
            return [direction(Message.received_at), tie]
        if filters.sort is RejectionSort.NAME:
            return [direction(func.lower(Message.applicant_name)).nulls_last(), tie]
        if filters.sort is RejectionSort.STATUS:
            return [direction(Rejection.status), tie]
        return [tie]

    def _rejection_views(self, rows: Sequence[Any]) -> list[RejectionView]:
        rejection_ids = [row[0].id for row in rows]
        reasons: dict[int, list[ReasonView]] = defaultdict(list)
        notices: dict[int, list[SendStatus]] = defaultdict(list)
        for chunk in _chunks(rejection_ids):
            for reason in self.session.scalars(
                select(RejectionReason)
                .where(RejectionReason.rejection_pk.in_(chunk))
                .order_by(RejectionReason.rejection_pk, RejectionReason.position)
            ):
                reasons[reason.rejection_pk].append(ReasonView(reason.code, reason.message))
            for rejection_id, status in self.session.execute(
                select(Notice.rejection_id, Notice.status).where(Notice.rejection_id.in_(chunk))
            ):
                notices[rejection_id].append(status)
        attachments = self._attachments([row[1].id for row in rows])
        return [
            RejectionView(
                id=rejection.id,
                status=rejection.status,
                resolution=rejection.resolution,
                resolved_at=rejection.resolved_at,
                resolved_by=rejection.resolved_by,
                note=rejection.note,
                created_at=rejection.created_at,
                message=message_view(
                    message, rejection.id, term_id, attachments.get(message.id, [])
                ),
                reasons=tuple(reasons.get(rejection.id, [])),
                notice_state=notice_state(notices.get(rejection.id, [])),
            )
            for rejection, message, term_id in rows
        ]

    def rejections(self, filters: RejectionFilter, page: Page) -> Paged[RejectionView]:
        ordered = self._rejection_query(filters).order_by(*self._rejection_order(filters))
        total, rows = self._page(ordered, page)
        return Paged(tuple(self._rejection_views(rows)), total, page)

    def rejection_ids(self, filters: RejectionFilter) -> list[int]:
        query = self._rejection_query(filters).with_only_columns(Rejection.id)
        return list(self.session.scalars(query.order_by(*self._rejection_order(filters))))

    def rejection(self, rejection_id: int) -> RejectionView | None:
        query = self._rejection_query(RejectionFilter(status=None))
        rows = self.session.execute(query.where(Rejection.id == rejection_id)).all()
        views = self._rejection_views(rows)
        return views[0] if views else None

    def notices(self, rejection_id: int) -> tuple[NoticeView, ...]:
        rows = self.session.scalars(
            select(Notice).where(Notice.rejection_id == rejection_id).order_by(Notice.id)
        )
        return tuple(notice_view(row) for row in rows)

    def notice(self, notice_id: int) -> NoticeView | None:
        row = self.session.get(Notice, notice_id)
        return notice_view(row) if row is not None else None

    # -- audit ----------------------------------------------------------------------------------
    def audit_events(self, target: str | None, page: Page) -> Paged[AuditEntry]:
        query = select(AuditEvent)
        if target is not None:
            query = query.where(AuditEvent.target == target)
        total, found = self._page(query.order_by(AuditEvent.at, AuditEvent.id), page)
        return Paged(tuple(audit_entry(row[0]) for row in found), total, page)

    # -- applications ---------------------------------------------------------------------------
    def applications(self, filters: ApplicationFilter, page: Page) -> Paged[ApplicationView]:
        query = select(Application, Message.name_kana).join(
            Message, Message.id == Application.message_pk
        )
        if filters.term_id is not None:
            query = query.where(Application.term_id == filters.term_id)
        if filters.status is not None:
            query = query.where(Application.status == filters.status)
        if filters.search:
            columns = [
                Application.name_romaji,
                Application.name_kanji,
                Application.email,
                Message.name_kana,
                Message.from_address,
            ]
            query = query.where(search(filters.search, columns, Application.id))
        total, rows = self._page(query.order_by(Application.id), page)
        return Paged(tuple(application_view(a, kana) for a, kana in rows), total, page)

    def application(self, application_id: int) -> ApplicationDetail | None:
        found = self.session.execute(
            select(Application, Message.name_kana)
            .join(Message, Message.id == Application.message_pk)
            .where(Application.id == application_id)
        ).first()
        if found is None:
            return None
        application, kana = found
        experience = self.session.scalars(
            select(ExperienceRow)
            .where(ExperienceRow.application_id == application.id)
            .order_by(ExperienceRow.position)
        )
        attachments = self.session.scalars(
            select(Attachment)
            .where(Attachment.application_id == application.id)
            .order_by(Attachment.id)
        )
        acks = self.acknowledgements(AckFilter(application_id=application.id), Page())
        return ApplicationDetail(
            application=application_view(application, kana),
            form=dict(application.form or {}),
            experience=tuple(experience_view(e) for e in experience),
            attachments=tuple(attachment_view(a) for a in attachments),
            eligibility_explanation=application.eligibility_explanation,
            warnings=tuple(str(w) for w in application.warnings or ()),
            acknowledgements=acks.items,
        )

    # -- acknowledgements -----------------------------------------------------------------------
    def _ack_query(self) -> Query:
        return select(Acknowledgement, Application).join(
            Application, Application.id == Acknowledgement.application_id
        )

    def acknowledgements(self, filters: AckFilter, page: Page) -> Paged[AckView]:
        query = self._ack_query()
        if filters.status is not None:
            query = query.where(Acknowledgement.status == filters.status)
        if filters.application_id is not None:
            query = query.where(Acknowledgement.application_id == filters.application_id)
        if filters.search:
            columns = [Acknowledgement.to_address, Application.name_romaji, Application.name_kanji]
            query = query.where(search(filters.search, columns, Application.id))
        ordered = query.order_by(Acknowledgement.due_at, Acknowledgement.id)
        total, rows = self._page(ordered, page)
        return Paged(tuple(ack_view(ack, app) for ack, app in rows), total, page)

    def acknowledgements_by_id(self, ack_ids: Sequence[int]) -> tuple[AckView, ...]:
        found: dict[int, AckView] = {}
        for chunk in _chunks(list(ack_ids)):
            rows = self.session.execute(self._ack_query().where(Acknowledgement.id.in_(chunk)))
            found.update({ack.id: ack_view(ack, app) for ack, app in rows})
        return tuple(found[i] for i in ack_ids if i in found)

    def ack_counts(self, now: datetime) -> AckCounts:
        def count(condition: ColumnElement[bool]) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        status = Acknowledgement.status
        row = self.session.execute(
            select(
                count(and_(status == SendStatus.PENDING, Acknowledgement.due_at <= now)),
                count(status == SendStatus.HELD),
                count(status == SendStatus.FAILED),
                count(status.in_((SendStatus.CLAIMED, SendStatus.SENDING))),
            )
        ).one()
        due, held, failed, in_flight = (int(n) for n in row)  # PostgreSQL sums are numeric
        return AckCounts(due=due, held=held, failed=failed, in_flight=in_flight)

    # -- the desk -------------------------------------------------------------------------------
    def mailboxes(self) -> tuple[MailboxView, ...]:
        rows = self.session.scalars(select(MailboxState).order_by(MailboxState.id))
        return tuple(
            MailboxView(row.account, row.folder, row.last_poll_at, row.last_error) for row in rows
        )

    def unmarked_messages(self) -> int:
        query = select(func.count()).where(Message.server_state == ServerState.PENDING)
        return int(self.session.scalar(query) or 0)

    def cutoffs(self, term_id: int | None) -> tuple[CutoffView, ...]:
        query = select(TermCutoff).order_by(TermCutoff.term_id, TermCutoff.version)
        if term_id is not None:
            query = query.where(TermCutoff.term_id == term_id)
        return tuple(cutoff_view(c) for c in self.session.scalars(query))

    def term_counts(self, terms: Sequence[Term]) -> Mapping[int, TermCounts]:
        if not terms:
            return {}
        current = dict(
            self.session.execute(
                select(Application.term_id, func.count())
                .where(Application.status == ApplicationStatus.ACCEPTED)
                .group_by(Application.term_id)
            ).all()
        )
        received = Message.received_at
        open_counts = self.session.execute(
            select(
                *(
                    func.coalesce(
                        func.sum(case((received.between(t.opens_at, t.closes_at), 1), else_=0)),
                        0,
                    )
                    for t in terms
                )
            )
            .select_from(Rejection)
            .join(Message, Message.id == Rejection.message_pk)
            .where(Rejection.status == RejectionStatus.OPEN)
        ).one()
        return {
            term.id: TermCounts(int(current.get(term.id, 0)), int(count))
            for term, count in zip(terms, open_counts, strict=True)
        }
