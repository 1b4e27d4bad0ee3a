"""The 受付完了 acknowledgement outbox.

SMTP cannot make sending exactly-once, so the discipline is: claim due rows in a transaction;
for each, commit "sending" with its Message-ID just before handing it to the server, and
commit the result as soon as the server answers. A row found still "sending" later is one
whose fate is unknown (the process died, or the connection dropped after the data was sent):
it is held for an operator (送信結果不明), never resent blindly. A row only "claimed" was never
started and simply goes back to the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from intake.adapters.mailcompose import (
    AckContext,
    build_message,
    message_bytes,
    new_message_id,
    render,
)
from intake.adapters.orm import Acknowledgement, Application
from intake.adapters.smtp import SmtpSender
from intake.config import Settings
from intake.domain import lifecycle
from intake.domain.addresses import is_mail_system_address, recipient_refusal
from intake.domain.lifecycle import (
    INTERRUPTED,
    ApplicationStatus,
    IllegalTransition,
    RetryPolicy,
    SendStatus,
)
from intake.domain.model import TOKYO
from intake.domain.schedule import ack_due_at
from intake.domain.search import format_reference
from intake.services import audit
from intake.services.outbox import refuse_uncomposable, send_row
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class AckNotFound(Exception):
    pass


class AckStateError(Exception):
    """The operator asked for a change the acknowledgement's status does not allow."""


def reference_number(application: Application) -> str:
    """The 受付番号 told to the applicant: term and application number."""
    return format_reference(application.term_id, application.id)


def schedule_acknowledgement(
    uow: UnitOfWork, settings: Settings, application: Application
) -> Acknowledgement:
    """Queue the acknowledgement of a (new) current application; cancel its predecessors'."""
    for earlier in uow.repo.unsent_acknowledgements_of_superseded(application.id):
        earlier.status = lifecycle.cancel(earlier.status)
        earlier.note = f"再提出（申込 {application.id}）により取消"
    ack = settings.ack
    due = ack_due_at(
        application.completed_at,
        delay_days=ack.delay_days,
        business_days=ack.business_days,
        closure_days=ack.closure_days,
        send_window=ack.send_window,
    )
    row = Acknowledgement(
        application=application,
        to_address=application.email,
        due_at=due,
        status=SendStatus.PENDING,
    )
    uow.repo.add(row)
    return row


@dataclass
class SendReport:
    sent: list[Acknowledgement] = field(default_factory=list)
    retrying: list[Acknowledgement] = field(default_factory=list)
    failed: list[Acknowledgement] = field(default_factory=list)
    held: list[Acknowledgement] = field(default_factory=list)
    recovered_unknown: list[Acknowledgement] = field(default_factory=list)


def recover_interrupted(uow: UnitOfWork) -> list[Acknowledgement]:
    """After a crash: 'sending' rows are held (fate unknown), 'claimed' rows are queued again."""
    held: list[Acknowledgement] = []
    with uow:
        for row in uow.repo.acknowledgements_in(SendStatus.SENDING):
            row.status = lifecycle.recover(row.status)
            row.note = (
                f"{INTERRUPTED}届いていなければ `intake acks release {row.id}`、"
                f"届いていれば `intake acks confirm {row.id}` を実行してください。"
            )
            held.append(row)
        for row in uow.repo.acknowledgements_in(SendStatus.CLAIMED):
            row.status = lifecycle.recover(row.status)
        uow.commit()
    return held


def send_due(
    uow: UnitOfWork,
    settings: Settings,
    sender_factory: Callable[[], SmtpSender],
    *,
    now: datetime,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """Send what is due at ``now``; ``should_stop`` (a daemon being stopped) is asked between
    messages, and what was not reached goes back to the queue."""
    report = SendReport(recovered_unknown=recover_interrupted(uow))
    with uow:
        claimed = list(uow.repo.due_acknowledgements(now))
        for row in claimed:
            row.status = lifecycle.claim(row.status)
            row.claimed_at = datetime.now(UTC)
        uow.commit()
        claimed_ids = [row.id for row in claimed]
    if not claimed_ids:
        return report
    try:
        with sender_factory() as sender:
            for ack_id in claimed_ids:
                if should_stop is not None and should_stop():
                    break
                _send_one(uow, settings, sender, ack_id, now, report)
    finally:
        # Whatever was claimed but not reached (a connection failure) goes back to the queue.
        with uow:
            for row in uow.repo.acknowledgements_in(SendStatus.CLAIMED):
                if row.id in claimed_ids:
                    row.status = lifecycle.unclaim(row.status)
            uow.commit()
    return report


def _send_one(
    uow: UnitOfWork,
    settings: Settings,
    sender: SmtpSender,
    ack_id: int,
    now: datetime,
    report: SendReport,
) -> None:
    assert settings.smtp is not None
    with uow:
        row = uow.repo.acknowledgement(ack_id)
        if row is None or row.status is not SendStatus.CLAIMED:
            return
        if row.application.status is not ApplicationStatus.ACCEPTED:
            row.status = lifecycle.cancel(row.status)  # superseded while it waited in the queue
            row.note = f"申込 {row.application_id} が再提出で置き換えられたため取消"
            uow.commit()
            return
        refusal = (
            f"自動応答用のアドレス（{row.to_address}）には送りません。"
            if is_mail_system_address(row.to_address)
            else recipient_refusal(row.to_address)
        )
        if refusal is not None:
            row.status = lifecycle.refuse(row.status)
            row.note = refusal
            uow.commit()
            report.failed.append(row)
            return
        message_id = new_message_id(settings.smtp.from_address)
        try:
            data = _compose(settings, row, message_id)
        except Exception as exc:  # a template problem must not stop the others
            refuse_uncomposable(uow, row, exc, "acknowledgement")
            report.failed.append(row)
            return
        step = send_row(
            uow,
            row,
            sender,
            data,
            from_address=settings.smtp.from_address,
            message_id=message_id,
            policy=_retry_policy(settings),
            what="acknowledgement",
        )
        if step.status is SendStatus.SENT:
            report.sent.append(row)
        elif step.status is SendStatus.HELD:
            report.held.append(row)
        elif step.retry_after is not None:
            row.next_attempt_at = now + step.retry_after
            report.retrying.append(row)
        else:
            report.failed.append(row)
        uow.commit()


def _retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.ack.max_attempts,
        base_delay=timedelta(seconds=settings.ack.retry_base_seconds),
    )


