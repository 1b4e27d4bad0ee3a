"""The notice date's mail to the operators: on ``decision_notice_by`` itself, while a
受講決定のお知らせ is not with its applicant, `intake run` mails ``[cutoff] notify`` once.

Recorded per term and date (:class:`intake.adapters.orm_selection.SelectionAlert`): a
recipient the mail reached is never mailed again; one it did not reach (the server refused,
or could not be reached) is tried again on the daemon's next look, until the day is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from intake.adapters.mailcompose import render
from intake.adapters.orm_selection import SelectionAlert
from intake.adapters.smtp import SmtpSender
from intake.config import Settings
from intake.domain.model import Term
from intake.domain.readmodel import SelectionRow
from intake.services import audit
from intake.services.operator_mail import mail_operators
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ALERT_TEMPLATE = "selection_alert.txt.j2"


def send_deadline_alert(
    uow: UnitOfWork,
    settings: Settings,
    sender_factory: Callable[[], SmtpSender] | None,
    term: Term,
    unsent: Sequence[SelectionRow],
) -> str | None:
    """Mail the operators about ``unsent`` (決定 whose notice is not with the applicant) once;
    a note when it could not (yet) be done."""
    assert term.decision_notice_by is not None and term.decision_deadline is not None
    recipients = settings.cutoff.notify
    if not recipients:
        return (
            "通知先（[cutoff] notify）が設定されていないため、通知期日の警告メールは送っていません"
        )
    if settings.smtp is None or sender_factory is None:
        return "SMTP が設定されていないため、通知期日の警告メールは送っていません"
    with uow:
        alert = uow.repo.selection_alert(term.id, term.decision_notice_by)
        if alert is None:
            alert = SelectionAlert(term_id=term.id, notice_by=term.decision_notice_by, sent_to=[])
            uow.repo.add(alert)
        if alert.sent_at is not None:
            return None
        already = [str(r) for r in alert.sent_to]
        body = render(
            ALERT_TEMPLATE,
            {
                "term_name": term.name,
                "term_id": term.id,
                "deadline": term.decision_deadline,
                "rows": [
                    {
                        "reference": row.reference,
                        "name": row.name_kanji or row.name_romaji,
                        "state": row.notice_label or "未送信",
                    }
                    for row in unsent
                ],
            },
            custom_dir=settings.custom_templates_dir,
        )
        mailing = mail_operators(
            settings,
            sender_factory,
            recipients,
            subject=f"【intake】{term.name} 本日が受講決定の通知期日です（未送信あり）",
            body=body,
            already=already,
        )
        failures, sent_to = mailing.failures, mailing.sent_to
        alert.sent_to = sent_to  # a new list: JSON is saved whole
        alert.note = "警告メールを送れませんでした: " + "; ".join(failures) if failures else None
        if not failures:
            alert.sent_at = datetime.now(UTC)
        if len(sent_to) > len(already):
            audit.record(
                uow,
                operator="intake",
                action="selection.deadline_alert",
                target=f"term:{term.id}",
                sent_to=sent_to[len(already) :],
                unsent=[row.application_id for row in unsent],
            )
        uow.commit()
        return alert.note
