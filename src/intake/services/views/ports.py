"""The read side's ports: what the views need from outside, as Protocols.

:class:`ReadQueries` is implemented over SQLAlchemy by :mod:`intake.adapters.queries` (one
session per ``with app.read()``); :class:`DocumentReader` by :mod:`intake.adapters.documents`
(the Excel forms and stored mail read again for a person); the file store satisfies
:class:`BlobStore` as it is. Unit tests use in-memory fakes of each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

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
    DecisionNoticeView,
    FormSummary,
    MailboxView,
    MailContent,
    MessageFilter,
    MessageView,
    NoticeView,
    Page,
    Paged,
    RejectionFilter,
    RejectionView,
    SelectionRow,
    TermCounts,
)


class ReadQueries(Protocol):
    """Queries over what is recorded; every filter, sort and page is done by the database."""

    def messages(self, filters: MessageFilter, page: Page) -> Paged[MessageView]: ...

    def message(self, message_pk: int) -> MessageView | None: ...

    def attachment(self, attachment_id: int) -> AttachmentView | None: ...

    def rejections(self, filters: RejectionFilter, page: Page) -> Paged[RejectionView]: ...

    def rejection_ids(self, filters: RejectionFilter) -> list[int]: ...

    def rejection(self, rejection_id: int) -> RejectionView | None: ...

    def notices(self, rejection_id: int) -> tuple[NoticeView, ...]: ...

    def notice(self, notice_id: int) -> NoticeView | None: ...

    def audit_events(self, target: str | None, page: Page) -> Paged[AuditEntry]: ...

    def applications(self, filters: ApplicationFilter, page: Page) -> Paged[ApplicationView]: ...

    def application(self, application_id: int) -> ApplicationDetail | None: ...

    def acknowledgements(self, filters: AckFilter, page: Page) -> Paged[AckView]: ...

    def acknowledgements_by_id(self, ack_ids: Sequence[int]) -> tuple[AckView, ...]: ...

    def ack_counts(self, now: datetime) -> AckCounts: ...

    def mailboxes(self) -> tuple[MailboxView, ...]: ...

    def unmarked_messages(self) -> int: ...

    def cutoffs(self, term_id: int | None) -> tuple[CutoffView, ...]: ...

    def term_counts(self, terms: Sequence[Term]) -> Mapping[int, TermCounts]: ...


class SelectionQueries(Protocol):
    """The selection's queries (:mod:`intake.adapters.queryselection`): rows carry the form's
    fields the selection looks at, the decision and the latest notice of that decision."""

    def selection_rows(self, term_id: int) -> tuple[SelectionRow, ...]:
        """The term's current applications that are candidates (eligible or needing review)
        or carry a decision, by id."""
        ...

    def selection_row(self, application_id: int) -> SelectionRow | None: ...

    def decision_notices(self, application_id: int) -> tuple[DecisionNoticeView, ...]: ...

    def decision_notices_by_id(self, notice_ids: Sequence[int]) -> tuple[DecisionNoticeView, ...]:
        """In the order given (missing ones left out)."""
        ...

    def selection_form(self, application_id: int) -> Mapping[str, object]: ...

    def decision_history(self, application_id: int) -> tuple[AuditEntry, ...]: ...


class BlobStore(Protocol):
    """The content-addressed store of raw messages and attachments."""

    def path(self, relpath: str) -> Path: ...

    def read(self, relpath: str) -> bytes: ...


class DocumentReader(Protocol):
    """Stored documents read again for a person to look at (never raises on bad content)."""

    def form_summary(self, doc_type: str, filename: str, data: bytes) -> FormSummary: ...

    def mail_content(self, path: Path, *, headers_only: bool) -> MailContent: ...

    def form_terms(self) -> frozenset[int]:
        """The terms that have a 受講申込書 form version of their own."""
        ...
