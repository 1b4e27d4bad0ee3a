"""Checks across forms, mail and terms."""

from __future__ import annotations

from datetime import date, datetime

from intake.domain.crosscheck import cross_check
from intake.domain.forms import ApplicationForm, ExperienceDeclaration, Mark, Qualification
from intake.domain.model import TOKYO, DocType, ReasonCode, Term

TERMS = [
    Term(
        id=1,
        name="第1期",
        opens_at=datetime(2025, 3, 10, 10, tzinfo=TOKYO),
        closes_at=datetime(2025, 5, 7, 17, tzinfo=TOKYO),
        training_starts_on=date(2025, 6, 2),
    ),
    Term(
        id=2,
        name="第2期",
        opens_at=datetime(2025, 5, 2, 10, tzinfo=TOKYO),
        closes_at=datetime(2025, 7, 1, 17, tzinfo=TOKYO),
        training_starts_on=date(2025, 8, 1),
    ),
]
ALL_DOCS = {DocType.APPLICATION_FORM, DocType.EXPERIENCE_SHEET, DocType.EMPLOYMENT_CERTIFICATE}


def form(term: int | None = 1, **values: object) -> ApplicationForm:
    fields: dict[str, object] = {
        "form_id": f"CSF-R7-FORM1-T{term or 1}",
        "term": term,
        "name_romaji": "YAMADA Taro",
        "email": "taro@example.jp",
    }
    fields.update(values)
    return ApplicationForm.model_validate(fields)


def check(
    application: ApplicationForm | None,
    *,
    received_at: datetime = datetime(2025, 4, 1, 10, tzinfo=TOKYO),
    documents: set[DocType] | None = None,
    experience: ExperienceDeclaration | None = None,
    sender: str = "taro@example.jp",
) -> tuple[list[ReasonCode], list[str], int | None]:
    result = cross_check(
        subject_name="YAMADA Taro",
        application=application,
        experience=experience,
        documents=ALL_DOCS if documents is None else documents,
        sender=sender,
        received_at=received_at,
        terms=TERMS,
    )
    return [r.code for r in result.reasons], list(result.warnings), result.term and result.term.id


def test_consistent_application() -> None:
    assert check(form()) == ([], [], 1)


def test_romaji_name_on_the_forms_must_match_the_subject() -> None:
    declaration = ExperienceDeclaration(form_id="CSF-R7-FORM2", name_romaji="SUZUKI Ichiro")
    codes, _, _ = check(form(name_romaji="YAMADA Hanako"), experience=declaration)
    assert codes == [ReasonCode.FORM_NAME_MISMATCH, ReasonCode.FORM_NAME_MISMATCH]


def test_name_order_and_case_do_not_matter() -> None:
    assert check(form(name_romaji="taro yamada"))[0] == []


def test_term_1_form_after_term_1_closed_while_term_2_is_open() -> None:
    codes, _, term = check(form(term=1), received_at=datetime(2025, 5, 20, tzinfo=TOKYO))
    assert codes == [ReasonCode.TERM_MISMATCH]
    assert term is None


def test_overlap_days_are_decided_by_the_form() -> None:
    during_overlap = datetime(2025, 5, 5, 12, tzinfo=TOKYO)
    assert check(form(term=1), received_at=during_overlap)[2] == 1
    assert check(form(term=2), received_at=during_overlap)[2] == 2


def test_form_for_an_unconfigured_term() -> None:
    assert check(form(term=3))[0] == [ReasonCode.TERM_MISMATCH]


def test_outside_every_period_is_not_also_a_term_mismatch() -> None:
    assert check(form(), received_at=datetime(2026, 1, 5, tzinfo=TOKYO))[0] == []


def test_different_email_is_a_warning_only() -> None:
    codes, warnings, _ = check(form(email="other@example.com"))
    assert codes == []
    assert "差出人" in warnings[0]


def test_declared_qualification_needs_proof_when_no_experience_sheet() -> None:
    qualified = form(qualifications=(Qualification(name="社会福祉士", mark=Mark.CHECKED),))
    documents = {DocType.APPLICATION_FORM, DocType.EMPLOYMENT_CERTIFICATE}
    assert check(qualified, documents=documents)[0] == [ReasonCode.MISSING_QUALIFICATION_PROOF]


def test_declared_qualification_without_proof_but_with_experience_sheet_warns() -> None:
    qualified = form(qualifications=(Qualification(name="公認心理師", mark=Mark.CHECKED),))
    codes, warnings, _ = check(qualified)
    assert codes == []
    assert "実務経験で受講資格を判定" in warnings[0]


def test_proof_without_declared_qualification_needs_the_experience_sheet() -> None:
    documents = {
        DocType.APPLICATION_FORM,
        DocType.EMPLOYMENT_CERTIFICATE,
        DocType.QUALIFICATION_PROOF,
    }
    assert check(form(), documents=documents)[0] == [ReasonCode.MISSING_EXPERIENCE_SHEET]


def test_form_without_a_term_is_placed_by_the_receipt_time() -> None:
    assert check(form(term=None)) == ([], [], 1)
    codes, warnings, term = check(form(term=None), received_at=datetime(2025, 5, 5, tzinfo=TOKYO))
    assert (codes, term) == ([], 2)
    assert "第2期として" in warnings[0]
