"""受講決定のお知らせ (and, when the term says so, 選考結果のお知らせ to 見送り).

`intake selection notify` sends in one run every notice due: to each 決定 (and 見送り when
``notify_not_selected``) whose notice is not yet with the applicant, at the 受講申込書's
address. The acknowledgements' discipline (:mod:`intake.services.acks`) holds: due notices are
claimed in a transaction; each is committed as "sending" with its Message-ID just before the
server sees it and its result committed at once; a notice found still "sending" belongs to a
process that died and is held (送信結果不明), never sent again by itself. A notice is never
retried within a run; one that failed (nothing was delivered) is due again on the next run.

A 受講申込書 without a usable address: its notice is held for an operator at once, never sent
to the sender instead. A 決定 after the notice date is not sent unless the operator says so
(no notice by then means not selected, as the recruitment page states).

Callers hold the "send" lock (:func:`intake.adapters.lock.exclusive`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from intake.adapters.mailcompose import build_message, message_bytes, new_message_id, render
from intake.adapters.orm import Application
from intake.adapters.orm_selection import DecisionNotice
from intake.adapters.smtp import SmtpSender
from intake.config import ConfigError, Settings
from intake.domain import lifecycle
from intake.domain.addresses import is_mail_system_address, sender_address_problem
from intake.domain.labels import DECISION_NOTICE_NAMES
from intake.domain.lifecycle import (
    INTERRUPTED,
    NO_RETRY,
    ApplicationStatus,
    Decision,
    IllegalTransition,
    SendStatus,
)
from intake.domain.model import Term
from intake.domain.search import format_reference
from intake.domain.selection import notice_due, notice_kind
from intake.services import audit
from intake.services.cutoff import term_by_id
from intake.services.errors import NotFound
from intake.services.outbox import refuse_uncomposable, send_row
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SUBJECTS: dict[Decision, str] = {
    Decision.SELECTED: "【受講決定のお知らせ】外国人支援コーディネーター養成研修",
    Decision.NOT_SELECTED: "【選考結果のお知らせ】外国人支援コーディネーター養成研修",
}
TEMPLATES: dict[Decision, str] = {
    Decision.SELECTED: "decision_selected.txt.j2",
    Decision.NOT_SELECTED: "decision_not_selected.txt.j2",
}


class DecisionNoticeError(Exception):
    """An operator's request the notice's state does not allow; str() is one Japanese line."""


@dataclass(frozen=True)
class PlannedNotice:
    """A notice due now, as the dry run and the confirmation show it."""

    application_id: int
    reference: str
    name: str
    to_address: str  # the 受講申込書's ("" when it has none)
    decision: Decision
    problem: str | None  # why it will be held instead of sent
    late: bool  # a 決定 after the notice date: not sent unless the operator says so

    @property
    def notice_name(self) -> str:
        return DECISION_NOTICE_NAMES[self.decision]


@dataclass
class NotifyReport:
    sent: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # no usable address, or unknown fate
    failed: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)  # found "sending": held
    late: list[PlannedNotice] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every due notice was sent (or none was due)."""
        return not (self.held or self.failed or self.recovered or self.late)


def address_problem(address: str | None) -> str | None:
    """Why a notice cannot go to the 受講申込書's ``address`` (Japanese), or None."""
    if address is None or not address.strip():
        return "受講申込書にメールアドレスがないため送れません"
    if is_mail_system_address(address):
        return (
            f"受講申込書のメールアドレス {address} はメールシステムの管理用アドレスのため送りません"
        )
    problem = sender_address_problem(address.strip())
    if problem is not None:
        return f"受講申込書のメールアドレス「{address}」には送れません（{problem}）"
    return None


@dataclass(frozen=True)
class _Due:
    application: Application
    decision: Decision
    reuse: DecisionNotice | None  # a pending or failed notice of this decision
    planned: PlannedNotice


