"""Received messages: the list, one message read again (headers, text body, attachments),
and an attachment's bytes for download."""

from __future__ import annotations

import hashlib

from intake.domain.model import Outcome
from intake.domain.readmodel import (
    ALL,
    AttachmentView,
    MailContent,
    MessageDetail,
    MessageFilter,
    MessageView,
    Page,
    Paged,
)
from intake.domain.search import parse_search
from intake.services.errors import NotFound
from intake.services.views.ports import BlobStore, DocumentReader, ReadQueries


class AttachmentUnavailable(Exception):
    """The stored file is missing or no longer what was received (str(): Japanese)."""


def list_messages(
    q: ReadQueries,
    *,
    outcome: Outcome | None = None,
    search: str | None = None,
    page: Page = ALL,
) -> Paged[MessageView]:
    """Received messages in the order they were recorded."""
    return q.messages(MessageFilter(outcome=outcome, search=parse_search(search)), page)


def get_message(q: ReadQueries, message_pk: int) -> MessageView:
    message = q.message(message_pk)
    if message is None:
        raise NotFound(f"メール（記録番号 {message_pk}）は存在しません")
    return message


def read_content(
    store: BlobStore, documents: DocumentReader, message: MessageView, *, max_bytes: int
) -> MailContent:
    """The stored raw message read again: header fields and the decoded text body.

    A message over ``max_bytes`` (``[limits] message_max_bytes``) is never parsed whole: only
    its header is shown, as when it was received.
    """
    headers_only = message.size > max_bytes
    try:
        path = store.path(message.raw_path)
        content = documents.mail_content(path, headers_only=headers_only)
    except (OSError, ValueError) as exc:
        return MailContent(
            headers=(),
            body="",
            defects=(f"保存してある原本を読めません（{type(exc).__name__}）",),
            complete=False,
        )
    if headers_only:
        note = "メールが大きすぎるため、本文と添付ファイルの中身は読み直していません"
        return MailContent(content.headers, "", (*content.defects, note), complete=False)
    return content


def message_detail(
    q: ReadQueries,
    store: BlobStore,
    documents: DocumentReader,
    message_pk: int,
    *,
    max_bytes: int,
) -> MessageDetail:
    message = get_message(q, message_pk)
    return MessageDetail(message, read_content(store, documents, message, max_bytes=max_bytes))


def get_attachment(q: ReadQueries, attachment_id: int) -> AttachmentView:
    attachment = q.attachment(attachment_id)
    if attachment is None:
        raise NotFound(f"添付ファイル {attachment_id} は存在しません")
    return attachment


def attachment_content(
    q: ReadQueries, store: BlobStore, attachment_id: int
) -> tuple[AttachmentView, bytes]:
    """An attachment and its bytes, exactly as received (checked against the sha256 kept)."""
    attachment = get_attachment(q, attachment_id)
    try:
        data = store.read(attachment.stored_path)
    except (OSError, ValueError) as exc:
        raise AttachmentUnavailable(
            f"添付ファイル {attachment.display_name} を保存領域から読めません"
            f"（{type(exc).__name__}）"
        ) from exc
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentUnavailable(
            f"添付ファイル {attachment.display_name} の内容が記録と一致しません"
            "（保存領域のファイルが変更されています）"
        )
    return attachment, data
