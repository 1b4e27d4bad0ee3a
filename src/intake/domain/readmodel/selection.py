"""The selection (受講生の決定): each candidate's decision and the notice that tells it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import (
    DECISION_LABELS,
    DECISION_NOTICE_LABELS,
    DECISION_NOTICE_NAMES,
    ELIGIBILITY_LABELS,
    label,
)
from intake.domain.lifecycle import Decision, SendStatus, reached_applicant
from intake.domain.readmodel.rejections import AuditEntry
from intake.domain.search import format_reference
from intake.domain.selection import notice_due

# How a notice's state is reported to scripts (`selection list --json`): claimed counts as
# pending (it was never started); "sending" outside a run is a run that died, held by the
# next one (it may have arrived); a cancelled notice is no notice.
_REPORTED: dict[SendStatus, SendStatus] = {
    SendStatus.PENDING: SendStatus.PENDING,
    SendStatus.CLAIMED: SendStatus.PENDING,
    SendStatus.SENDING: SendStatus.HELD,
    SendStatus.SENT: SendStatus.SENT,
    SendStatus.HELD: SendStatus.HELD,
    SendStatus.FAILED: SendStatus.FAILED,
}


@dataclass(frozen=True)
class DecisionNoticeView:
    """One 受講決定のお知らせ / 選考結果のお知らせ and how its sending went."""

    id: int
    application_id: int
    term_id: int
    decision: Decision  # what it tells
    to_address: str
    subject: str
    body: str | None
    message_id: str | None
    status: SendStatus
    attempts: int
    note: str | None
    operator: str
    created_at: datetime
    sent_at: datetime | None

    @property
    def name(self) -> str:
        return DECISION_NOTICE_NAMES.get(self.decision, "お知らせ")

    @property
    def status_label(self) -> str:
        return label(DECISION_NOTICE_LABELS, self.status)

    @property
    def reached(self) -> bool:
        """Whether it may be with the applicant (its decision can no longer change)."""
        return reached_applicant(self.status, started=self.message_id is not None)


@dataclass(frozen=True)
class SelectionRow:
    """A candidate of a term's selection (or an application decided on earlier)."""

    application_id: int
    term_id: int
    name_romaji: str
    name_kanji: str | None
    email: str | None  # the 受講申込書's address: where the notice goes
    eligibility: EligibilityStatus
    prefecture: str | None
    operator_type: str | None
    is_one_stop_center: bool | None
    annual_consultations: int | None
    received_at: datetime
    decision: Decision | None
    decided_at: datetime | None
    decided_by: str | None
    # The latest notice telling the current decision (cancelled ones left out).
    notice: DecisionNoticeView | None
    notify_not_selected: bool = False  # the term's setting, given by the view

    @property
    def reference(self) -> str:
        return format_reference(self.term_id, self.application_id)

    @property
    def decision_label(self) -> str:
        return label(DECISION_LABELS, self.decision)

    @property
    def eligibility_label(self) -> str:
        return label(ELIGIBILITY_LABELS, self.eligibility)

    @property
    def notice_due(self) -> bool:
        """A notice of the decision is still to be sent."""
        latest = self.notice.status if self.notice else None
        return notice_due(self.decision, latest, notify_not_selected=self.notify_not_selected)

    @property
    def notice_status(self) -> SendStatus | None:
        """pending (due, or on its way), sent, held or failed; None: no notice is due."""
        if self.notice is not None:
            return _REPORTED.get(self.notice.status)
        return SendStatus.PENDING if self.notice_due else None

    @property
    def notice_label(self) -> str:
        if self.notice is not None:
            return self.notice.status_label
        return "未送信" if self.notice_due else ""

    @property
    def told(self) -> bool:
        return self.notice is not None and self.notice.reached


@dataclass(frozen=True)
class SelectionDetail:
    row: SelectionRow
    notices: tuple[DecisionNoticeView, ...]  # every notice of the application, oldest first
    history: tuple[AuditEntry, ...]  # its decisions and notices in the audit trail
    form: Mapping[str, Any] = field(default_factory=dict)
