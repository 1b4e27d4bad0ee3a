"""The 不備のご連絡 (deficiency notice): an operator tells an applicant why a mail was rejected.

An operator asks for one notice per rejection (``intake rejections notify ID``): the draft is
shown, then sent. Sending follows the acknowledgements' discipline (:mod:`intake.services.acks`):
the notice is committed as "sending" with its Message-ID just before the server sees it, and
its result is committed as soon as the server answers. A notice whose fate is unknown (the
connection dropped after the data, or the process died) is "held" (送信結果不明), and like a
sent one it blocks a second notice for the same rejection unless the operator says ``again``.
Nothing is retried automatically: a failed notice is simply asked for again.

Callers hold the "send" lock (:func:`intake.adapters.lock.exclusive`) around
:func:`send_notice`, so a notice still "sending" is known to be one whose process died.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from intake.adapters.filestore import FileStore
from intake.adapters.formreader import read_application_form
from intake.adapters.mailcompose import build_message, message_bytes, new_message_id, render
from intake.adapters.orm import AuditEvent, Message, Notice, Rejection
from intake.adapters.smtp import SmtpSender
from intake.config import ConfigError, Settings
from intake.domain import lifecycle
from intake.domain.addresses import (
    address_problem,
    is_mail_system_address,
    sender_address_problem,
)
from intake.domain.labels import DEFICIENCY_NOTICE_LABELS, RESOLUTION_LABELS, label
from intake.domain.lifecycle import (
    INTERRUPTED,
    MAY_HAVE_ARRIVED,
    NO_RETRY,
    RejectionStatus,
    SendStatus,
)
from intake.domain.model import TOKYO, DocType, ReasonCode, Term
from intake.domain.notice_text import ApplicantReasons, applicant_reasons
from intake.domain.submissions import MISSING_CODES
from intake.domain.timefmt import format_jst_letter, short_jst
from intake.services import audit
from intake.services.errors import NotFound
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

NOTICE_SUBJECT = "【不備のご連絡】外国人支援コーディネーター養成研修 受講申込について"
NOTICE_TEMPLATE = "notice.txt.j2"
AUDIT_ACTION = "rejection.notify"


class NoticeError(Exception):
    """A notice that must not be drafted or sent; str() is one Japanese line for the operator."""


@dataclass(frozen=True)
class NoticeDraft:
    rejection_id: int
    to: str
    subject: str
    body: str
    # Reason codes of the rejection the notice does not tell (internal ones such as
    # PROCESSING_ERROR, and codes this version does not know), for the operator to see.
    omitted: tuple[str, ...] = ()


# -- drafting ------------------------------------------------------------------------------------
def draft_notice(
    uow: UnitOfWork, settings: Settings, rejection_id: int, *, now: datetime | None = None
) -> NoticeDraft:
    """The notice for a rejection, rendered but not sent (NotFound / NoticeError otherwise).

    ``now`` (default: the current time) chooses the application period named in the notice.
    """
    instant = now or datetime.now(UTC)
    with uow:
        rejection = _rejection(uow, rejection_id)
        message = rejection.message
        to = _recipient(rejection_id, message)
        told = applicant_reasons((r.code, r.message) for r in rejection.reasons)
        if not told.sentences:
            internal = "、".join(told.omitted) or "なし"
            raise NoticeError(
                f"不備記録 {rejection_id} の理由は事務局内部のもの（{internal}）だけのため、"
                "申込者には送りません。内容を確認し、必要であれば再処理してください"
            )
        values = _template_values(settings, message, told, instant)
        body = render(NOTICE_TEMPLATE, values, custom_dir=settings.custom_templates_dir)
    return NoticeDraft(
        rejection_id=rejection_id,
        to=to,
        subject=NOTICE_SUBJECT,
        body=body,
        omitted=told.omitted,
    )


def _rejection(uow: UnitOfWork, rejection_id: int) -> Rejection:
    rejection = uow.repo.rejection(rejection_id)
    if rejection is None:
        raise NotFound(f"不備記録 {rejection_id} は存在しません")
    if rejection.status is RejectionStatus.RESOLVED:
        raise NoticeError(
            f"不備記録 {rejection_id} はすでに対応済みのため、不備のご連絡は送りません"
            f"（{label(RESOLUTION_LABELS, rejection.resolution) or '対応済み'}）"
        )
    return rejection


def _recipient(rejection_id: int, message: Message) -> str:
    address = (message.from_address or "").strip()
    if not address:
        header = f"（From ヘッダー: 「{message.from_display}」）" if message.from_display else ""
        raise NoticeError(
            f"不備記録 {rejection_id} のメールには使える差出人のアドレスがないため{header}、"
            "送り先がありません"
        )
    problem = address_problem(address, role="差出人") or sender_address_problem(address)
    if problem is not None:
        raise NoticeError(f"不備記録 {rejection_id}: {problem}。送り先にできません")
    if is_mail_system_address(address):
        raise NoticeError(
            f"不備記録 {rejection_id} の差出人 {address} はメールシステムの管理用アドレスのため、"
            "不備のご連絡は送りません"
        )
    return address


def _template_values(
    settings: Settings, message: Message, told: ApplicantReasons, now: datetime
) -> dict[str, object]:
    name_romaji = message.applicant_name
    if not name_romaji or ReasonCode.SUBJECT_NAME_NOT_ROMAJI in told.codes:
        name_romaji = None
    term = _term_for_resubmission(settings, message, now)
    contact = settings.ack.reply_to or (settings.smtp.from_address if settings.smtp else None)
    return {
        "applicant_name": _addressee(settings, message),
        "name_romaji": name_romaji,
        "received_at": message.received_at.astimezone(TOKYO),
        "reasons": list(told.sentences),
        "closes_at": format_jst_letter(term.closes_at, wareki=True) if term else None,
        "term_name": term.name if term else None,
        # A later mail with only the missing documents completes the submission only when
        # missing documents were all that was wrong (intake.services.applications).
        "supplement_possible": told.codes <= MISSING_CODES,
        "contact_address": contact,
    }


def _addressee(settings: Settings, message: Message) -> str:
    """The name the notice is addressed to: the form's kanji, else the subject's name."""
    kanji = _name_from_form(settings, message)
    if kanji:
        return kanji
    if message.applicant_name:
        return message.applicant_name
    display = message.from_display.strip()
    address = message.from_address or ""
    # from_display is "表示名 <address>", or the bare address when there is no name.
    display = display.removesuffix(f"<{address}>").strip() if address else display
    if display and display != address and "@" not in display:
        return display
    return "お申込者"


def _name_from_form(settings: Settings, message: Message) -> str | None:
    """氏名（漢字） from the attached 受講申込書, when it can be read."""
    store = FileStore(settings.storage_dir)
    for attachment in message.attachments:
        filename = attachment.filename or ""
        if attachment.doc_type != DocType.APPLICATION_FORM.value:
            continue
        if not filename.lower().endswith(".xlsx"):
            continue
        try:
            reading = read_application_form(store.read(attachment.stored_path), filename)
        except Exception as exc:  # only a nicety: the subject's name does as well
            log.info("notice: no name from %s (%s)", filename, type(exc).__name__)
            continue
        name = reading.application.name_kanji if reading.application else None
        if name and name.strip():
            return " ".join(name.split())
    return None


def _term_for_resubmission(settings: Settings, message: Message, now: datetime) -> Term | None:
    """The term a resubmission sent now would go to: the mail's own if still open."""
    open_now = [t for t in settings.terms if t.contains(now)]
    own = [t for t in open_now if t.id in (message.term_ids or [])]
    candidates = own or open_now
    return min(candidates, key=lambda t: t.closes_at) if candidates else None


