"""Database rows as the read side's frozen records (:mod:`intake.domain.readmodel`): the
only place that reads an ORM object's fields for a screen, so no ORM object leaves the
query adapter. A record's fields are named as the row's columns; what differs is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, TypeVar

from intake.adapters.orm import (
    Acknowledgement,
    Application,
    Attachment,
    AuditEvent,
    ExperienceRow,
    Message,
    Notice,
    TermCutoff,
)
from intake.domain.model import Outcome
from intake.domain.readmodel import (
    AckView,
    ApplicationView,
    AttachmentView,
    AuditEntry,
    CutoffView,
    ExperienceView,
    MessageView,
    NoticeView,
)

R = TypeVar("R")


def record(kind: type[R], row: object, **given: Any) -> R:
    """A ``kind`` record of ``row``: each field read from the column of its name, unless given
    (JSON columns are copied, so a record never shares a mutable value with a row)."""
    values = {
        f.name: given[f.name] if f.name in given else getattr(row, f.name)
        for f in fields(kind)  # type: ignore[arg-type]
        if f.name in given or hasattr(row, f.name)
    }
    return kind(**values)


def attachment_view(row: Attachment) -> AttachmentView:
    return record(AttachmentView, row)


def message_view(
    message: Message,
    rejection_id: int | None,
    application_term_id: int | None,
    attachments: Sequence[AttachmentView],
) -> MessageView:
    return record(
        MessageView,
        message,
        outcome=Outcome(message.outcome),
        term_ids=tuple(int(t) for t in message.term_ids or ()),
        notes=tuple(str(n) for n in message.notes or ()),
        rejection_id=rejection_id,
        application_term_id=application_term_id,
        attachments=tuple(attachments),
    )


def notice_view(row: Notice) -> NoticeView:
    return record(NoticeView, row)


def application_view(row: Application, name_kana: str | None) -> ApplicationView:
    form_kana = (row.form or {}).get("name_kana")
    return record(
        ApplicationView, row, name_kana=form_kana if isinstance(form_kana, str) else name_kana
    )


def ack_view(row: Acknowledgement, application: Application) -> AckView:
    return record(
        AckView,
        row,
        term_id=application.term_id,
        applicant_name=application.name_kanji or application.name_romaji,
    )


def audit_entry(row: AuditEvent) -> AuditEntry:
    return record(AuditEntry, row, details=dict(row.details or {}))


def experience_view(row: ExperienceRow) -> ExperienceView:
    return record(ExperienceView, row)


def cutoff_view(row: TermCutoff) -> CutoffView:
    return record(CutoffView, row, summary=dict(row.summary or {}))
