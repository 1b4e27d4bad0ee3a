"""The rejection log: a rejection, its reasons, its deficiency notices, its history, and
what its forms said."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intake.domain.labels import (
    AUDIT_ACTION_LABELS,
    DEFICIENCY_NOTICE_LABELS,
    NOTICE_STATE_LABELS,
    REASON_LABELS,
    REJECTION_STATUS_LABELS,
    RESOLUTION_LABELS,
    label,
)
from intake.domain.lifecycle import (
    NoticeState,
    RejectionStatus,
    Resolution,
    SendStatus,
)
from intake.domain.model import DocType, ReasonCode
from intake.domain.readmodel.mail import MailContent, MessageView


# -- rejections -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReasonView:
    code: str
    message: str  # the full Japanese explanation

    @property
    def label(self) -> str:
        """A few words for lists (the explanation names one applicant's files)."""
        try:
            return REASON_LABELS[ReasonCode(self.code)]
        except (ValueError, KeyError):  # a code this version does not know
            return self.code


@dataclass(frozen=True)
class RejectionView:
    id: int
    status: RejectionStatus
    resolution: Resolution | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    created_at: datetime
    message: MessageView
    reasons: tuple[ReasonView, ...]
    notice_state: NoticeState = NoticeState.NONE

    @property
    def status_label(self) -> str:
        return label(REJECTION_STATUS_LABELS, self.status)

    @property
    def resolution_label(self) -> str:
        return label(RESOLUTION_LABELS, self.resolution)

    @property
    def is_resolved(self) -> bool:
        return self.status is RejectionStatus.RESOLVED

    @property
    def notice_label(self) -> str:
        """Whether the applicant was told: 未送信, 送信済み, 送信結果不明 or 送信失敗."""
        return label(NOTICE_STATE_LABELS, self.notice_state)

    @property
    def reason_labels(self) -> tuple[str, ...]:
        """Each kind of reason once, in order; 「様式の記入に不備×4」 for four of a kind."""
        counts = Counter(r.label for r in self.reasons)
        return tuple(name if n == 1 else f"{name}×{n}" for name, n in counts.items())


@dataclass(frozen=True)
class NoticeView:
    """One deficiency notice (不備のご連絡) and how its sending went."""

    id: int
    rejection_id: int
    to_address: str
    subject: str
    body: str
    message_id: str | None
    status: SendStatus
    note: str | None
    operator: str
    created_at: datetime
    sent_at: datetime | None

    @property
    def status_label(self) -> str:
        return label(DEFICIENCY_NOTICE_LABELS, self.status)

    @property
    def is_sent(self) -> bool:
        return self.status is SendStatus.SENT

    @property
    def is_held(self) -> bool:
        return self.status is SendStatus.HELD


@dataclass(frozen=True)
class AuditEntry:
    """One event of the audit trail: who did what to which record, when and why."""

    id: int
    at: datetime
    operator: str
    action: str  # e.g. "rejection.reprocess"
    target: str  # e.g. "rejection:12"
    note: str | None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action_label(self) -> str:
        return AUDIT_ACTION_LABELS.get(self.action, self.action)


@dataclass(frozen=True)
class FormSummary:
    """What one attached form said, as far as it could be read (never raises)."""

    filename: str
    doc_type: str  # "application_form" | "experience_sheet"
    problem: str | None = None  # why it could not be read
    term: int | None = None
    name_kanji: str | None = None
    name_kana: str | None = None
    name_romaji: str | None = None
    email: str | None = None
    org_name: str | None = None
    window_name: str | None = None
    experience_rows: int | None = None
    experience_days: int | None = None

    @property
    def text(self) -> str:
        """One line for a person, as the command line shows it."""
        if self.problem is not None:
            return f"{self.filename}: 読み取れません（{self.problem}）"
        if self.doc_type == DocType.APPLICATION_FORM.value:
            term = f"第{self.term}期用" if self.term else "期不明"
            return (
                f"受講申込書（{term}）: {self.name_kanji or '—'}"
                f"（{self.name_romaji or '—'}）、{self.email or 'メールアドレスなし'}、"
                f"{self.org_name or '所属なし'}／{self.window_name or '窓口名なし'}"
            )
        return (
            f"実務経験申告書: {self.name_romaji or '—'}、{self.experience_rows or 0} 行、"
            f"従事日数の合計 {self.experience_days or 0} 日"
        )


@dataclass(frozen=True)
class RejectionDetail:
    rejection: RejectionView
    notices: tuple[NoticeView, ...]
    history: tuple[AuditEntry, ...]
    forms: tuple[FormSummary, ...]
    content: MailContent | None = None  # read only when asked for (the mail is parsed again)