# -- sending -------------------------------------------------------------------------------------
def send_notice(
    uow: UnitOfWork,
    settings: Settings,
    sender_factory: Callable[[], SmtpSender],
    draft: NoticeDraft,
    *,
    operator: str,
    again: bool,
) -> Notice:
    """Send ``draft`` once; the returned notice is "sent", "held" or "failed".

    Raises NotFound, NoticeError (resolved meanwhile, or already sent / held and not
    ``again``), ConfigError (no [smtp]) and SmtpError (the server cannot be reached: nothing
    is recorded then).
    """
    smtp = settings.smtp
    if smtp is None:
        raise ConfigError("設定ファイルに [smtp] がないため、メールを送れません")
    # Checked before connecting (a refusal needs no server), and again just before sending.
    with uow:
        parent_id = _check_sendable(uow, draft.rejection_id, again=again)
        uow.commit()
    message_id = new_message_id(smtp.from_address)
    try:
        data = message_bytes(
            build_message(
                from_address=smtp.from_address,
                from_name=smtp.from_name,
                to=draft.to,
                subject=draft.subject,
                text_body=draft.body,
                html_body=None,
                charset=settings.ack.charset,
                in_reply_to=parent_id,
                references=parent_id,
                reply_to=settings.ack.reply_to,
                message_id=message_id,
            )
        )
    except ValueError as exc:
        raise NoticeError(f"不備のご連絡のメールを作成できません（{exc}）") from exc

    with sender_factory() as sender, uow:
        _check_sendable(uow, draft.rejection_id, again=again)
        row = Notice(
            rejection_id=draft.rejection_id,
            to_address=draft.to,
            subject=draft.subject,
            body=draft.body,
            message_id=message_id,
            # Queued and sent in the same breath: a notice is asked for when it is sent.
            status=lifecycle.begin_send(SendStatus.PENDING),
            operator=operator,
        )
        uow.repo.add(row)
        uow.session.flush()
        event = audit.record(
            uow,
            operator=operator,
            action=AUDIT_ACTION,
            target=f"rejection:{draft.rejection_id}",
            notice_id=row.id,
            to=draft.to,
            message_id=message_id,
            again=again,
            outcome=row.status.value,
        )
        # The point of no return: from here a crash leaves "sending", i.e. held for a person.
        uow.commit()
        result = sender.send(data, sender=smtp.from_address, recipient=draft.to)
        # Never retried by itself: a failed notice (nothing delivered) is asked for again.
        step = lifecycle.after_send(row.status, result.outcome, 1, NO_RETRY, detail=result.detail)
        row.status, row.note = step.status, step.note
        if row.status is SendStatus.SENT:
            row.sent_at = datetime.now(UTC)
        event.details = {**event.details, "outcome": row.status.value, "detail": result.detail}
        uow.commit()
        log.info("notice %s for rejection %s: %s", row.id, row.rejection_id, row.status)
        return row


