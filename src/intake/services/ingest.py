"""Record one received message: store the bytes, judge it, commit its row and rejection.

The order is the durability promise: raw bytes on disk (fsynced) → database row committed →
(the caller) mark on the server. A crash anywhere leaves either nothing recorded (the message
is fetched again) or a committed row waiting to be marked.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from intake.adapters.filestore import FileStore
from intake.adapters.mailparse import ParsedMail, parse_mail_file, parse_mail_file_headers
from intake.adapters.orm import Attachment, Message, Rejection, RejectionReason
from intake.config import Settings
from intake.domain.lifecycle import RejectionStatus, initial_server_state, renumbered
from intake.domain.model import Outcome, Reason, ReasonCode
from intake.domain.reasons import reason
from intake.domain.rules import AttachmentFacts, Decision, Limits, MessageFacts, decide
from intake.domain.text import storable_text
from intake.services.applications import judge_application
from intake.services.duplicates import find_original
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """Where a message was read from: an IMAP account+folder at a UID, or a local file."""

    account: str
    folder: str
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Recorded:
    message_pk: int
    outcome: Outcome
    reasons: tuple[Reason, ...]
    # True when the row already existed (seen before under this UID, or re-found after a
    # UIDVALIDITY change): nothing new was recorded.
    already_known: bool = False


def record_message(
    uow: UnitOfWork,
    store: FileStore,
    settings: Settings,
    *,
    raw: bytes,
    source: Source,
    received_at: datetime,
) -> Recorded:
    stored = store.put(raw, kind="raw")
    parsed = parse_stored(store, settings, stored.relpath, len(raw))
    content_sha256 = body_sha256(raw)
    subject = storable_text(parsed.subject)
    from_address = storable_text(parsed.from_address, 320) if parsed.from_address else None

    with uow:
        remapped = _remap_after_uidvalidity_change(uow, source, parsed, stored.sha256)
        if remapped is not None:
            return remapped
        sameness = find_original(
            uow, store, raw, clean_message_id(parsed.message_id), content_sha256
        )
        original = sameness.original
        if original is not None:
            decision = Decision(Outcome.DUPLICATE)
        else:
            decision = decide_message(parsed, settings, received_at, len(raw))

        message = Message(
            account=source.account,
            folder=source.folder,
            uidvalidity=source.uidvalidity,
            uid=source.uid,
            message_id=clean_message_id(parsed.message_id),
            sha256=stored.sha256,
            content_sha256=content_sha256,
            size=stored.size,
            raw_path=stored.relpath,
            subject=subject,
            from_address=from_address,
            from_display=storable_text(parsed.from_display),
            received_at=received_at,
            outcome=decision.outcome.value,
            applicant_name=storable_text(decision.applicant_name, 255)
            if decision.applicant_name
            else None,
            term_ids=list(decision.term_ids),
            notes=[storable_text(n) for n in (*sameness.notes, *decision.notes)]
            + [f"解析上の注意: {storable_text(d)}" for d in parsed.defects],
            duplicate_of_id=original.id if original is not None else None,
            server_state=initial_server_state(from_mailbox=source.uid is not None),
        )
        # A duplicate lists its attachments too (the store keeps each content once).
        message.attachments = attachment_rows(store, parsed, decision)
        uow.repo.add(message)
        outcome, reasons = decision.outcome, list(decision.reasons)
        if outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
            uow.session.flush()  # ids for the application's links
            judged = judge_application(
                uow, store, settings, message, decision, [a.payload for a in parsed.attachments]
            )
            outcome, reasons = judged.outcome, judged.reasons
            message.outcome = outcome.value
            message.notes = [*message.notes, *(storable_text(w) for w in judged.warnings)]
        if outcome is Outcome.REJECTED:
            message.rejection = Rejection(
                status=RejectionStatus.OPEN,
                reasons=[
                    RejectionReason(position=i, code=r.code.value, message=storable_text(r.message))
                    for i, r in enumerate(reasons)
                ],
            )
        try:
            uow.commit()
        except IntegrityError:
            # Another poller recorded this UID between our check and our commit.
            uow.rollback()
            existing = _existing_at(uow, source)
            if existing is None:
                raise
            return existing
        return Recorded(message.id, outcome, tuple(reasons))


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def clean_message_id(message_id: str | None) -> str | None:
    if not message_id:
        return None
    return storable_text(message_id, 998) or None


def body_sha256(raw: bytes) -> str:
    """sha256 of everything after the header block (trace headers differ per delivery)."""
    end = _HEADER_END.search(raw)
    return hashlib.sha256(raw[end.end() :] if end else raw).hexdigest()


def attachment_rows(store: FileStore, parsed: ParsedMail, decision: Decision) -> list[Attachment]:
    """The message's attachments, stored by content, with the document type the rules gave."""
    rows = []
    for position, part in enumerate(parsed.attachments):
        saved = store.put(part.payload, kind="attachments")
        doc_type = decision.doc_types[position] if position < len(decision.doc_types) else None
        rows.append(
            Attachment(
                position=position,
                filename=storable_text(part.filename) if part.filename else None,
                content_type=storable_text(part.content_type, 255),
                doc_type=doc_type.value if doc_type else None,
                size=saved.size,
                sha256=saved.sha256,
                stored_path=saved.relpath,
            )
        )
    return rows


