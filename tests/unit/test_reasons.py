"""Reason messages quote what the applicant wrote, but never at any length (issue 17, point 7)."""

from __future__ import annotations

from datetime import date, datetime

from intake.domain.model import TOKYO, DocumentNames, ReasonCode, Term
from intake.domain.reasons import QUOTE_MAX, reason
from intake.domain.rules import Limits, MessageFacts, decide

TERM = Term(
    id=1,
    name="第1期",
    opens_at=datetime(2025, 3, 10, 10, 0, tzinfo=TOKYO),
    closes_at=datetime(2025, 5, 7, 17, 0, tzinfo=TOKYO),
    training_starts_on=date(2025, 6, 2),
)


def test_a_megabyte_subject_is_quoted_capped_in_every_reason() -> None:
    name = "A" * 1_000_000
    decision = decide(
        MessageFacts(
            subject=f"受講申込_{name}",
            from_address="a@example.jp",
            received_at=datetime(2025, 4, 1, 9, 0, tzinfo=TOKYO),
        ),
        terms=[TERM],
        documents=DocumentNames(),
        limits=Limits(),
    )
    assert [r.code for r in decision.reasons] == [
        ReasonCode.MISSING_APPLICATION_FORM,
        ReasonCode.MISSING_EXPERIENCE_SHEET,
        ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE,
    ]
    for r in decision.reasons:
        assert len(r.message) < QUOTE_MAX + 200
        assert "A" * QUOTE_MAX + "…" in r.message
    assert decision.applicant_name == name  # the full value is kept once, by the caller


def test_short_values_are_quoted_whole() -> None:
    message = reason(ReasonCode.SUBJECT_FORMAT, subject="申込書送付").message
    assert "「申込書送付」" in message
    exactly = "B" * QUOTE_MAX
    assert f"「{exactly}」" in reason(ReasonCode.SUBJECT_FORMAT, subject=exactly).message


def test_every_quoted_detail_is_capped() -> None:
    long = "x" * 5000
    made = reason(
        ReasonCode.ATTACHMENT_NAME_MISMATCH, filename=long, name=long, subject_name=long
    ).message
    assert made.count("x" * QUOTE_MAX + "…") == 3
    assert len(made) < 3 * QUOTE_MAX + 200
