"""What the read side returns: plain, frozen records of what intake holds.

The command line and the web console show the same things, so they read the same records:
built by the query adapter from the database (no database object ever leaves it), completed
by :mod:`intake.services.views` (forms, mail bodies, term states), and labelled here in
Japanese from :mod:`intake.domain.labels`, so every screen says the same word.

Everything an applicant wrote (subjects, names, file names, bodies) is kept as written:
hostile input, for the showing side to escape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import (
    ACK_LABELS,
    APPLICATION_STATUS_LABELS,
    AUDIT_ACTION_LABELS,
    DEFICIENCY_NOTICE_LABELS,
    DOC_LABELS,
    ELIGIBILITY_LABELS,
    NOTICE_STATE_LABELS,
    OUTCOME_LABELS,
    REASON_LABELS,
    REJECTION_STATUS_LABELS,
    RESOLUTION_LABELS,
    TERM_STATE_LABELS,
    label,
)
from intake.domain.lifecycle import (
    ApplicationStatus,
    NoticeState,
    RejectionStatus,
    Resolution,
    SendStatus,
    ServerState,
    TermState,
)
from intake.domain.model import DocType, Outcome, ReasonCode, Term
from intake.domain.search import SearchToken, format_reference

T = TypeVar("T")


# -- paging and sorting -------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """Which slice of a list: ``limit`` rows (all when None) after skipping ``offset``."""

    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if self.offset < 0 or (self.limit is not None and self.limit < 0):
            raise ValueError("limit and offset cannot be negative")


ALL = Page()  # every row


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list and the size of the whole list (for "1–20 of 29")."""

    items: tuple[T, ...]
    total: int
    page: Page = Page()

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when none)."""
        return self.page.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.page.offset + len(self.items)

    @property
    def is_partial(self) -> bool:
        return len(self.items) < self.total


class RejectionSort(StrEnum):
    RECEIVED = "received"  # the server's receipt time
    ID = "id"
    NAME = "name"  # the romaji name of the subject
    STATUS = "status"


# -- filters --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageFilter:
    outcome: Outcome | None = None
    search: tuple[SearchToken, ...] = ()


@dataclass(frozen=True)
class RejectionFilter:
    """Which rejections to list. ``status`` None means open and resolved alike; ``term``
    matches mail received in the term's period or placed in the term; ``notified`` True means
    a deficiency notice may have reached the applicant (sent, or its fate unknown)."""

    status: RejectionStatus | None = RejectionStatus.OPEN
    term: Term | None = None
    reason: str | None = None
    notified: bool | None = None
    received_since: datetime | None = None
    received_before: datetime | None = None  # exclusive
    search: tuple[SearchToken, ...] = ()
    sort: RejectionSort = RejectionSort.ID
    descending: bool = False


@dataclass(frozen=True)
class ApplicationFilter:
    term_id: int | None = None
    status: ApplicationStatus | None = None  # None: current and superseded
    search: tuple[SearchToken, ...] = ()


@dataclass(frozen=True)
class AckFilter:
    status: SendStatus | None = None
    application_id: int | None = None
    search: tuple[SearchToken, ...] = ()


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


# -- terms, cutoffs, the desk ---------------------------------------------------------------------
@dataclass(frozen=True)
class CutoffView:
    """One run of a term's cutoff (one roster version) for the deadline then in force."""

    id: int
    term_id: int
    closes_at: datetime
    version: int
    ran_at: datetime
    roster_path: str | None
    summary: Mapping[str, Any]
    summary_sent_at: datetime | None
    summary_note: str | None


@dataclass(frozen=True)
class TermCounts:
    current_applications: int = 0
    open_rejections: int = 0  # of mail received in the term's period


@dataclass(frozen=True)
class TermOverview:
    term: Term
    state: TermState
    cutoff: CutoffView | None  # the cutoff for the deadline in force
    counts: TermCounts

    @property
    def cutoff_version(self) -> int | None:
        return self.cutoff.version if self.cutoff else None

    @property
    def state_label(self) -> str:
        text = label(TERM_STATE_LABELS, self.state)
        return f"{text}（v{self.cutoff_version}）" if self.cutoff_version else text


@dataclass(frozen=True)
class MailboxView:
    account: str
    folder: str
    last_poll_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class AckCounts:
    due: int = 0  # pending and due now
    held: int = 0
    failed: int = 0
    in_flight: int = 0  # claimed or sending: a run stopped half-way


@dataclass(frozen=True)
class DeskStatus:
    mailboxes: tuple[MailboxView, ...]
    unmarked_messages: int  # recorded, not yet marked on the server
    open_rejections: int
    acks: AckCounts
    terms: tuple[TermOverview, ...]