def _compose(settings: Settings, row: Acknowledgement, message_id: str) -> bytes:
    assert settings.smtp is not None
    application = row.application
    term = next((t for t in settings.terms if t.id == application.term_id), None)
    context = AckContext(
        applicant_name=application.name_kanji or application.name_romaji,
        name_romaji=application.name_romaji,
        term_name=term.name if term else f"第{application.term_id}期",
        received_at=application.received_at.astimezone(TOKYO),
        reference=reference_number(application),
        application_id=application.id,
        contact_address=settings.ack.reply_to or settings.smtp.from_address,
    )
    values = context.as_template_context()
    custom = settings.custom_templates_dir
    text_body = render(settings.ack.template, values, custom_dir=custom)
    html_body = (
        render(settings.ack.html_template, values, custom_dir=custom)
        if settings.ack.html_template
        else None
    )
    source = application.source_message
    message = build_message(
        from_address=settings.smtp.from_address,
        from_name=settings.smtp.from_name,
        to=row.to_address,
        subject=settings.ack.subject,
        text_body=text_body,
        html_body=html_body,
        charset=settings.ack.charset,
        in_reply_to=source.message_id if source else None,
        references=source.message_id if source else None,
        reply_to=settings.ack.reply_to,
        message_id=message_id,
    )
    return message_bytes(message)


# -- operator actions ----------------------------------------------------------------------------
def hold(uow: UnitOfWork, ack_id: int, note: str | None, *, operator: str) -> Acknowledgement:
    with uow:
        row = _get(uow, ack_id)
        row.status = _move(row, lifecycle.hold)
        row.note = note or "担当者が保留"
        audit.record(uow, operator=operator, action="ack.hold", target=f"ack:{row.id}", note=note)
        uow.commit()
        return row


def release(uow: UnitOfWork, ack_id: int, note: str | None, *, operator: str) -> Acknowledgement:
    """Back to the queue: after a hold, a failure, or an unknown result the operator checked."""
    with uow:
        row = _get(uow, ack_id)
        row.status = _move(row, lifecycle.release)
        row.next_attempt_at = None
        previous = row.note
        row.note = note or "担当者が再開"
        audit.record(
            uow,
            operator=operator,
            action="ack.release",
            target=f"ack:{row.id}",
            note=note,
            previous_note=previous,
        )
        uow.commit()
        return row


def confirm_sent(
    uow: UnitOfWork, ack_id: int, note: str | None, *, operator: str
) -> Acknowledgement:
    """An operator established that a held (unknown) acknowledgement did arrive."""
    with uow:
        row = _get(uow, ack_id)
        row.status = _move(row, lifecycle.confirm)
        row.sent_at = row.sent_at or datetime.now(UTC)
        previous = row.note
        row.note = note or "担当者が到着を確認"
        audit.record(
            uow,
            operator=operator,
            action="ack.confirm",
            target=f"ack:{row.id}",
            note=note,
            previous_note=previous,
        )
        uow.commit()
        return row


def _move(row: Acknowledgement, transition: Callable[[SendStatus], SendStatus]) -> SendStatus:
    try:
        return transition(row.status)
    except IllegalTransition as exc:
        raise AckStateError(str(exc.about(f"受付完了メール {row.id}"))) from exc


def _get(uow: UnitOfWork, ack_id: int) -> Acknowledgement:
    row = uow.repo.acknowledgement(ack_id)
    if row is None:
        raise AckNotFound(f"受付完了メール {ack_id} は存在しません")
    return row
