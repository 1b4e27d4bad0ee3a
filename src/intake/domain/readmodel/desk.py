"""The desk as a whole: terms and their cutoffs, mailboxes, what needs a person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake.domain.labels import (
    TERM_STATE_LABELS,
    label,
)
from intake.domain.lifecycle import (
    TermState,
)
from intake.domain.model import Term


# -- terms, cutoffs, the desk ---------------------------------------------------------------------
@dataclass(frozen=True)
class CutoffView:
    """One run of a term's cutoff (one roster version) for the deadline then in force."""

    id: int
    term_id: int
    closes_at: datetime
    version: int
    ran_at: datetime
    roster_path: str | None
    summary: Mapping[str, Any]
    summary_sent_at: datetime | None
    summary_note: str | None


@dataclass(frozen=True)
class TermCounts:
    current_applications: int = 0
    open_rejections: int = 0  # of mail received in the term's period


@dataclass(frozen=True)
class TermOverview:
    term: Term
    state: TermState
    cutoff: CutoffView | None  # the cutoff for the deadline in force
    counts: TermCounts

    @property
    def cutoff_version(self) -> int | None:
        return self.cutoff.version if self.cutoff else None

    @property
    def state_name(self) -> str:
        """The state in a word: 受付開始前, 受付中, 締切処理待ち, 締切処理済み."""
        return label(TERM_STATE_LABELS, self.state)

    @property
    def state_label(self) -> str:
        text = label(TERM_STATE_LABELS, self.state)
        return f"{text}（v{self.cutoff_version}）" if self.cutoff_version else text


@dataclass(frozen=True)
class MailboxView:
    account: str
    folder: str
    last_poll_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class AckCounts:
    due: int = 0  # pending and due now
    held: int = 0
    failed: int = 0
    in_flight: int = 0  # claimed or sending: a run stopped half-way


@dataclass(frozen=True)
class DeskStatus:
    mailboxes: tuple[MailboxView, ...]
    unmarked_messages: int  # recorded, not yet marked on the server
    open_rejections: int
    acks: AckCounts
    terms: tuple[TermOverview, ...]

    @property
    def last_poll_at(self) -> datetime | None:
        """The latest poll of any mailbox."""
        times = [m.last_poll_at for m in self.mailboxes if m.last_poll_at is not None]
        return max(times) if times else None
