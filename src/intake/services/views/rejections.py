"""The rejection log: the list an operator reviews, and one rejection in full."""

from __future__ import annotations

from intake.domain.model import DocType
from intake.domain.readmodel import (
    ALL,
    FormSummary,
    MessageView,
    NoticeView,
    Page,
    Paged,
    RejectionDetail,
    RejectionFilter,
    RejectionView,
)
from intake.services.errors import NotFound
from intake.services.views.messages import read_content
from intake.services.views.ports import BlobStore, DocumentReader, ReadQueries

_FORM_TYPES = (DocType.APPLICATION_FORM.value, DocType.EXPERIENCE_SHEET.value)


def list_rejections(
    q: ReadQueries, filters: RejectionFilter, page: Page = ALL
) -> Paged[RejectionView]:
    """One page of the rejection log, with the size of the whole selection."""
    return q.rejections(filters, page)


def rejection_ids(q: ReadQueries, filters: RejectionFilter) -> list[int]:
    """The ids of every rejection the filters select (for an action over a selection)."""
    return q.rejection_ids(filters)


def get_rejection(q: ReadQueries, rejection_id: int) -> RejectionView:
    rejection = q.rejection(rejection_id)
    if rejection is None:
        raise NotFound(f"不備記録 {rejection_id} は存在しません")
    return rejection


def rejection_detail(
    q: ReadQueries,
    store: BlobStore,
    documents: DocumentReader,
    rejection_id: int,
    *,
    with_content: bool = False,
    max_bytes: int,
) -> RejectionDetail:
    """One rejection with every reason, what its forms said, its deficiency notices and its
    history; with ``with_content``, the mail's headers and text body too."""
    rejection = get_rejection(q, rejection_id)
    history = q.audit_events(f"rejection:{rejection.id}", Page())
    content = (
        read_content(store, documents, rejection.message, max_bytes=max_bytes)
        if with_content
        else None
    )
    return RejectionDetail(
        rejection=rejection,
        notices=q.notices(rejection.id),
        history=history.items,
        forms=form_summaries(store, documents, rejection.message),
        content=content,
    )


def form_summaries(
    store: BlobStore, documents: DocumentReader, message: MessageView
) -> tuple[FormSummary, ...]:
    """What the attached Excel forms said, as far as they could be read (never raises)."""
    summaries = []
    for attachment in message.attachments:
        if attachment.doc_type not in _FORM_TYPES:
            continue
        filename = attachment.filename or ""
        if not filename.lower().endswith(".xlsx"):
            continue  # FORM_NOT_XLSX says so already
        try:
            data = store.read(attachment.stored_path)
        except (OSError, ValueError) as exc:
            problem = f"保存領域から読めません: {type(exc).__name__}"
            summaries.append(FormSummary(filename, attachment.doc_type, problem=problem))
            continue
        summaries.append(documents.form_summary(attachment.doc_type, filename, data))
    return tuple(summaries)


def get_notice(q: ReadQueries, notice_id: int) -> NoticeView:
    notice = q.notice(notice_id)
    if notice is None:
        raise NotFound(f"不備のご連絡 {notice_id} は存在しません")
    return notice
