"""The read side's own logic over in-memory fakes of its ports: no database, no servers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from intake.domain.lifecycle import (
    NoticeState,
    RejectionStatus,
    Resolution,
    SendStatus,
    ServerState,
    TermState,
    notice_state,
)
from intake.domain.model import Outcome, Term
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
    FormSummary,
    MailboxView,
    MailContent,
    MessageFilter,
    MessageView,
    NoticeView,
    Page,
    Paged,
    ReasonView,
    RejectionFilter,
    RejectionView,
    TermCounts,
)
from intake.domain.search import parse_search
from intake.services.errors import NotFound
from intake.services.views import applications, desk, messages, rejections

NOW = datetime(2025, 5, 3, 3, 0, tzinfo=UTC)


def term(term_id: int, opens: datetime, closes: datetime) -> Term:
    return Term(
        id=term_id,
        name=f"第{term_id}期",
        opens_at=opens,
        closes_at=closes,
        training_starts_on=date(2025, 9, 1),
    )


TERM1 = term(1, datetime(2025, 3, 10, 1, tzinfo=UTC), datetime(2025, 5, 7, 8, tzinfo=UTC))
TERM2 = term(2, datetime(2025, 5, 2, 1, tzinfo=UTC), datetime(2025, 7, 1, 8, tzinfo=UTC))


def attachment(n: int, filename: str, doc_type: str | None, data: bytes) -> AttachmentView:
    return AttachmentView(
        id=n,
        message_pk=1,
        position=n,
        filename=filename,
        content_type="application/octet-stream",
        doc_type=doc_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_path=f"attachments/{n}",
        application_id=None,
    )


def message(**changes: object) -> MessageView:
    base = MessageView(
        id=1,
        message_id="<m1@example.jp>",
        subject="受講申込_SUZUKI Ichiro",
        from_address="suzuki@example.jp",
        from_display="鈴木 <suzuki@example.jp>",
        received_at=datetime(2025, 4, 20, 7, 30, tzinfo=UTC),
        outcome=Outcome.REJECTED,
        applicant_name="SUZUKI Ichiro",
        name_kanji=None,
        name_kana=None,
        term_ids=(1,),
        notes=(),
        size=1000,
        raw_path="raw/1",
        account="scfn",
        folder="INBOX",
        server_state=ServerState.DONE,
        rejection_id=7,
        application_id=None,
        application_term_id=None,
        duplicate_of_id=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def rejection(msg: MessageView, **changes: object) -> RejectionView:
    base = RejectionView(
        id=7,
        status=RejectionStatus.OPEN,
        resolution=None,
        resolved_at=None,
        resolved_by=None,
        note=None,
        created_at=msg.received_at,
        message=msg,
        reasons=(ReasonView("MISSING_EMPLOYMENT_CERTIFICATE", "在職証明書が添付されていません。"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class FakeQueries:
    """ReadQueries in memory: records as given, filters recorded for the tests to check."""

    message_rows: list[MessageView] = field(default_factory=list)
    rejection_rows: list[RejectionView] = field(default_factory=list)
    notice_rows: list[NoticeView] = field(default_factory=list)
    events: list[AuditEntry] = field(default_factory=list)
    cutoff_rows: list[CutoffView] = field(default_factory=list)
    counts: dict[int, TermCounts] = field(default_factory=dict)
    asked: list[object] = field(default_factory=list)

    def messages(self, filters: MessageFilter, page: Page) -> Paged[MessageView]:
        self.asked.append(filters)
        return Paged(tuple(self.message_rows), len(self.message_rows), page)

    def message(self, message_pk: int) -> MessageView | None:
        return next((m for m in self.message_rows if m.id == message_pk), None)

    def attachment(self, attachment_id: int) -> AttachmentView | None:
        found = [a for m in self.message_rows for a in m.attachments if a.id == attachment_id]
        return found[0] if found else None

    def rejections(self, filters: RejectionFilter, page: Page) -> Paged[RejectionView]:
        self.asked.append(filters)
        rows = [r for r in self.rejection_rows if filters.status in (None, r.status)]
        return Paged(tuple(rows[: page.limit]), len(rows), page)

    def rejection_ids(self, filters: RejectionFilter) -> list[int]:
        return [r.id for r in self.rejection_rows]

    def rejection(self, rejection_id: int) -> RejectionView | None:
        return next((r for r in self.rejection_rows if r.id == rejection_id), None)

    def notices(self, rejection_id: int) -> tuple[NoticeView, ...]:
        return tuple(n for n in self.notice_rows if n.rejection_id == rejection_id)

    def notice(self, notice_id: int) -> NoticeView | None:
        return next((n for n in self.notice_rows if n.id == notice_id), None)

    def audit_events(self, target: str | None, page: Page) -> Paged[AuditEntry]:
        rows = tuple(e for e in self.events if target in (None, e.target))
        return Paged(rows, len(rows), page)

    def applications(self, filters: ApplicationFilter, page: Page) -> Paged[ApplicationView]:
        self.asked.append(filters)
        return Paged((), 0, page)

    def application(self, application_id: int) -> ApplicationDetail | None:
        return None

    def acknowledgements(self, filters: AckFilter, page: Page) -> Paged[AckView]:
        self.asked.append(filters)
        return Paged((), 0, page)

    def acknowledgements_by_id(self, ack_ids: Sequence[int]) -> tuple[AckView, ...]:
        return ()

    def ack_counts(self, now: datetime) -> AckCounts:
        return AckCounts(due=2, held=1)

    def mailboxes(self) -> tuple[MailboxView, ...]:
        return (MailboxView("scfn", "INBOX", NOW, None),)

    def unmarked_messages(self) -> int:
        return 3

    def cutoffs(self, term_id: int | None) -> tuple[CutoffView, ...]:
        return tuple(c for c in self.cutoff_rows if term_id in (None, c.term_id))

    def term_counts(self, terms: Sequence[Term]) -> Mapping[int, TermCounts]:
        return self.counts


@dataclass
class FakeStore:
    files: dict[str, bytes] = field(default_factory=dict)

    def path(self, relpath: str) -> Path:
        if relpath not in self.files:
            raise FileNotFoundError(relpath)
        return Path("/store") / relpath

    def read(self, relpath: str) -> bytes:
        if relpath not in self.files:
            raise FileNotFoundError(relpath)
        return self.files[relpath]


@dataclass
class FakeDocuments:
    read_forms: list[str] = field(default_factory=list)
    parsed: list[tuple[Path, bool]] = field(default_factory=list)

    def form_summary(self, doc_type: str, filename: str, data: bytes) -> FormSummary:
        self.read_forms.append(filename)
        return FormSummary(filename, doc_type, name_kanji=data.decode())

    def mail_content(self, path: Path, *, headers_only: bool) -> MailContent:
        self.parsed.append((path, headers_only))
        return MailContent((("Subject", "件名"),), "" if headers_only else "本文です")

    def form_terms(self) -> frozenset[int]:
        return frozenset({1})


def cutoff(term_id: int, closes_at: datetime, version: int) -> CutoffView:
    return CutoffView(
        id=version,
        term_id=term_id,
        closes_at=closes_at,
        version=version,
        ran_at=closes_at,
        roster_path=None,
        summary={},
        summary_sent_at=None,
        summary_note=None,
    )


def test_rejection_detail_reads_only_the_xlsx_forms_and_never_fails_on_a_missing_file() -> None:
    msg = message(
        attachments=(
            attachment(1, "受講申込書_SUZUKI Ichiro.xlsx", "application_form", b"\xe9\x88\xb4"),
            attachment(2, "実務経験申告書_SUZUKI Ichiro.xls", "experience_sheet", b"x"),
            attachment(3, "在職証明書_SUZUKI Ichiro.pdf", "employment_certificate", b"%PDF"),
            attachment(4, "実務経験申告書_SUZUKI Ichiro.xlsx", "experience_sheet", b"gone"),
        )
    )
    q = FakeQueries(
        message_rows=[msg],
        rejection_rows=[rejection(msg)],
        events=[
            AuditEntry(1, NOW, "原", "rejection.notify", "rejection:7", None),
            AuditEntry(2, NOW, "原", "rejection.resolve", "rejection:8", "other"),
        ],
    )
    store = FakeStore({"attachments/1": "鈴".encode(), "raw/1": b"raw"})
    documents = FakeDocuments()
    detail = rejections.rejection_detail(q, store, documents, 7, max_bytes=10_000)
    assert documents.read_forms == ["受講申込書_SUZUKI Ichiro.xlsx"]
    assert [f.name_kanji for f in detail.forms] == ["鈴", None]
    assert detail.forms[1].problem is not None and "読めません" in detail.forms[1].text
    assert [e.action_label for e in detail.history] == ["不備のご連絡"]
    assert detail.content is None and documents.parsed == []

    with_body = rejections.rejection_detail(
        q, store, documents, 7, with_content=True, max_bytes=10_000
    )
    assert with_body.content is not None and with_body.content.body == "本文です"
    with pytest.raises(NotFound, match="不備記録 8"):
        rejections.rejection_detail(q, store, documents, 8, max_bytes=10_000)


def test_an_oversized_message_is_shown_by_its_header_alone() -> None:
    q = FakeQueries(message_rows=[message(size=5_000)])
    documents = FakeDocuments()
    store = FakeStore({"raw/1": b"raw"})
    detail = messages.message_detail(q, store, documents, 1, max_bytes=4_000)
    assert documents.parsed == [(Path("/store/raw/1"), True)]
    assert not detail.content.complete and detail.content.body == ""
    assert any("大きすぎる" in d for d in detail.content.defects)

    unreadable = messages.message_detail(q, FakeStore(), documents, 1, max_bytes=10_000)
    assert unreadable.content.headers == () and "原本を読めません" in unreadable.content.defects[0]
    with pytest.raises(NotFound, match="記録番号 2"):
        messages.message_detail(q, store, documents, 2, max_bytes=10_000)


def test_an_attachment_is_handed_out_only_as_received() -> None:
    data = b"%PDF-1.4 certificate"
    q = FakeQueries(message_rows=[message(attachments=(attachment(5, "a.pdf", None, data),))])
    found, content = messages.attachment_content(q, FakeStore({"attachments/5": data}), 5)
    assert found.id == 5 and content == data
    with pytest.raises(messages.AttachmentUnavailable, match="一致しません"):
        messages.attachment_content(q, FakeStore({"attachments/5": b"changed"}), 5)
    with pytest.raises(messages.AttachmentUnavailable, match="読めません"):
        messages.attachment_content(q, FakeStore(), 5)
    with pytest.raises(NotFound):
        messages.attachment_content(q, FakeStore(), 6)


def test_lists_hand_the_search_words_to_the_queries() -> None:
    q = FakeQueries()
    messages.list_messages(q, outcome=Outcome.REJECTED, search="すずき T1-00012")
    applications.list_applications(q, term_id=2, search="山田")
    applications.list_acks(q, status=SendStatus.HELD, search=None)
    sent, apps, acks = q.asked
    assert isinstance(sent, MessageFilter) and sent.outcome is Outcome.REJECTED
    assert sent.search == parse_search("すずき T1-00012")
    assert sent.search[1].reference == (1, 12)
    assert isinstance(apps, ApplicationFilter) and apps.term_id == 2
    assert isinstance(acks, AckFilter) and acks.status is SendStatus.HELD and acks.search == ()


def test_term_overviews_take_the_cutoff_of_the_deadline_in_force() -> None:
    extended = TERM1.model_copy(update={"closes_at": datetime(2025, 5, 14, 8, tzinfo=UTC)})
    q = FakeQueries(
        cutoff_rows=[cutoff(1, TERM1.closes_at, 1)],
        counts={2: TermCounts(current_applications=3, open_rejections=1)},
    )
    after = datetime(2025, 5, 10, tzinfo=UTC)
    first, second = desk.term_overviews(q, [TERM2, TERM1], after)
    assert (first.term.id, first.state, first.state_label) == (
        1,
        TermState.CUTOFF_DONE,
        "締切処理済み（v1）",
    )
    assert (second.state, second.counts.current_applications) == (TermState.OPEN, 3)
    assert first.counts == TermCounts()

    (reopened,) = desk.term_overviews(q, [extended], after)
    assert reopened.state is TermState.OPEN and reopened.cutoff is None
    (pending,) = desk.term_overviews(q, [extended], datetime(2025, 5, 15, tzinfo=UTC))
    assert pending.state_label == "締切処理待ち"
    (early,) = desk.term_overviews(q, [TERM2], datetime(2025, 4, 1, tzinfo=UTC))
    assert early.state is TermState.NOT_OPEN and early.state_label == "受付開始前"


def test_term_warnings_name_a_missing_form_an_ambiguous_overlap_and_a_moved_deadline() -> None:
    moved = TERM1.model_copy(update={"closes_at": datetime(2025, 5, 14, 8, tzinfo=UTC)})
    q = FakeQueries(
        cutoff_rows=[
            cutoff(1, datetime(2025, 5, 1, 8, tzinfo=UTC), 1),
            cutoff(1, TERM1.closes_at, 2),
        ]
    )
    warnings = desk.term_warnings(q, FakeDocuments(), [TERM2, moved])
    assert len(warnings) == 3
    assert "第2期（id = 2）用の受講申込書の様式が登録されていません" in warnings[0]
    assert (
        "第1期と第2期の募集期間が重なっています" in warnings[1] and "第2期用の様式" in warnings[1]
    )
    assert "処理時 2025-05-07 17:00、現在 2025-05-14 17:00" in warnings[2]  # the latest version
    assert desk.term_warnings(FakeQueries(), FakeDocuments(), [TERM1]) == []


def test_desk_status_counts_what_needs_a_person() -> None:
    msg = message()
    q = FakeQueries(
        rejection_rows=[rejection(msg), rejection(msg, id=8, status=RejectionStatus.RESOLVED)],
    )
    status = desk.desk_status(q, [TERM1], NOW)
    assert status.open_rejections == 1 and status.unmarked_messages == 3
    assert status.acks == AckCounts(due=2, held=1)
    assert [t.state for t in status.terms] == [TermState.OPEN]


def test_notice_state_over_all_of_a_rejections_notices() -> None:
    sent, held, failed = SendStatus.SENT, SendStatus.HELD, SendStatus.FAILED
    assert notice_state([]) is NoticeState.NONE
    assert notice_state([failed]) is NoticeState.FAILED
    assert notice_state([failed, held]) is NoticeState.UNKNOWN
    assert notice_state([held, sent, failed]) is NoticeState.SENT
    assert notice_state([SendStatus.SENDING]).may_have_arrived
    assert not NoticeState.FAILED.may_have_arrived
    unknown = rejection(message(), notice_state=NoticeState.UNKNOWN)
    assert unknown.notice_label == "送信結果不明"


def test_records_label_themselves_in_japanese() -> None:
    msg = message(application_id=12, application_term_id=1)
    reasons = (
        ReasonView("FORM_INVALID", "受講申込書 B9（メールアドレス）が空欄です。"),
        ReasonView("MISSING_EMPLOYMENT_CERTIFICATE", "在職証明書が添付されていません。"),
        ReasonView("FORM_INVALID", "受講申込書 B10 が空欄です。"),
        ReasonView("SOMETHING_NEW", "?"),
    )
    shown = rejection(
        msg, reasons=reasons, status=RejectionStatus.RESOLVED, resolution=Resolution.SUPPLEMENTED
    )
    assert shown.reason_labels == ("様式の記入に不備×2", "在職証明書がない", "SOMETHING_NEW")
    assert (shown.status_label, shown.resolution_label) == ("対応済み", "追加書類で完備")
    assert msg.reference == "T1-00012" and msg.outcome_label == "不備"
    assert message(name_kanji="鈴木 一郎").display_name == "鈴木 一郎"
    assert message(applicant_name=None).display_name == ""
    content = MailContent((("Received", "x"), ("Subject", "s"), ("From", "f")), "")
    assert content.main_headers == (("From", "f"), ("Subject", "s"))
