"""The read side's SQL (adapters/queries.py) on SQLite and PostgreSQL: every filter, the
search, sorting and paging done by the database, and a page costs the same few statements
however many rows it holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from intake.adapters.orm import (
    Acknowledgement,
    Applicant,
    Application,
    Attachment,
    AuditEvent,
    Base,
    MailboxState,
    Message,
    Notice,
    Rejection,
    RejectionReason,
    TermCutoff,
    make_engine,
)
from intake.adapters.queries import SqlQueries
from intake.domain.model import Term
from intake.domain.readmodel import (
    AckFilter,
    ApplicationFilter,
    MessageFilter,
    Page,
    RejectionFilter,
    RejectionSort,
)
from intake.domain.search import parse_search

pytestmark = pytest.mark.postgres

T0 = datetime(2025, 4, 1, 1, 0, tzinfo=UTC)
TERM1 = Term(
    id=1,
    name="第1期",
    opens_at=datetime(2025, 3, 10, 1, tzinfo=UTC),
    closes_at=datetime(2025, 5, 7, 8, tzinfo=UTC),
    training_starts_on=date(2025, 6, 2),
)
TERM2 = Term(
    id=2,
    name="第2期",
    opens_at=datetime(2025, 5, 2, 1, tzinfo=UTC),
    closes_at=datetime(2025, 7, 1, 8, tzinfo=UTC),
    training_starts_on=date(2025, 8, 1),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


_numbers = iter(range(1, 10_000))


def mail(session: Session, **values: Any) -> Message:
    n = next(_numbers)
    row = Message(
        account="scfn",
        folder="INBOX",
        uidvalidity=1,
        uid=n,
        message_id=values.pop("message_id", f"<m{n}@example.jp>"),
        sha256=f"{n:064d}",
        content_sha256=f"{n:064d}",
        size=100,
        raw_path=f"raw/{n}",
        subject=values.pop("subject", f"受講申込_NAME{n}"),
        from_address=values.pop("from_address", f"a{n}@example.jp"),
        from_display="",
        received_at=values.pop("received_at", T0),
        outcome=values.pop("outcome", "rejected"),
        server_state=values.pop("server_state", "done"),
        **values,
    )
    session.add(row)
    return row


def rejected(
    session: Session,
    codes: tuple[str, ...] = ("OUTSIDE_PERIOD",),
    *,
    status: str = "open",
    attachments: int = 1,
    notices: tuple[str, ...] = (),
    **values: Any,
) -> Rejection:
    message = mail(session, **values)
    message.attachments = [
        Attachment(
            position=i,
            filename=f"file{i}.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            stored_path=f"attachments/{i}",
        )
        for i in range(attachments)
    ]
    rejection = Rejection(
        message=message,
        status=status,
        reasons=[
            RejectionReason(position=i, code=code, message=f"{code} の説明")
            for i, code in enumerate(codes)
        ],
    )
    session.add(rejection)
    session.flush()
    for state in notices:
        session.add(
            Notice(
                rejection_id=rejection.id,
                to_address="x@example.jp",
                subject="s",
                body="b",
                status=state,
                operator="原",
            )
        )
    return rejection


def application(session: Session, message: Message, term_id: int, **values: Any) -> Application:
    applicant = Applicant(
        name_key=values["name_romaji"].lower(),
        name_romaji=values["name_romaji"],
        email=message.from_address or "",
    )
    row = Application(
        applicant=applicant,
        term_id=term_id,
        status=values.pop("status", "accepted"),
        message_pk=message.id,
        received_at=message.received_at,
        completed_at=message.received_at,
        email=message.from_address or "",
        eligibility="eligible",
        eligibility_explanation="説明",
        form=values.pop("form", {}),
        **values,
    )
    session.add(row)
    session.flush()
    message.application_id = row.id
    return row


def ids(paged: Any) -> list[int]:
    return [item.id for item in paged.items]


def test_rejection_filters_are_done_by_the_database(engine: Engine) -> None:
    with Session(engine) as session:
        in_term1 = rejected(session, received_at=datetime(2025, 4, 20, tzinfo=UTC))
        # Received after 第1期 closed, but placed in 第1期 by its form (term_ids).
        placed = rejected(
            session,
            ("TERM_MISMATCH",),
            received_at=datetime(2025, 7, 5, tzinfo=UTC),
            term_ids=[1, 3],
        )
        in_term2 = rejected(
            session,
            ("FORM_INVALID", "MISSING_EXPERIENCE_SHEET"),
            received_at=datetime(2025, 6, 1, tzinfo=UTC),
            term_ids=[2],
            notices=("failed",),
        )
        told = rejected(session, received_at=datetime(2025, 6, 2, tzinfo=UTC), notices=("sent",))
        unknown = rejected(session, received_at=datetime(2025, 6, 3, tzinfo=UTC), notices=("held",))
        closed = rejected(session, status="resolved", received_at=datetime(2025, 4, 1, tzinfo=UTC))
        session.commit()
        q = SqlQueries(session)

        def select(**filters: Any) -> list[int]:
            return ids(q.rejections(RejectionFilter(**filters), Page()))

        every = [in_term1.id, placed.id, in_term2.id, told.id, unknown.id]
        assert select() == every
        assert select(status=None) == [*every, closed.id]
        assert select(status="resolved") == [closed.id]
        assert select(term=TERM1) == [in_term1.id, placed.id]
        assert select(term=TERM2) == [in_term2.id, told.id, unknown.id]
        assert select(reason="MISSING_EXPERIENCE_SHEET") == [in_term2.id]
        assert select(notified=True) == [told.id, unknown.id]
        assert select(notified=False) == [in_term1.id, placed.id, in_term2.id]
        assert select(received_since=datetime(2025, 6, 2, tzinfo=UTC)) == [
            placed.id,
            told.id,
            unknown.id,
        ]
        assert select(received_before=datetime(2025, 6, 2, tzinfo=UTC)) == [
            in_term1.id,
            in_term2.id,
        ]
        assert q.rejection_ids(RejectionFilter(term=TERM2, notified=False)) == [in_term2.id]

        shown = q.rejection(in_term2.id)
        assert shown is not None
        assert [r.code for r in shown.reasons] == ["FORM_INVALID", "MISSING_EXPERIENCE_SHEET"]
        assert shown.notice_state.value == "failed" and shown.message.term_ids == (2,)
        assert q.rejection(closed.id) is not None and q.rejection(9999) is None


def test_search_looks_in_every_name_sender_subject_reference_and_message_id(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        suzuki = rejected(
            session,
            subject="受講申込_SUZUKI Ichiro",
            from_address="ichiro.suzuki@example.jp",
            applicant_name="SUZUKI Ichiro",
            name_kanji="鈴木 一郎",
            name_kana="すずき いちろう",
            message_id="<abc.123@mail.example.jp>",
        )
        percent = rejected(session, subject="受講申込_100% OK")
        other = rejected(session, subject="受講申込_TANAKA Ken", applicant_name="TANAKA Ken")
        accepted = mail(session, outcome="accepted", subject="受講申込_YAMADA Taro")
        session.flush()
        yamada = application(
            session, accepted, 2, name_romaji="YAMADA Taro", name_kanji="山田 太郎"
        )
        accepted.name_kana = "やまだ たろう"
        session.add(
            Acknowledgement(
                application_id=yamada.id, to_address="t@example.jp", due_at=T0, status="pending"
            )
        )
        session.commit()
        q = SqlQueries(session)

        def find(text: str) -> list[int]:
            return ids(q.rejections(RejectionFilter(search=parse_search(text)), Page()))

        for text in (
            "suzuki",
            "鈴木 一郎",
            "一郎 鈴木",
            "スズキ",
            "ｲﾁﾛｳ",
            "ichiro.suzuki@",
            "abc.123",
        ):
            assert find(text) == [suzuki.id], text
        assert find("<abc.123@mail.example.jp>") == [suzuki.id]
        assert find("鈴木 TANAKA") == []
        assert find("%") == [percent.id] and find("i_h") == []  # wildcards are literal
        assert find("受講申込") == [suzuki.id, percent.id, other.id]

        reference = f"T2-{yamada.id:05d}"
        messages = q.messages(MessageFilter(search=parse_search(reference)), Page())
        assert ids(messages) == [accepted.id]
        assert messages.items[0].reference == reference
        assert (
            ids(q.messages(MessageFilter(search=parse_search(f"T1-{yamada.id:05d}")), Page())) == []
        )
        found = q.applications(ApplicationFilter(search=parse_search("ヤマダ")), Page())
        assert ids(found) == [yamada.id] and found.items[0].name_kana == "やまだ たろう"
        assert ids(q.applications(ApplicationFilter(search=parse_search(reference)), Page())) == [
            yamada.id
        ]
        acks = q.acknowledgements(AckFilter(search=parse_search("山田")), Page())
        assert [a.application_id for a in acks.items] == [yamada.id]


def test_pages_sorts_and_counts(engine: Engine) -> None:
    with Session(engine) as session:
        names = ["ITO Yui", None, "abe Ken", "KATO Mai", "ueda Jun"]
        rows = [
            rejected(
                session,
                applicant_name=name,
                received_at=T0 + timedelta(hours=(7 * i) % 5),
                status="resolved" if i == 2 else "open",
            )
            for i, name in enumerate(names)
        ]
        session.commit()
        q = SqlQueries(session)
        every = RejectionFilter(status=None)
        page = q.rejections(every, Page(limit=2, offset=1))
        assert page.total == 5 and ids(page) == [rows[1].id, rows[2].id]
        assert (page.first, page.last, page.is_partial) == (2, 3, True)
        assert q.rejections(every, Page(limit=0)).total == 5
        assert q.rejections(every, Page(offset=10)).items == ()

        def order(sort: RejectionSort, descending: bool = False) -> list[int]:
            filters = RejectionFilter(status=None, sort=sort, descending=descending)
            return ids(q.rejections(filters, Page()))

        by_name = order(RejectionSort.NAME)
        assert by_name == [rows[i].id for i in (2, 0, 3, 4, 1)]  # case ignored, no name last
        received = [r.message.received_at for r in rows]
        assert order(RejectionSort.RECEIVED) == [
            rows[i].id for i in sorted(range(5), key=lambda i: (received[i], rows[i].id))
        ]
        assert order(RejectionSort.RECEIVED, True) == order(RejectionSort.RECEIVED)[::-1]
        assert order(RejectionSort.STATUS)[-1] == rows[2].id
        assert order(RejectionSort.ID, True) == [r.id for r in rows][::-1]


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_page_costs_the_same_few_statements_for_5_rows_or_60(engine: Engine) -> None:
    costs = []
    for batch in (5, 60):
        with Session(engine) as session:
            for _ in range(batch):
                rejected(
                    session, ("FORM_INVALID", "OUTSIDE_PERIOD"), attachments=3, notices=("sent",)
                )
            session.commit()
        with Session(engine) as session, statements_run(engine) as statements:
            q = SqlQueries(session)
            page = q.rejections(RejectionFilter(), Page())
            assert len(page.items) == page.total >= batch
            assert all(len(r.reasons) == 2 and len(r.message.attachments) == 3 for r in page.items)
            assert all(r.notice_state.value == "sent" for r in page.items)
            costs.append(len(statements))
    # count, page, reasons, notices, attachments (+ a BEGIN on some drivers)
    assert costs[0] == costs[1] <= 6, costs


def test_the_desk_in_counts(engine: Engine) -> None:
    now = datetime(2025, 5, 3, tzinfo=UTC)
    with Session(engine) as session:
        rejected(session, received_at=datetime(2025, 4, 1, tzinfo=UTC))  # 第1期
        rejected(session, received_at=datetime(2025, 5, 4, tzinfo=UTC))  # both periods
        rejected(session, status="resolved", received_at=datetime(2025, 5, 4, tzinfo=UTC))
        mail(session, outcome="accepted", server_state="pending")
        first = mail(session, outcome="accepted")
        second = mail(session, outcome="accepted")
        session.flush()
        current = application(session, first, 1, name_romaji="A B")
        application(session, second, 1, name_romaji="C D", status="superseded")
        for status, due in (
            ("pending", now - timedelta(days=1)),
            ("pending", now + timedelta(days=1)),
            ("held", now),
            ("failed", now),
            ("sending", now),
        ):
            session.add(
                Acknowledgement(
                    application_id=current.id, to_address="x@example.jp", due_at=due, status=status
                )
            )
        session.add(MailboxState(account="scfn", folder="INBOX", uidvalidity=1, last_poll_at=now))
        session.add_all(
            TermCutoff(term_id=1, closes_at=TERM1.closes_at + timedelta(days=d), version=v)
            for v, d in ((1, 0), (2, 7))
        )
        session.add_all(
            AuditEvent(operator="原", action="rejection.resolve", target=f"rejection:{i}")
            for i in (1, 2, 1)
        )
        session.commit()
        q = SqlQueries(session)
        counts = q.term_counts([TERM1, TERM2])
        assert (counts[1].current_applications, counts[1].open_rejections) == (1, 2)
        assert (counts[2].current_applications, counts[2].open_rejections) == (0, 1)
        acks = q.ack_counts(now)
        assert (acks.due, acks.held, acks.failed, acks.in_flight) == (1, 1, 1, 1)
        assert q.unmarked_messages() == 1
        assert [m.account for m in q.mailboxes()] == ["scfn"]
        assert [c.version for c in q.cutoffs(1)] == [1, 2] and q.cutoffs(2) == ()
        history = q.audit_events("rejection:1", Page(limit=1))
        assert history.total == 2 and len(history.items) == 1
        assert history.items[0].action_label == "対応済みにした"
        detail = q.application(current.id)
        assert detail is not None and len(detail.acknowledgements) == 5
        assert detail.application.reference == f"T1-{current.id:05d}"
        assert q.application(9999) is None
        newest_first = [a.id for a in detail.acknowledgements][::-1]
        by_id = q.acknowledgements_by_id([*newest_first, 9999])
        assert [a.id for a in by_id] == newest_first
