"""Received messages and their attachments, and a stored mail read again for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intake.domain.labels import (
    DOC_LABELS,
    OUTCOME_LABELS,
    label,
)
from intake.domain.lifecycle import (
    ServerState,
)
from intake.domain.model import DocType, Outcome
from intake.domain.search import format_reference


# -- messages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttachmentView:
    """One attachment as received; ``id`` is the handle to download it by."""

    id: int
    message_pk: int
    position: int
    filename: str | None  # decoded, as sent; never a path
    content_type: str
    doc_type: str | None
    size: int
    sha256: str
    stored_path: str  # inside the store
    application_id: int | None

    @property
    def display_name(self) -> str:
        return self.filename or "（名前なし）"

    @property
    def doc_label(self) -> str:
        if self.doc_type is None:
            return ""
        try:
            return DOC_LABELS[DocType(self.doc_type)]
        except ValueError:  # a document type this version does not know
            return self.doc_type


@dataclass(frozen=True)
class MessageView:
    """One received message as recorded (list and detail alike)."""

    id: int
    message_id: str | None  # the Message-ID header
    subject: str
    from_address: str | None
    from_display: str
    received_at: datetime
    outcome: Outcome
    applicant_name: str | None  # romaji, from the subject
    name_kanji: str | None  # from the 受講申込書, where it could be read
    name_kana: str | None
    term_ids: tuple[int, ...]
    notes: tuple[str, ...]
    size: int
    raw_path: str
    account: str
    folder: str
    server_state: ServerState
    rejection_id: int | None
    application_id: int | None
    application_term_id: int | None
    duplicate_of_id: int | None
    attachments: tuple[AttachmentView, ...] = ()

    @property
    def outcome_label(self) -> str:
        return label(OUTCOME_LABELS, self.outcome)

    @property
    def display_subject(self) -> str:
        return self.subject or "（件名なし）"

    @property
    def display_name(self) -> str:
        """The applicant's name as best known: kanji from the form, else the subject's."""
        return self.name_kanji or self.applicant_name or ""

    @property
    def reference(self) -> str | None:
        """The 受付番号 of the application this message made or completed."""
        if self.application_id is None or self.application_term_id is None:
            return None
        return format_reference(self.application_term_id, self.application_id)


@dataclass(frozen=True)
class MailContent:
    """A stored message read again for a person: header fields, the text body (HTML parts
    already turned into plain text, never HTML), and what could not be read."""

    headers: tuple[tuple[str, str], ...]
    body: str
    defects: tuple[str, ...] = ()
    complete: bool = True  # False: too large to parse; headers only

    MAIN_HEADERS = ("from", "to", "cc", "reply-to", "date", "subject", "message-id")

    @property
    def main_headers(self) -> tuple[tuple[str, str], ...]:
        """The header fields a person looks at, in the usual order."""
        found = {name.lower(): (name, value) for name, value in self.headers}
        return tuple(found[name] for name in self.MAIN_HEADERS if name in found)


@dataclass(frozen=True)
class MessageDetail:
    message: MessageView
    content: MailContent
