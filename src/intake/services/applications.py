"""From an application mail to an application: read the forms, cross-check, judge eligibility,
and keep the record (superseding an earlier one, or completing an earlier submission).

Runs inside the unit of work that records the message, so a message and what it produced are
committed together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from intake.adapters.filestore import FileStore
from intake.adapters.formreader import read_application_form, read_experience_sheet
from intake.adapters.orm import (
    Applicant,
    Application,
    Attachment,
    ExperienceRow,
    Message,
    Rejection,
    RejectionReason,
)
from intake.adapters.workbook import WorkbookError
from intake.config import Settings
from intake.domain.addresses import acknowledgement_address
from intake.domain.crosscheck import cross_check
from intake.domain.eligibility import EligibilityStatus, judge_eligibility
from intake.domain.forms import ApplicationForm, ExperienceDeclaration, FormReading
from intake.domain.labels import DOC_LABELS
from intake.domain.lifecycle import ApplicationStatus, Resolution, resolve, supersede
from intake.domain.model import TOKYO, DocType, Outcome, Reason, ReasonCode, Term
from intake.domain.reasons import reason
from intake.domain.rules import Decision, missing_documents
from intake.domain.submissions import (
    MISSING_CODES,
    ApplicantKey,
    CurrentApplication,
    OpenSubmission,
    closed_by,
    completed_submission,
    supersession,
)
from intake.domain.text import name_key, storable_text
from intake.services import audit
from intake.services.acks import schedule_acknowledgement
from intake.services.formnames import note_names, note_names_from_forms
from intake.services.unit_of_work import UnitOfWork

# The audit trail's name for what intake itself decides (supplements, resubmissions).
SYSTEM = "intake"


@dataclass
class Judgement:
    outcome: Outcome
    reasons: list[Reason]
    warnings: list[str] = field(default_factory=list)
    application: Application | None = None
    supplements: Rejection | None = None  # the earlier rejection this mail completes


@dataclass(frozen=True)
class Document:
    doc_type: DocType
    row: Attachment
    payload: bytes


def judge_application(
    uow: UnitOfWork,
    store: FileStore,
    settings: Settings,
    message: Message,
    decision: Decision,
    payloads: Sequence[bytes],
) -> Judgement:
    """Judge an application mail (accepted or rejected by the envelope rules) as a whole."""
    name = decision.applicant_name
    if name is None:
        note_names_from_forms(message, payloads)
        return Judgement(decision.outcome, list(decision.reasons))
    documents = [
        Document(DocType(row.doc_type), row, payload)
        for row, payload in zip(message.attachments, payloads, strict=True)
        if row.doc_type
    ]
    if decision.reasons and all(r.code in MISSING_CODES for r in decision.reasons) and documents:
        found = completed_submission(
            ApplicantKey(frozenset(message.term_ids), name, message.from_address),
            message.id,
            (d.doc_type for d in documents),
            _open_submissions(uow, message.from_address),
        )
        if found is not None:
            earlier = uow.repo.rejection(found.rejection_id)
            assert earlier is not None
            return _complete(uow, store, settings, message, name, earlier, documents)
    return _judge(uow, settings, message, name, list(decision.reasons), documents)


def _judge(
    uow: UnitOfWork,
    settings: Settings,
    message: Message,
    name: str,
    reasons: list[Reason],
    documents: Sequence[Document],
    *,
    first: Message | None = None,
) -> Judgement:
    """Read the forms among the documents and decide; create the application if all is well."""
    application, experience, form_reasons, warnings = _read_forms(documents)
    note_names(message, application)
    reasons = reasons + form_reasons
    check = cross_check(
        subject_name=name,
        application=application,
        experience=experience,
        documents={d.doc_type for d in documents},
        sender=message.from_address,
        received_at=message.received_at,
        terms=settings.terms,
    )
    if any(r.code is ReasonCode.MISSING_QUALIFICATION_PROOF for r in check.reasons):
        # The form claims the waiver: what is missing is its proof, not the experience sheet.
        reasons = [r for r in reasons if r.code is not ReasonCode.MISSING_EXPERIENCE_SHEET]
    reasons += list(check.reasons)
    warnings += list(check.warnings)
    if reasons or application is None or check.term is None:
        return Judgement(Outcome.REJECTED, reasons, warnings)
    record = _create_application(
        uow,
        settings,
        message=message,
        first=first or message,
        name=name,
        term=check.term,
        application=application,
        experience=experience,
        documents=documents,
        warnings=warnings,
    )
    return Judgement(Outcome.ACCEPTED, [], warnings, record)


def _read_forms(
    documents: Sequence[Document],
) -> tuple[ApplicationForm | None, ExperienceDeclaration | None, list[Reason], list[str]]:
    application: ApplicationForm | None = None
    experience: ExperienceDeclaration | None = None
    reasons: list[Reason] = []
    warnings: list[str] = []
    for document in documents:
        if document.doc_type not in (DocType.APPLICATION_FORM, DocType.EXPERIENCE_SHEET):
            continue
        filename = document.row.filename or ""
        if not filename.lower().endswith(".xlsx"):
            continue  # FORM_NOT_XLSX is already among the reasons
        reader = (
            read_application_form
            if document.doc_type is DocType.APPLICATION_FORM
            else read_experience_sheet
        )
        try:
            reading: FormReading = reader(document.payload, filename)
        except WorkbookError as exc:
            if exc.code is ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE:
                reasons.append(
                    reason(exc.code, filename=filename, document=DOC_LABELS[document.doc_type])
                )
            else:
                reasons.append(reason(exc.code, filename=filename, cause=exc.cause))
            continue
        application = application or reading.application
        experience = experience or reading.experience
        for issue in reading.issues:
            if issue.severity == "error":
                reasons.append(reason(ReasonCode.FORM_INVALID, detail=issue.message))
            else:
                warnings.append(issue.message)
    return application, experience, reasons, warnings


def _create_application(
    uow: UnitOfWork,
    settings: Settings,
    *,
    message: Message,
    first: Message,
    name: str,
    term: Term,
    application: ApplicationForm,
    experience: ExperienceDeclaration | None,
    documents: Sequence[Document],
    warnings: list[str],
) -> Application:
    # The sender's address, or the form's when the sender's is unusable (never mailed).
    contact = acknowledgement_address(message.from_address, application.email)
    warnings = [*warnings, contact.note] if contact.note else warnings
    # Addresses differ only in case now and then; the applicant is the same person.
    address_key = (contact.address or "").lower()
    applicant = uow.repo.applicant(name_key(name), address_key)
    if applicant is None:
        applicant = Applicant(name_key=name_key(name), name_romaji=name, email=address_key)
        uow.repo.add(applicant)
    eligibility = judge_eligibility(
        application,
        experience,
        training_starts_on=term.training_starts_on,
        received_on=first.received_at.astimezone(TOKYO).date(),
        qualification_proof_attached=any(
            d.doc_type is DocType.QUALIFICATION_PROOF for d in documents
        ),
    )
    key = ApplicantKey(frozenset({term.id}), name, message.from_address, application.email)
    current = {a.id: a for a in uow.repo.current_applications_named(name_key(name), term.id)}
    decided = supersession(key, first.received_at, [current_snapshot(a) for a in current.values()])
    if decided.same_name_elsewhere:
        # Same name, neither address agrees: perhaps one person applying twice (counted twice).
        warnings = [
            *warnings,
            *(
                f"同じ氏名（ローマ字）の申込が別のアドレス（{current[a.application_id].email}）"
                f"からもあります（申込 {a.application_id}）。"
                "同じ方であれば、どちらかを整理してください。"
                for a in decided.same_name_elsewhere
            ),
        ]
    record = Application(
        applicant=applicant,
        term_id=term.id,
        status=ApplicationStatus.ACCEPTED,
        message_pk=first.id,
        received_at=first.received_at,
        completed_at=message.received_at,
        name_romaji=name,
        name_kanji=application.name_kanji,
        email=contact.address or "",
        eligibility=eligibility.status,
        eligibility_explanation=eligibility.explanation,
        form=application.model_dump(mode="json"),
        warnings=warnings,
        experience=[
            ExperienceRow(
                position=i,
                sheet_row=e.row,
                no=e.no,
                period_from=e.period_from,
                period_to=e.period_to,
                ongoing=e.ongoing,
                organisation=e.organisation,
                window_name=e.window_name,
                employment_type=e.employment_type,
                days_worked=e.days_worked,
                duties=e.duties,
            )
            for i, e in enumerate(experience.entries if experience else ())
        ],
    )
    uow.repo.add(record)
    uow.session.flush()
    if decided.superseded_by is not None:
        record.status = supersede(record.status)
        record.superseded_by_id = decided.superseded_by.application_id
    else:
        for replaced in decided.replaces:
            earlier = current[replaced.application_id]
            earlier.status = supersede(earlier.status)
            earlier.superseded_by_id = record.id
        schedule_acknowledgement(uow, settings, record)
    for document in documents:
        document.row.application_id = record.id
    _close_superseded_submissions(uow, record, key, message, first)
    for source in {first.id: first, message.id: message}.values():
        source.application_id = record.id
    return record


def current_snapshot(application: Application) -> CurrentApplication:
    """A current application as the submission rules see it."""
    key = ApplicantKey(
        frozenset({application.term_id}),
        application.name_romaji,
        application.email,
        application.form.get("email"),
    )
    return CurrentApplication(application.id, key, application.received_at)


def _open_submissions(uow: UnitOfWork, sender: str | None) -> list[OpenSubmission]:
    """The open rejections of mail from ``sender`` (by address; never a whole term)."""
    if sender is None:
        return []
    found = []
    for rejection in uow.repo.open_rejections_from(sender):
        mail = rejection.message
        if mail.applicant_name is None:
            continue  # no name in the subject: nobody's submission to complete
        found.append(
            OpenSubmission(
                rejection_id=rejection.id,
                message_id=mail.id,
                key=ApplicantKey(frozenset(mail.term_ids), mail.applicant_name, mail.from_address),
                received_at=mail.received_at,
                codes=frozenset(r.code for r in rejection.reasons),
            )
        )
    return found


def _close_superseded_submissions(
    uow: UnitOfWork, record: Application, key: ApplicantKey, message: Message, first: Message
) -> None:
    """A complete application makes the same applicant's earlier incomplete submissions in
    that term moot: close them, so a late supplement cannot revive the older one."""
    moot = closed_by(
        key,
        own_messages=(message.id, first.id),
        completed_at=message.received_at,
        open_submissions=_open_submissions(uow, message.from_address),
    )
    for submission in moot:
        rejection = uow.repo.rejection(submission.rejection_id)
        assert rejection is not None
        note = f"書類のそろった申込（申込 {record.id}）を受け付けたため"
        resolve(rejection, Resolution.RESUBMITTED, SYSTEM, note, at=datetime.now(UTC))
        audit.record(
            uow,
            operator=SYSTEM,
            action="rejection.resubmitted",
            target=f"rejection:{rejection.id}",
            note=note,
            application_id=record.id,
        )


def _complete(
    uow: UnitOfWork,
    store: FileStore,
    settings: Settings,
    message: Message,
    name: str,
    earlier: Rejection,
    documents: Sequence[Document],
) -> Judgement:
    """Judge the earlier submission and this mail's documents together."""
    first = earlier.message
    union = [
        Document(DocType(row.doc_type), row, store.read(row.stored_path))
        for row in first.attachments
        if row.doc_type
    ] + list(documents)
    still_missing = missing_documents((d.doc_type for d in union), name)
    judged = _judge(uow, settings, message, name, still_missing, union, first=first)
    if judged.outcome is Outcome.ACCEPTED:
        note = f"追加書類（記録番号 {message.id}）により書類がそろいました。"
        resolve(earlier, Resolution.SUPPLEMENTED, SYSTEM, note, at=datetime.now(UTC))
        earlier.supplemented_by_pk = message.id
        audit.record(
            uow,
            operator=SYSTEM,
            action="rejection.supplemented",
            target=f"rejection:{earlier.id}",
            note=note,
            supplement_message=message.id,
        )
    else:
        # Still incomplete: the earlier entry now lists what the combined mails lack.
        earlier.reasons = [
            RejectionReason(position=i, code=r.code.value, message=storable_text(r.message))
            for i, r in enumerate(judged.reasons)
        ]
        earlier.supplemented_by_pk = message.id
        first.notes = [
            *first.notes,
            f"追加書類（記録番号 {message.id}）を受信しましたが、まだ不備があります。",
        ]
        audit.record(
            uow,
            operator=SYSTEM,
            action="rejection.partly_supplemented",
            target=f"rejection:{earlier.id}",
            note=first.notes[-1],
            supplement_message=message.id,
            remaining=[r.code.value for r in judged.reasons],
        )
    return Judgement(
        Outcome.SUPPLEMENT, [], judged.warnings, judged.application, supplements=earlier
    )