def _due(uow: UnitOfWork, term: Term, now: datetime) -> list[_Due]:
    decisions = uow.repo.term_decisions(term.id)
    notices = uow.repo.term_decision_notices(term.id)
    deadline = term.decision_deadline
    due: list[_Due] = []
    for application in uow.repo.current_applications(term.id):
        recorded = decisions.get(application.id)
        decision = recorded.decision if recorded else None
        kind = notice_kind(decision, notify_not_selected=term.notify_not_selected)
        if kind is None:
            continue
        telling = [
            n
            for n in notices.get(application.id, [])
            if n.decision is kind and n.status is not SendStatus.CANCELLED
        ]
        latest = telling[-1] if telling else None
        if not notice_due(
            decision,
            latest.status if latest else None,
            notify_not_selected=term.notify_not_selected,
        ):
            continue
        form_address = (application.form or {}).get("email")
        address = form_address.strip() if isinstance(form_address, str) else ""
        planned = PlannedNotice(
            application_id=application.id,
            reference=format_reference(term.id, application.id),
            name=application.name_kanji or application.name_romaji,
            to_address=address,
            decision=kind,
            problem=address_problem(address),
            late=kind is Decision.SELECTED and deadline is not None and now > deadline,
        )
        due.append(_Due(application, kind, latest, planned))
    return due


def plan_notices(
    uow: UnitOfWork, settings: Settings, term_id: int, *, now: datetime | None = None
) -> tuple[Term, list[PlannedNotice]]:
    """What a run would do now (nothing is written): the dry run and the confirmation."""
    term = term_by_id(settings, term_id)
    with uow:
        return term, [d.planned for d in _due(uow, term, now or datetime.now(UTC))]


def _recover(uow: UnitOfWork, term: Term) -> list[int]:
    """A notice still "sending" under the send lock belongs to a process that died: held. A
    claimed one was never started: queued again."""
    held: list[int] = []
    with uow:
        for row in uow.repo.decision_notices_in(term.id, [SendStatus.SENDING]):
            row.status = lifecycle.recover(row.status)
            row.note = (
                f"{INTERRUPTED}届いていなければ `intake selection release {row.id}`、"
                f"届いていれば `intake selection confirm {row.id}` を実行してください。"
            )
            held.append(row.id)
        for row in uow.repo.decision_notices_in(term.id, [SendStatus.CLAIMED]):
            row.status = lifecycle.recover(row.status)
        uow.commit()
    return held


def _queue(
    uow: UnitOfWork,
    term: Term,
    due: _Due,
    *,
    operator: str,
) -> DecisionNotice:
    """The notice row of a due notice, pending (or held when it has no usable address)."""
    planned = due.planned
    row = due.reuse
    if row is None:
        row = DecisionNotice(
            application_id=planned.application_id,
            term_id=term.id,
            decision=planned.decision,
            to_address=planned.to_address,
            subject=SUBJECTS[planned.decision],
            status=SendStatus.PENDING,
            operator=operator,
        )
        uow.repo.add(row)
    elif row.status is SendStatus.FAILED:
        row.status = lifecycle.release(row.status)  # nothing was delivered: asked for again
        row.to_address = planned.to_address
        row.operator = operator
    if planned.problem is not None:
        row.status = lifecycle.hold(row.status)
        row.note = f"{planned.problem}。申込者に別の方法で連絡してください"
    return row


def send_decision_notices(
    uow: UnitOfWork,
    settings: Settings,
    sender_factory: Callable[[], SmtpSender],
    term_id: int,
    *,
    operator: str,
    now: datetime | None = None,
    after_deadline: bool = False,
) -> NotifyReport:
    """Send every notice of the term that is due; see the module for the discipline."""
    if settings.smtp is None:
        raise ConfigError("設定ファイルに [smtp] がないため、メールを送れません")
    term = term_by_id(settings, term_id)
    instant = now or datetime.now(UTC)
    report = NotifyReport(recovered=_recover(uow, term))
    with uow:
        claimed: list[int] = []
        for due in _due(uow, term, instant):
            if due.planned.late and not after_deadline:
                report.late.append(due.planned)
                continue
            row = _queue(uow, term, due, operator=operator)
            uow.session.flush()
            if row.status is SendStatus.HELD:
                report.held.append(row.id)
            else:
                row.status = lifecycle.claim(row.status)
                row.claimed_at = datetime.now(UTC)
                claimed.append(row.id)
        uow.commit()
    try:
        if claimed:
            with sender_factory() as sender:
                for notice_id in claimed:
                    _send_one(uow, settings, term, sender, notice_id, report)
    finally:
        # Whatever was claimed but not reached (a connection failure) goes back to the queue.
        with uow:
            for row in uow.repo.decision_notices_in(term.id, [SendStatus.CLAIMED]):
                if row.id in claimed:
                    row.status = lifecycle.unclaim(row.status)
            audit.record(
                uow,
                operator=operator,
                action="selection.notify",
                target=f"term:{term.id}",
                sent=report.sent,
                held=report.held + report.recovered,
                failed=report.failed,
                late=[p.application_id for p in report.late],
                after_deadline=after_deadline,
            )
            uow.commit()
    return report