def refresh_from_parsed(
    message: Message, store: FileStore, parsed: ParsedMail, decision: Decision
) -> None:
    """Bring a recorded message up to date with a new reading of its raw bytes (reprocess):
    header fields, the applicant's name, candidate terms and attachment rows. A message once
    recorded minimally, or judged under another size limit, gets its attachments here."""
    message.subject = storable_text(parsed.subject)
    message.from_address = storable_text(parsed.from_address, 320) if parsed.from_address else None
    message.from_display = storable_text(parsed.from_display)
    message.message_id = message.message_id or clean_message_id(parsed.message_id)
    message.applicant_name = (
        storable_text(decision.applicant_name, 255) if decision.applicant_name else None
    )
    message.term_ids = list(decision.term_ids)
    if len(message.attachments) == len(parsed.attachments):
        for row, doc_type in zip(message.attachments, decision.doc_types, strict=False):
            row.doc_type = doc_type.value if doc_type else None
    else:
        message.attachments = attachment_rows(store, parsed, decision)


def record_unprocessable(
    uow: UnitOfWork,
    store: FileStore,
    *,
    raw: bytes,
    source: Source,
    received_at: datetime,
    error: BaseException,
) -> Recorded:
    """Last resort when a message cannot be recorded normally: keep the bytes and a minimal
    row in the rejection log, so the message is neither lost nor retried forever."""
    stored = store.put(raw, kind="raw")
    problem = reason(ReasonCode.PROCESSING_ERROR, error=type(error).__name__)
    with uow:
        existing = _existing_at(uow, source)
        if existing is not None:
            return existing
        message = Message(
            account=source.account,
            folder=source.folder,
            uidvalidity=source.uidvalidity,
            uid=source.uid,
            message_id=None,
            sha256=stored.sha256,
            content_sha256=body_sha256(raw),
            size=stored.size,
            raw_path=stored.relpath,
            subject="",
            from_address=None,
            from_display="",
            received_at=received_at,
            outcome=Outcome.REJECTED.value,
            notes=[f"通常の記録に失敗しました: {type(error).__name__}"],
            server_state=initial_server_state(from_mailbox=source.uid is not None),
        )
        message.rejection = Rejection(
            status=RejectionStatus.OPEN,
            reasons=[RejectionReason(position=0, code=problem.code.value, message=problem.message)],
        )
        uow.repo.add(message)
        uow.commit()
        return Recorded(message.id, Outcome.REJECTED, (problem,))


def parse_stored(store: FileStore, settings: Settings, relpath: str, size: int) -> ParsedMail:
    # Parsing costs several times the message size in memory: oversized mail is judged on its
    # headers alone (and rejected as too large), never parsed whole.
    if size > settings.limits.message_max_bytes:
        return parse_mail_file_headers(store.path(relpath))
    return parse_mail_file(store.path(relpath))


def decide_message(
    parsed: ParsedMail, settings: Settings, received_at: datetime, size: int
) -> Decision:
    """The envelope rules for a parsed message (a rule bug becomes PROCESSING_ERROR)."""
    facts = MessageFacts(
        subject=parsed.subject,
        from_address=parsed.from_address,
        received_at=received_at,
        headers=parsed.headers,
        content_type=parsed.content_type,
        attachments=[
            AttachmentFacts(a.filename, a.size, a.content_type, a.disposition)
            for a in parsed.attachments
        ],
        size=size,
    )
    limits = Limits(
        attachment_max_bytes=settings.limits.attachment_max_bytes,
        message_max_bytes=settings.limits.message_max_bytes,
    )
    try:
        return decide(facts, terms=settings.terms, documents=settings.documents, limits=limits)
    except Exception as exc:  # a rule bug must not stop the batch nor lose the message
        log.exception("rule evaluation failed")
        return Decision(
            Outcome.REJECTED,
            reasons=(reason(ReasonCode.PROCESSING_ERROR, error=type(exc).__name__),),
        )


def _remap_after_uidvalidity_change(
    uow: UnitOfWork, source: Source, parsed: ParsedMail, sha256: str
) -> Recorded | None:
    """After UIDVALIDITY changed, a message recorded under the old one keeps its row."""
    if source.uid is None or source.uidvalidity is None:
        return None
    existing = _existing_at(uow, source)
    if existing is not None:
        return existing
    earlier = uow.repo.find_under_old_uidvalidity(
        source.account, source.folder, source.uidvalidity, parsed.message_id, sha256
    )
    if earlier is None:
        return None
    earlier.notes = [
        *earlier.notes,
        f"UIDVALIDITY 変更により UID {earlier.uidvalidity}/{earlier.uid} → "
        f"{source.uidvalidity}/{source.uid} に対応付け",
    ]
    earlier.uidvalidity = source.uidvalidity
    earlier.uid = source.uid
    earlier.server_state = renumbered(earlier.server_state)
    uow.commit()
    return Recorded(earlier.id, Outcome(earlier.outcome), (), already_known=True)


def _existing_at(uow: UnitOfWork, source: Source) -> Recorded | None:
    if source.uid is None or source.uidvalidity is None:
        return None
    found = uow.repo.messages_at(source.account, source.folder, source.uidvalidity, [source.uid])
    row = found.get(source.uid)
    if row is None:
        return None
    return Recorded(row.id, Outcome(row.outcome), (), already_known=True)
