"""When a mail file was received, for `intake ingest` (a mailbox says it: IMAP INTERNALDATE).

A file carries only its Date header. A missing one and one that does not parse are told apart,
and the unreadable value is shown, so that the operator knows which file needs a time given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intake.adapters.mailparse import parse_mail_headers
from intake.domain.model import TOKYO
from intake.domain.reasons import quoted
from intake.domain.text import escape_invisible


@dataclass(frozen=True)
class ReceivedTime:
    at: datetime | None
    problem: str | None = None  # why there is no time (Japanese), when ``at`` is None


def received_time(raw: bytes, given: datetime | None = None) -> ReceivedTime:
    """``given`` (a naive time is Tokyo time), else the file's Date header."""
    if given is not None:
        return ReceivedTime(given if given.tzinfo else given.replace(tzinfo=TOKYO))
    head = parse_mail_headers(raw)
    if head.date is not None:
        return ReceivedTime(head.date)
    value = " ".join(head.headers.get("date", "").split())
    if not value:
        return ReceivedTime(None, "受信日時が分かりません（Date ヘッダーがありません）")
    shown = escape_invisible(quoted(value, 80))
    return ReceivedTime(
        None, f"受信日時が分かりません（Date ヘッダー「{shown}」を日時として読み取れません）"
    )