def _send_one(
    uow: UnitOfWork,
    settings: Settings,
    term: Term,
    sender: SmtpSender,
    notice_id: int,
    report: NotifyReport,
) -> None:
    assert settings.smtp is not None
    with uow:
        row = uow.repo.decision_notice(notice_id)
        if row is None or row.status is not SendStatus.CLAIMED:
            return
        recorded = uow.repo.decision_of(row.application_id)
        if row.application.status is not ApplicationStatus.ACCEPTED or (
            recorded is None or recorded.decision is not row.decision
        ):
            row.status = lifecycle.cancel(row.status)  # changed while it waited in the queue
            row.note = "送信前に申込または決定が変わったため取消"
            uow.commit()
            return
        message_id = new_message_id(settings.smtp.from_address)
        try:
            row.body = _body(settings, term, row)
            data = message_bytes(
                build_message(
                    from_address=settings.smtp.from_address,
                    from_name=settings.smtp.from_name,
                    to=row.to_address,
                    subject=row.subject,
                    text_body=row.body,
                    html_body=None,
                    charset=settings.ack.charset,
                    in_reply_to=None,
                    references=None,
                    reply_to=settings.ack.reply_to,
                    message_id=message_id,
                )
            )
        except Exception as exc:  # a template problem must not stop the others
            refuse_uncomposable(uow, row, exc, "decision notice")
            report.failed.append(row.id)
            return
        step = send_row(
            uow,
            row,
            sender,
            data,
            from_address=settings.smtp.from_address,
            message_id=message_id,
            policy=NO_RETRY,
            what="decision notice",
        )
        if step.status is SendStatus.SENT:
            report.sent.append(row.id)
        elif step.status is SendStatus.HELD:
            report.held.append(row.id)
        else:
            report.failed.append(row.id)
        uow.commit()


def _body(settings: Settings, term: Term, row: DecisionNotice) -> str:
    application = row.application
    values: dict[str, object] = {
        "applicant_name": application.name_kanji or application.name_romaji,
        "name_romaji": application.name_romaji,
        "term_name": term.name,
        "reference": format_reference(term.id, application.id),
        "venue": term.venue,
        "training_dates": term.training_dates,
        "training_starts_on": term.training_starts_on,
        "contact_address": settings.ack.reply_to
        or (settings.smtp.from_address if settings.smtp else None),
    }
    return render(TEMPLATES[row.decision], values, custom_dir=settings.custom_templates_dir)


# -- operator actions ----------------------------------------------------------------------------
_ACTIONS: dict[str, tuple[Callable[[SendStatus], SendStatus], str]] = {
    "hold": (lifecycle.hold, "担当者が保留"),
    "release": (
        lifecycle.release,
        "担当者が送信待ちに戻した（次の intake selection notify で送信）",
    ),
    "confirm": (lifecycle.confirm, "担当者が到着（または別の方法での連絡）を確認"),
}


def operator_action(
    uow: UnitOfWork, action: str, notice_id: int, note: str | None, *, operator: str
) -> DecisionNotice:
    """hold (keep from being sent), release (back to the queue: after checking that a held
    one did not arrive) or confirm (a held one did arrive, or the applicant was told some
    other way)."""
    transition, default_note = _ACTIONS[action]
    with uow:
        row = uow.repo.decision_notice(notice_id)
        if row is None:
            raise NotFound(f"決定のお知らせ {notice_id} は存在しません")
        try:
            row.status = transition(row.status)
        except IllegalTransition as exc:
            raise DecisionNoticeError(str(exc.about(f"決定のお知らせ {row.id}"))) from exc
        previous = row.note
        row.note = note or default_note
        if row.status is SendStatus.SENT:
            row.sent_at = row.sent_at or datetime.now(UTC)
        audit.record(
            uow,
            operator=operator,
            action=f"selection.{action}",
            target=f"application:{row.application_id}",
            note=note,
            notice=row.id,
            previous_note=previous,
        )
        uow.commit()
        return row
