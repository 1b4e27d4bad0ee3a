"""One row of an outbox (the acknowledgements, the decision notices) through the point of no
return: the shared half of their send discipline.

The row is committed as "sending" with its Message-ID just before the server sees the data,
and the server's answer is applied at once (:func:`intake.domain.lifecycle.after_send`); the
caller commits it with its own bookkeeping. A crash in between leaves "sending", which the
next run holds for an operator (送信結果不明), never sends again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from intake.adapters.smtp import SmtpSender
from intake.domain import lifecycle
from intake.domain.lifecycle import RetryPolicy, SendStatus, SendStep
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class OutboxRow(Protocol):
    """What sending reads and writes on an outbox row."""

    id: int
    to_address: str
    status: SendStatus
    message_id: str | None
    attempts: int
    note: str | None
    sent_at: datetime | None


def refuse_uncomposable(uow: UnitOfWork, row: OutboxRow, error: Exception, what: str) -> None:
    """A mail that could not be composed (a template problem) fails alone; the others go on."""
    log.error("%s %s could not be composed", what, row.id, exc_info=error)
    row.status = lifecycle.refuse(row.status)
    row.note = f"メール本文を作成できませんでした（{type(error).__name__}: {error}）"
    uow.commit()


def send_row(
    uow: UnitOfWork,
    row: OutboxRow,
    sender: SmtpSender,
    data: bytes,
    *,
    from_address: str,
    message_id: str,
    policy: RetryPolicy,
    what: str,
) -> SendStep:
    """Send ``data`` for ``row``; the step taken (the row's state and note are set, not yet
    committed)."""
    # The point of no return: from here a crash leaves "sending", i.e. held for a person.
    row.status = lifecycle.begin_send(row.status)
    row.message_id = message_id
    row.attempts += 1
    uow.commit()
    result = sender.send(data, sender=from_address, recipient=row.to_address)
    # Logged before it is committed: if the commit fails, the server's answer is not lost.
    log.info("%s %s to %s: %s", what, row.id, row.to_address, result.outcome.value)
    step = lifecycle.after_send(
        row.status, result.outcome, row.attempts, policy, detail=result.detail
    )
    row.status, row.note = step.status, step.note
    if step.status is SendStatus.SENT:
        row.sent_at = datetime.now(UTC)
    return step