def _check_sendable(uow: UnitOfWork, rejection_id: int, *, again: bool) -> str | None:
    """Refuse a resolved rejection or a repeated notice; the application mail's Message-ID."""
    rejection = _rejection(uow, rejection_id)
    if _recover_interrupted(uow, rejection_id):
        uow.commit()  # kept even when the notice is refused below
    if not again:
        _refuse_repeat(uow, rejection_id)
    return rejection.message.message_id


def _recover_interrupted(uow: UnitOfWork, rejection_id: int) -> bool:
    """A notice still "sending" under the send lock belongs to a process that died: held."""
    recovered = False
    for row in notices_of(uow, rejection_id):
        if row.status is SendStatus.SENDING:
            row.status = lifecycle.recover(row.status)
            row.note = INTERRUPTED
            recovered = True
    return recovered


def _refuse_repeat(uow: UnitOfWork, rejection_id: int) -> None:
    earlier = [r for r in notices_of(uow, rejection_id) if r.status in MAY_HAVE_ARRIVED]
    if not earlier:
        return
    last = earlier[-1]
    when = short_jst(last.sent_at or last.created_at)
    state = label(DEFICIENCY_NOTICE_LABELS, last.status)
    if last.status is SendStatus.SENT:
        raise NoticeError(
            f"不備記録 {rejection_id} の不備のご連絡はすでに送信済みです"
            f"（通知 {last.id}、{when}、{last.operator}、宛先 {last.to_address}）。"
            "もう一度送るには --again を付けてください"
        )
    raise NoticeError(
        f"不備記録 {rejection_id} の不備のご連絡はすでに送信済みの可能性があります"
        f"（通知 {last.id}、{state}、{when}）。相手に届いていないことを確かめてから、"
        "もう一度送るには --again を付けてください"
    )


# -- reading -------------------------------------------------------------------------------------
def notices_of(uow: UnitOfWork, rejection_id: int) -> list[Notice]:
    """The notices of one rejection, oldest first (inside an open unit of work)."""
    query = select(Notice).where(Notice.rejection_id == rejection_id).order_by(Notice.id)
    return list(uow.session.scalars(query))


def notice_events(uow: UnitOfWork, rejection_id: int) -> list[AuditEvent]:
    """The audit events of the notices of one rejection, oldest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.action == AUDIT_ACTION, AuditEvent.target == f"rejection:{rejection_id}")
        .order_by(AuditEvent.id)
    )
    return list(uow.session.scalars(query))