def force_application(
    uow: UnitOfWork,
    settings: Settings,
    message: Message,
    payloads: Sequence[bytes],
    *,
    name: str,
    term: Term,
    original_reasons: Sequence[str] = (),
) -> Application:
    """Operator override: record the message as an application despite its reasons.

    The forms are read as far as they can be; without a readable 受講申込書 the eligibility is
    left to a person (needs_review).
    """
    documents = [
        Document(DocType(row.doc_type), row, payload)
        for row, payload in zip(message.attachments, payloads, strict=True)
        if row.doc_type
    ]
    application, experience, form_reasons, warnings = _read_forms(documents)
    note_names(message, application)
    warnings = [
        f"担当者の判断で受付（元の不備: {'、'.join(original_reasons) or 'なし'}）",
        *(f"様式の読み取り: {r.message}" for r in form_reasons),
        *warnings,
    ]
    form = application or ApplicationForm(form_id="(unreadable)", term=term.id, name_romaji=name)
    record = _create_application(
        uow,
        settings,
        message=message,
        first=message,
        name=name,
        term=term,
        application=form,
        experience=experience,
        documents=documents,
        warnings=warnings,
    )
    for row in message.attachments:
        row.application_id = record.id  # every file the applicant sent, named right or not
    if application is None:
        record.eligibility = EligibilityStatus.NEEDS_REVIEW
        record.eligibility_explanation = (
            "受講申込書を読み取れなかったため、受講資格は判定していません。"
            "担当者が確認してください。"
        )
    return record
