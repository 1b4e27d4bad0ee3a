"""Database rows as the read side's frozen records (:mod:`intake.domain.readmodel`): the
only place that reads an ORM object's fields for a screen, so no ORM object leaves the
query adapter."""

from __future__ import annotations

from collections.abc import Sequence

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


def attachment_view(row: Attachment) -> AttachmentView:
    return AttachmentView(
        id=row.id,
        message_pk=row.message_pk,
        position=row.position,
        filename=row.filename,
        content_type=row.content_type,
        doc_type=row.doc_type,
        size=row.size,
        sha256=row.sha256,
        stored_path=row.stored_path,
        application_id=row.application_id,
    )


def message_view(
    message: Message,
    rejection_id: int | None,
    application_term_id: int | None,
    attachments: Sequence[AttachmentView],
) -> MessageView:
    return MessageView(
        id=message.id,
        message_id=message.message_id,
        subject=message.subject,
        from_address=message.from_address,
        from_display=message.from_display,
        received_at=message.received_at,
        outcome=Outcome(message.outcome),
        applicant_name=message.applicant_name,
        name_kanji=message.name_kanji,
        name_kana=message.name_kana,
        term_ids=tuple(int(t) for t in message.term_ids or ()),
        notes=tuple(str(n) for n in message.notes or ()),
        size=message.size,
        raw_path=message.raw_path,
        account=message.account,
        folder=message.folder,
        server_state=message.server_state,
        rejection_id=rejection_id,
        application_id=message.application_id,
        application_term_id=application_term_id,
        duplicate_of_id=message.duplicate_of_id,
        attachments=tuple(attachments),
    )


def notice_view(row: Notice) -> NoticeView:
    return NoticeView(
        id=row.id,
        rejection_id=row.rejection_id,
        to_address=row.to_address,
        subject=row.subject,
        body=row.body,
        message_id=row.message_id,
        status=row.status,
        note=row.note,
        operator=row.operator,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def application_view(row: Application, name_kana: str | None) -> ApplicationView:
    form_kana = (row.form or {}).get("name_kana")
    return ApplicationView(
        id=row.id,
        term_id=row.term_id,
        status=row.status,
        name_romaji=row.name_romaji,
        name_kanji=row.name_kanji,
        name_kana=form_kana if isinstance(form_kana, str) else name_kana,
        email=row.email,
        received_at=row.received_at,
        completed_at=row.completed_at,
        eligibility=row.eligibility,
        message_pk=row.message_pk,
        superseded_by_id=row.superseded_by_id,
    )


def ack_view(row: Acknowledgement, application: Application) -> AckView:
    return AckView(
        id=row.id,
        application_id=row.application_id,
        term_id=application.term_id,
        applicant_name=application.name_kanji or application.name_romaji,
        to_address=row.to_address,
        due_at=row.due_at,
        status=row.status,
        sent_at=row.sent_at,
        message_id=row.message_id,
        note=row.note,
        attempts=row.attempts,
    )


def audit_entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        operator=row.operator,
        action=row.action,
        target=row.target,
        note=row.note,
        details=dict(row.details or {}),
    )


def experience_view(row: ExperienceRow) -> ExperienceView:
    return ExperienceView(
        sheet_row=row.sheet_row,
        no=row.no,
        period_from=row.period_from,
        period_to=row.period_to,
        ongoing=row.ongoing,
        organisation=row.organisation,
        window_name=row.window_name,
        employment_type=row.employment_type,
        days_worked=row.days_worked,
        duties=row.duties,
    )


def cutoff_view(row: TermCutoff) -> CutoffView:
    return CutoffView(
        id=row.id,
        term_id=row.term_id,
        closes_at=row.closes_at,
        version=row.version,
        ran_at=row.ran_at,
        roster_path=row.roster_path,
        summary=dict(row.summary or {}),
        summary_sent_at=row.summary_sent_at,
        summary_note=row.summary_note,
    )
