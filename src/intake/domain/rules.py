"""The published rules: subject, attachment names, required documents, period, size.

Everything here is pure: the service layer hands in plain facts about a message and gets a
decision back. Rules match on an NFKC-normalised form; messages quote the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from intake.domain.addresses import is_mail_system_address
from intake.domain.labels import DOC_LABELS
from intake.domain.model import (
    ALLOWED_EXTENSIONS,
    FORM_EXTENSIONS,
    DocType,
    DocumentNames,
    Outcome,
    Reason,
    ReasonCode,
    Term,
    open_terms,
)
from intake.domain.reasons import human_size, reason
from intake.domain.text import normalize, same_name, strip_directories
from intake.domain.timefmt import format_jst

SUBJECT_KEYWORD = "受講申込"
# Reply/forward/resend markers mail clients and applicants put before the subject.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|転送|返信)\s*(?:\[\d+\])?\s*:|【再送】|\[再送\]|\(再送\)|再送\s*:)\s*",
    re.I,
)
# Courtesy and resend markers applicants append after their name.
_SUFFIX = re.compile(r"\s*(?:様|さま|【再送】|\[再送\]|\(再送\)|\(再提出\)|【再提出】)\s*$")
_SUBJECT = re.compile(rf"^{SUBJECT_KEYWORD}\s*_\s*(?P<name>.*)$")
# Latin letters (macrons as in SATŌ included), spaces, hyphen, apostrophe, dot; _ and ・
# as separators, which applicants use between family and given name.
_ROMAJI = re.compile(
    r"^[A-Za-z\u00c0-\u00ff\u0100-\u017f][A-Za-z\u00c0-\u00ff\u0100-\u017f .'’_・-]*$"
)
_PARENTHETICAL = re.compile(r"[(（][^()（）]*[)）]")


@dataclass(frozen=True)
class SubjectCheck:
    name: str | None  # the romaji name, normalised for display; None when the format is wrong
    is_application: bool  # it has the application form `受講申込_…` at all
    prefixes: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()


def check_subject(subject: str) -> SubjectCheck:
    text = normalize(subject)
    prefixes: list[str] = []
    while match := _PREFIX.match(text):
        prefixes.append(match.group(0).strip())
        text = text[match.end() :]
    found = _SUBJECT.match(text)
    if not found:
        return SubjectCheck(
            name=None,
            is_application=False,
            prefixes=tuple(prefixes),
            reasons=(reason(ReasonCode.SUBJECT_FORMAT, subject=subject.strip() or "（件名なし）"),),
        )
    name = found.group("name").strip()
    while (trimmed := _SUFFIX.sub("", name)) != name:
        prefixes.append(name[len(trimmed) :].strip())
        name = trimmed
    if not name:
        return SubjectCheck(
            None,
            True,
            tuple(prefixes),
            (reason(ReasonCode.SUBJECT_FORMAT, subject=subject.strip()),),
        )
    if not _ROMAJI.match(name):
        return SubjectCheck(
            None, True, tuple(prefixes), (reason(ReasonCode.SUBJECT_NAME_NOT_ROMAJI, name=name),)
        )
    return SubjectCheck(name, True, tuple(prefixes))


@dataclass(frozen=True)
class AttachmentName:
    doc_type: DocType | None  # None when the document part is not a known document name
    name: str | None  # the applicant-name part, as written (normalised)
    extension: str  # lower case, without the dot; "" when there is none


def parse_attachment_name(filename: str, documents: DocumentNames) -> AttachmentName:
    text = normalize(strip_directories(filename))
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    doc_part, sep, name_part = stem.partition("_")
    doc_type = None
    if sep:
        label = normalize(_without_parentheticals(doc_part))
        for kind, names in documents.by_type().items():
            if any(label == normalize(n) for n in names):
                doc_type = kind
                break
    name = name_part.strip() or None if sep else None
    return AttachmentName(doc_type, name, ext.lower())


def _without_parentheticals(text: str) -> str:
    # Innermost first: NFKC turns ㈱ into "(株)", which nests inside 「在職証明書（㈱…）」.
    while (stripped := _PARENTHETICAL.sub("", text)) != text:
        text = stripped
    return text


@dataclass(frozen=True)
class AttachmentFacts:
    filename: str | None
    size: int
    content_type: str = "application/octet-stream"
    disposition: str | None = None


@dataclass(frozen=True)
class MessageFacts:
    subject: str
    from_address: str | None
    received_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/plain"
    attachments: Sequence[AttachmentFacts] = ()
    size: int = 0


@dataclass(frozen=True)
class Limits:
    attachment_max_bytes: int = 20 * 1024 * 1024
    message_max_bytes: int = 100 * 1024 * 1024


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...] = ()
    notes: tuple[str, ...] = ()
    applicant_name: str | None = None
    term_ids: tuple[int, ...] = ()
    # One entry per attachment of the facts, in order: its document type, or None.
    doc_types: tuple[DocType | None, ...] = ()


def auto_reply_signal(
    headers: Mapping[str, str], content_type: str, from_address: str | None
) -> str | None:
    """Why a message looks machine-sent (RFC 3834 and common practice), or None."""
    h = {k.lower(): v.strip() for k, v in headers.items()}
    auto = h.get("auto-submitted", "").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if content_type.lower() == "multipart/report":
        return "multipart/report（配信エラー通知）"
    for name in ("x-autoreply", "x-autorespond"):
        if name in h:
            return f"{name}: {h[name]}"
    if h.get("precedence", "").lower() in {"bulk", "junk", "list"}:
        return f"Precedence: {h['precedence']}"
    if "list-unsubscribe" in h:
        return "List-Unsubscribe（メーリングリスト・配信メール）"
    if "return-path" in h and parseaddr(h["return-path"])[1] == "" and "<>" in h["return-path"]:
        return "Return-Path が空（<>）"
    if is_mail_system_address(from_address):
        return f"差出人 {from_address}"
    return None


_SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)


def _is_decoration(attachment: AttachmentFacts, documents: DocumentNames) -> bool:
    """Parts a mail client adds that are not documents: S/MIME or PGP signatures, and
    signature logos or pasted screenshots (image001.png) not named as a document."""
    if attachment.content_type.lower() in _SIGNATURE_TYPES:
        return True
    if attachment.disposition == "attachment" or not attachment.content_type.startswith("image/"):
        return False
    parsed = parse_attachment_name(attachment.filename, documents) if attachment.filename else None
    return parsed is None or parsed.doc_type is None


def decide(
    facts: MessageFacts,
    *,
    terms: list[Term],
    documents: DocumentNames,
    limits: Limits,
) -> Decision:
    """Classify a message that is not a duplicate: ignored, then other, then rejected/accepted."""
    signal = auto_reply_signal(facts.headers, facts.content_type, facts.from_address)
    if signal:
        return Decision(Outcome.IGNORED, notes=(f"自動送信と判断: {signal}",))

    subject = check_subject(facts.subject)
    notes = [f"件名の「{p}」を除いて判定" for p in subject.prefixes]
    documents_sent = [a for a in facts.attachments if not _is_decoration(a, documents)]
    if not subject.is_application and not documents_sent and facts.size <= limits.message_max_bytes:
        return Decision(Outcome.OTHER, notes=tuple(notes))

    reasons: list[Reason] = list(subject.reasons)
    terms_open = open_terms(terms, facts.received_at)
    if not terms_open:
        periods = (
            "、".join(
                f"{t.name} {format_jst(t.opens_at)}〜{format_jst(t.closes_at)}" for t in terms
            )
            or "募集期間が設定されていません"
        )
        reasons.append(
            reason(
                ReasonCode.OUTSIDE_PERIOD, received=format_jst(facts.received_at), periods=periods
            )
        )

    if facts.size > limits.message_max_bytes:
        reasons.append(
            reason(
                ReasonCode.MESSAGE_TOO_LARGE,
                size=human_size(facts.size),
                limit=human_size(limits.message_max_bytes),
            )
        )
        return Decision(
            Outcome.REJECTED,
            tuple(reasons),
            tuple(notes),
            subject.name,
            tuple(t.id for t in terms_open),
        )

    doc_types, attachment_reasons, extra_notes = _check_attachments(
        facts, subject, documents, limits
    )
    reasons.extend(attachment_reasons)
    notes.extend(extra_notes)
    reasons.extend(missing_documents(doc_types, subject.name))

    outcome = Outcome.REJECTED if reasons else Outcome.ACCEPTED
    return Decision(
        outcome,
        tuple(reasons),
        tuple(notes),
        subject.name,
        tuple(t.id for t in terms_open),
        tuple(doc_types),
    )


def _check_attachments(
    facts: MessageFacts, subject: SubjectCheck, documents: DocumentNames, limits: Limits
) -> tuple[list[DocType | None], list[Reason], list[str]]:
    doc_types: list[DocType | None] = []
    reasons: list[Reason] = []
    notes: list[str] = []
    known_names = "、".join(n for names in documents.by_type().values() for n in names[:1])
    for attachment in facts.attachments:
        display = attachment.filename or "（名前なし）"
        if _is_decoration(attachment, documents):
            doc_types.append(None)
            notes.append(f"「{display}」は署名・本文中の画像のため書類として扱いません")
            continue
        parsed = (
            parse_attachment_name(attachment.filename, documents) if attachment.filename else None
        )
        if attachment.size > limits.attachment_max_bytes:
            reasons.append(
                reason(
                    ReasonCode.ATTACHMENT_TOO_LARGE,
                    filename=display,
                    size=human_size(attachment.size),
                    limit=human_size(limits.attachment_max_bytes),
                )
            )
        if parsed is None or parsed.doc_type is None or parsed.name is None:
            doc_types.append(parsed.doc_type if parsed else None)
            reasons.append(
                reason(ReasonCode.ATTACHMENT_NAME_FORMAT, filename=display, documents=known_names)
            )
            continue
        doc_types.append(parsed.doc_type)
        if subject.name is not None and not same_name(parsed.name, subject.name):
            reasons.append(
                reason(
                    ReasonCode.ATTACHMENT_NAME_MISMATCH,
                    filename=display,
                    name=parsed.name,
                    subject_name=subject.name,
                )
            )
        allowed = ALLOWED_EXTENSIONS[parsed.doc_type]
        if parsed.extension not in allowed:
            label = DOC_LABELS[parsed.doc_type]
            if allowed == FORM_EXTENSIONS:
                reasons.append(reason(ReasonCode.FORM_NOT_XLSX, document=label, filename=display))
            else:
                reasons.append(
                    reason(
                        ReasonCode.ATTACHMENT_FILE_TYPE,
                        filename=display,
                        document=label,
                        extension=parsed.extension or "（拡張子なし）",
                        allowed="、".join(sorted(allowed)),
                    )
                )
    return doc_types, reasons, notes


def missing_documents(doc_types: Iterable[DocType | None], name: str | None) -> list[Reason]:
    present = set(doc_types)
    shown = name or "氏名"
    missing: list[Reason] = []
    if DocType.APPLICATION_FORM not in present:
        missing.append(reason(ReasonCode.MISSING_APPLICATION_FORM, name=shown))
    # Without the declaration, only a qualification proof can stand in (the form check confirms it).
    if DocType.EXPERIENCE_SHEET not in present and DocType.QUALIFICATION_PROOF not in present:
        missing.append(reason(ReasonCode.MISSING_EXPERIENCE_SHEET, name=shown))
    if DocType.EMPLOYMENT_CERTIFICATE not in present:
        missing.append(reason(ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE, name=shown))
    return missing
