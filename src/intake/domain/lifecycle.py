"""Every lifecycle of the desk in one place: the states as stored, and the only legal moves.

The enums' values are the strings the database has always held, so rows need no migration.
Each transition is a pure function from a state (and what happened) to the next state; a move
the lifecycle does not allow raises :class:`IllegalTransition`, whose str() is one Japanese line
for an operator. Services assign the results; nothing else writes a state.

The outbox lifecycle (:class:`SendStatus`) is shared by every mail intake sends one by one to
an applicant: the 受付完了 acknowledgement, the 不備のご連絡 and the selection's decision
notices (受講決定のお知らせ, 選考結果のお知らせ). Its promise: a mail is never sent twice and
never silently dropped. A mail whose fate is unknown (the process died while sending, or the
connection dropped after the data) is ``held`` for an operator, and only an operator's
``release`` puts a mail that may have arrived back in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from intake.domain.model import Term


class IllegalTransition(Exception):
    """A move the lifecycle does not allow from the record's state."""

    def __init__(self, state: StrEnum, refusal: str, record: str = "この記録") -> None:
        super().__init__(state, refusal, record)
        self.state = state
        self.refusal = refusal  # Japanese, following 「…のため」: "保留にできません"
        self.record = record

    def about(self, record: str) -> IllegalTransition:
        """The same refusal naming the record, e.g. 「受付完了メール 12」."""
        return IllegalTransition(self.state, self.refusal, record)

    def __str__(self) -> str:
        # labels keys its dictionaries by the enums of this module: imported when needed.
        from intake.domain.labels import state_label

        return f"{self.record}は「{state_label(self.state)}」のため{self.refusal}"


def _require(state: StrEnum, allowed: frozenset[StrEnum], refusal: str) -> None:
    if state not in allowed:
        raise IllegalTransition(state, refusal)


# -- the outbox: acknowledgements and notices ---------------------------------------------------
class SendStatus(StrEnum):
    """Where one outgoing mail stands."""

    PENDING = "pending"  # queued: may be sent
    CLAIMED = "claimed"  # taken by a sending run, not yet handed to the server
    SENDING = "sending"  # committed just before the server sees it: fate unknown until answered
    SENT = "sent"
    HELD = "held"  # for an operator: fate unknown, or held on purpose
    FAILED = "failed"  # nothing was delivered (refused, or never handed over)
    CANCELLED = "cancelled"  # no longer wanted (its application was superseded)


class SendOutcome(StrEnum):
    """What the mail server's answer (or its silence) means for one message."""

    SENT = "sent"
    TEMPORARY = "temporary"  # a 4xx refusal: nothing delivered, may be tried again
    PERMANENT = "permanent"  # a 5xx refusal: nothing delivered
    UNKNOWN = "unknown"  # the connection failed after the data: perhaps delivered


UNKNOWN_RESULT = "送信結果不明"
INTERRUPTED = f"{UNKNOWN_RESULT}: 送信中に処理が中断したため、届いたかどうか分かりません。"

# States from which a send may begin.
SENDABLE = frozenset({SendStatus.PENDING, SendStatus.CLAIMED})
# States in which the recipient may already have the mail: never sent again by itself.
MAY_HAVE_ARRIVED = frozenset({SendStatus.SENDING, SendStatus.SENT, SendStatus.HELD})
# States of a mail that has not gone out and can still be called off.
CANCELLABLE = frozenset(
    {SendStatus.PENDING, SendStatus.CLAIMED, SendStatus.HELD, SendStatus.FAILED}
)
_HOLDABLE = frozenset({SendStatus.PENDING, SendStatus.FAILED})
_RELEASABLE = frozenset({SendStatus.HELD, SendStatus.FAILED})


@dataclass(frozen=True)
class RetryPolicy:
    """How often a temporarily refused mail is tried, and how long to wait in between."""

    max_attempts: int = 1
    base_delay: timedelta = timedelta(0)

    def delay(self, attempts: int) -> timedelta:
        """Exponential back-off: base, 2 × base, 4 × base … after the 1st, 2nd, 3rd attempt."""
        return self.base_delay * (1 << max(attempts - 1, 0))


# An operator asks again for a notice that failed: intake never retries it by itself.
NO_RETRY = RetryPolicy()


@dataclass(frozen=True)
class SendStep:
    """The state after a send attempt, the row's note for the operator, and when to retry."""

    status: SendStatus
    note: str | None
    retry_after: timedelta | None = None


def claim(state: SendStatus) -> SendStatus:
    """A sending run takes a queued mail (so a second run does not)."""
    _require(state, frozenset({SendStatus.PENDING}), "送信の対象にできません")
    return SendStatus.CLAIMED


