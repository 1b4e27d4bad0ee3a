"""Checks across the forms, the mail and the terms, once the forms could be read."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from intake.domain.forms import ApplicationForm, ExperienceDeclaration
from intake.domain.labels import DOC_LABELS
from intake.domain.model import DocType, Reason, ReasonCode, Term, open_terms
from intake.domain.reasons import reason
from intake.domain.text import same_name
from intake.domain.timefmt import format_jst


@dataclass(frozen=True)
class CrossCheck:
    reasons: tuple[Reason, ...]
    warnings: tuple[str, ...]
    term: Term | None  # the term the application belongs to, when it can be told


def cross_check(
    *,
    subject_name: str,
    application: ApplicationForm | None,
    experience: ExperienceDeclaration | None,
    documents: Collection[DocType | None],
    sender: str | None,
    received_at: datetime,
    terms: list[Term],
) -> CrossCheck:
    reasons: list[Reason] = []
    warnings: list[str] = []

    for form, label in (
        (application, DOC_LABELS[DocType.APPLICATION_FORM]),
        (experience, DOC_LABELS[DocType.EXPERIENCE_SHEET]),
    ):
        romaji = form.name_romaji if form is not None else None
        if romaji and not same_name(romaji, subject_name):
            reasons.append(
                reason(
                    ReasonCode.FORM_NAME_MISMATCH,
                    document=label,
                    form_name=romaji,
                    subject_name=subject_name,
                )
            )

    term = _term_of(application, received_at, terms, reasons, warnings)

    form_email = application.email if application is not None else None
    if form_email and sender and form_email.strip().casefold() != sender.strip().casefold():
        warnings.append(
            f"受講申込書のメールアドレス（{form_email}）と差出人（{sender}）が"
            "異なります。受付完了メールは差出人に送ります。"
        )

    declared = application.declared_qualifications if application is not None else ()
    has_proof = DocType.QUALIFICATION_PROOF in documents
    has_sheet = DocType.EXPERIENCE_SHEET in documents
    if declared and not has_proof:
        if has_sheet:
            # The experience sheet stands on its own: the waiver is simply not needed.
            warnings.append(
                f"国家資格（{'、'.join(declared)}）の申告がありますが証明書類がないため、"
                "実務経験で受講資格を判定します。"
            )
        else:
            reasons.append(
                reason(
                    ReasonCode.MISSING_QUALIFICATION_PROOF,
                    qualifications="、".join(declared),
                    name=subject_name,
                )
            )
    if application is not None and not declared and not has_sheet and has_proof:
        # A proof replaced the declaration, but the form claims no exempting qualification.
        reasons.append(reason(ReasonCode.MISSING_EXPERIENCE_SHEET, name=subject_name))
    return CrossCheck(tuple(reasons), tuple(warnings), term)


def _term_of(
    application: ApplicationForm | None,
    received_at: datetime,
    terms: list[Term],
    reasons: list[Reason],
    warnings: list[str],
) -> Term | None:
    now_open = open_terms(terms, received_at)
    if application is None:
        return now_open[0] if len(now_open) == 1 else None
    if application.term is None:
        # The form no longer says which term: the receipt time decides. While two periods
        # overlap, the newer term is the likelier one; a warning asks a person to confirm.
        if len(now_open) > 1:
            chosen = max(now_open, key=lambda t: t.opens_at)
            warnings.append(
                f"様式から期を判別できず、受信時に受付中の期が複数あるため{chosen.name}として"
                "受け付けました。申込者の希望する期を確認してください。"
            )
            return chosen
        return now_open[0] if now_open else None
    form_term = next((t for t in terms if t.id == application.term), None)
    if form_term is not None and form_term.contains(received_at):
        return form_term
    if now_open:  # in no period at all is OUTSIDE_PERIOD, already reported
        reasons.append(
            reason(
                ReasonCode.TERM_MISMATCH,
                form_term=form_term.name if form_term else f"第{application.term}期",
                received=format_jst(received_at),
                open_terms="、".join(t.name for t in now_open),
            )
        )
    return None
