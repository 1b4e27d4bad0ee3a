"""Applications and their acknowledgements (受付完了メール)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import (
    ACK_LABELS,
    APPLICATION_STATUS_LABELS,
    ELIGIBILITY_LABELS,
    label,
)
from intake.domain.lifecycle import (
    ApplicationStatus,
    SendStatus,
)
from intake.domain.readmodel.mail import AttachmentView
from intake.domain.search import format_reference


# -- applications and acknowledgements ----------------------------------------------------------
@dataclass(frozen=True)
class AckView:
    id: int
    application_id: int
    term_id: int
    applicant_name: str  # kanji when known, else romaji
    to_address: str
    due_at: datetime
    status: SendStatus
    sent_at: datetime | None
    message_id: str | None
    note: str | None
    attempts: int

    @property
    def status_label(self) -> str:
        return label(ACK_LABELS, self.status)

    @property
    def reference(self) -> str:
        return format_reference(self.term_id, self.application_id)


@dataclass(frozen=True)
class ApplicationView:
    id: int
    term_id: int
    status: ApplicationStatus
    name_romaji: str
    name_kanji: str | None
    name_kana: str | None
    email: str
    received_at: datetime
    completed_at: datetime
    eligibility: EligibilityStatus
    message_pk: int
    superseded_by_id: int | None

    @property
    def reference(self) -> str:
        return format_reference(self.term_id, self.id)

    @property
    def status_label(self) -> str:
        return label(APPLICATION_STATUS_LABELS, self.status)

    @property
    def eligibility_label(self) -> str:
        return label(ELIGIBILITY_LABELS, self.eligibility)


@dataclass(frozen=True)
class ExperienceView:
    sheet_row: int
    no: int | None
    period_from: date | None
    period_to: date | None
    ongoing: bool
    organisation: str | None
    window_name: str | None
    employment_type: str | None
    days_worked: int | None
    duties: str | None


@dataclass(frozen=True)
class ApplicationDetail:
    application: ApplicationView
    form: Mapping[str, Any]  # 様式1 as FORMS.md field names
    experience: tuple[ExperienceView, ...]
    attachments: tuple[AttachmentView, ...]
    eligibility_explanation: str
    warnings: tuple[str, ...]
    acknowledgements: tuple[AckView, ...]