def unclaim(state: SendStatus) -> SendStatus:
    """A claimed mail the run did not reach goes back to the queue: it was never started."""
    _require(state, frozenset({SendStatus.CLAIMED}), "送信待ちに戻せません")
    return SendStatus.PENDING


def begin_send(state: SendStatus) -> SendStatus:
    """The point of no return: committed just before the data goes to the server."""
    _require(state, SENDABLE, "送信できません")
    return SendStatus.SENDING


def after_send(
    state: SendStatus,
    outcome: SendOutcome,
    attempts: int,
    policy: RetryPolicy,
    *,
    detail: str = "",
) -> SendStep:
    """The state after the server answered (``attempts`` counts this one).

    Sent → sent; unknown → held for an operator; a temporary refusal → queued again while
    ``policy`` allows more attempts; otherwise failed (nothing was delivered).
    """
    _require(state, frozenset({SendStatus.SENDING}), "送信結果を記録できません")
    if outcome is SendOutcome.SENT:
        return SendStep(SendStatus.SENT, None)
    if outcome is SendOutcome.UNKNOWN:
        return SendStep(SendStatus.HELD, f"{UNKNOWN_RESULT}: {detail}")
    if outcome is SendOutcome.TEMPORARY and attempts < policy.max_attempts:
        return SendStep(
            SendStatus.PENDING,
            f"{attempts} 回目の送信に失敗、再送予定: {detail}",
            policy.delay(attempts),
        )
    return SendStep(SendStatus.FAILED, detail)


def recover(state: SendStatus) -> SendStatus:
    """After an interruption: a mail still "sending" may have arrived (held); a claimed one
    was never started (queued again)."""
    _require(
        state, frozenset({SendStatus.SENDING, SendStatus.CLAIMED}), "中断からの復旧はできません"
    )
    return SendStatus.HELD if state is SendStatus.SENDING else SendStatus.PENDING


def refuse(state: SendStatus) -> SendStatus:
    """A queued mail that must not or cannot be sent (an auto-reply address, a broken template)."""
    _require(state, SENDABLE, "送信不可にできません")
    return SendStatus.FAILED


def cancel(state: SendStatus) -> SendStatus:
    """A mail not yet gone out that is no longer wanted."""
    _require(state, CANCELLABLE, "取り消せません")
    return SendStatus.CANCELLED


def hold(state: SendStatus) -> SendStatus:
    """Operator: keep a queued or failed mail from being sent."""
    _require(state, _HOLDABLE, "保留にできません")
    return SendStatus.HELD


def release(state: SendStatus) -> SendStatus:
    """Operator: back to the queue, after a hold, a failure, or an unknown fate they checked.
    The only way a mail that may have arrived can be sent again."""
    _require(state, _RELEASABLE, "再開できません")
    return SendStatus.PENDING


def confirm(state: SendStatus) -> SendStatus:
    """Operator: a held mail did arrive."""
    _require(state, frozenset({SendStatus.HELD}), "送信済みにできません")
    return SendStatus.SENT


# -- the selection's decisions ----------------------------------------------------------------
class Decision(StrEnum):
    """The agency's decision on one application (受講生の決定), as an import records it.

    intake never decides: the agency writes 決定 / 補欠 / 見送り in the workbook intake prepared.
    Which decision may still change is :mod:`intake.domain.selection_import`'s to say.
    """

    SELECTED = "selected"  # 決定: told by 受講決定のお知らせ
    WAITLISTED = "waitlisted"  # 補欠: may become 決定 until the notice date, and is told nothing
    NOT_SELECTED = "not_selected"  # 見送り: told by 選考結果のお知らせ when the term says so


def reached_applicant(state: SendStatus, *, started: bool) -> bool:
    """Whether a decision notice may be with its applicant, so that its decision is final.

    Sent (or confirmed by an operator), or held / still sending after its data went to the
    server (``started``: it has a Message-ID). A notice held before it was ever sent (the
    受講申込書 had no usable address) never left intake.
    """
    if state is SendStatus.SENT:
        return True
    return started and state in MAY_HAVE_ARRIVED


# -- rejections ---------------------------------------------------------------------------------
class NoticeState(StrEnum):
    """Whether a rejection's applicant was told, over all its deficiency notices (derived,
    never stored): one that may have arrived is enough, a failure only when all failed."""

    NONE = "none"
    SENT = "sent"
    UNKNOWN = "unknown"  # held or still sending: it may have arrived
    FAILED = "failed"

    @property
    def may_have_arrived(self) -> bool:
        return self in (NoticeState.SENT, NoticeState.UNKNOWN)


def notice_state(statuses: Iterable[SendStatus]) -> NoticeState:
    """The state of a rejection's notices taken together."""
    seen = set(statuses)
    if SendStatus.SENT in seen:
        return NoticeState.SENT
    if seen & MAY_HAVE_ARRIVED:
        return NoticeState.UNKNOWN
    return NoticeState.FAILED if seen else NoticeState.NONE


class RejectionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """How a rejection was closed."""

    OPERATOR = "operator"  # closed by hand, no application made
    ACCEPTED = "accepted"  # an operator accepted the mail as an application
    REPROCESSED = "reprocessed"  # passed when run again
    SUPPLEMENTED = "supplemented"  # a later mail brought what was missing
    RESUBMITTED = "resubmitted"  # a complete application replaced this incomplete submission


# Only what a person closed by hand can be reopened: the others made or gave way to an
# application, and reopening them would let the same mail become an application twice.
REOPENABLE = frozenset({Resolution.OPERATOR})


class RejectionRecord(Protocol):
    """What the rejection lifecycle reads and writes on a rejection."""

    status: RejectionStatus
    resolution: Resolution | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


def resolve(
    rejection: RejectionRecord,
    resolution: Resolution,
    by: str,
    note: str | None,
    *,
    at: datetime,
) -> None:
    """Close an open rejection: how, by whom (an operator, or intake itself), and why."""
    _require(rejection.status, frozenset({RejectionStatus.OPEN}), "対応済みにできません")
    rejection.status = RejectionStatus.RESOLVED
    rejection.resolution = resolution
    rejection.resolved_at = at
    rejection.resolved_by = by
    rejection.note = note


def reopen(rejection: RejectionRecord, note: str | None) -> None:
    """Operator: back to open, for a rejection closed by hand (the audit trail keeps who
    closed it, when and why)."""
    _require(rejection.status, frozenset({RejectionStatus.RESOLVED}), "未対応に戻せません")
    if rejection.resolution not in REOPENABLE:
        # Named by how it was closed: 「追加書類で完備」のため未対応に戻せません.
        raise IllegalTransition(rejection.resolution or rejection.status, "未対応に戻せません")
    rejection.status = RejectionStatus.OPEN
    rejection.resolution = None
    rejection.resolved_at = None
    rejection.resolved_by = None
    rejection.note = note


# -- applications -------------------------------------------------------------------------------
class ApplicationStatus(StrEnum):
    ACCEPTED = "accepted"  # the applicant's current application for the term
    SUPERSEDED = "superseded"  # replaced by a later application of the same applicant


def supersede(state: ApplicationStatus) -> ApplicationStatus:
    _require(state, frozenset({ApplicationStatus.ACCEPTED}), "置き換えられません")
    return ApplicationStatus.SUPERSEDED


# -- a message on the mail server ---------------------------------------------------------------
class ServerState(StrEnum):
    """Whether a stored message has been marked (keyword or move) on the mail server."""

    PENDING = "pending"  # stored, not yet marked
    DONE = "done"
    NONE = "none"  # not from a mailbox (`intake ingest`): nothing to mark


def initial_server_state(from_mailbox: bool) -> ServerState:
    return ServerState.PENDING if from_mailbox else ServerState.NONE


def marked(state: ServerState) -> ServerState:
    """The server holds the mark (again, for a message found unmarked on a later poll)."""
    _require(
        state, frozenset({ServerState.PENDING, ServerState.DONE}), "処理済みの印を付けられません"
    )
    return ServerState.DONE


def renumbered(state: ServerState) -> ServerState:
    """The folder's UIDVALIDITY changed: the message must be marked under its new UID."""
    _require(state, frozenset({ServerState.PENDING, ServerState.DONE}), "印を付け直せません")
    return ServerState.PENDING


# -- terms --------------------------------------------------------------------------------------
class TermState(StrEnum):
    """Where a term stands at a given time (derived, never stored)."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    CUTOFF_PENDING = "cutoff_pending"  # the deadline passed, the cutoff has not run
    CUTOFF_DONE = "cutoff_done"  # the cutoff ran for the deadline in force


def term_state(term: Term, now: datetime, *, cutoff_done: bool) -> TermState:
    if cutoff_done:
        return TermState.CUTOFF_DONE
    if term.closes_at <= now:
        return TermState.CUTOFF_PENDING
    if term.opens_at <= now:
        return TermState.OPEN
    return TermState.NOT_OPEN
