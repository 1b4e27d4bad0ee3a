"""What makes a message a duplicate: the same message, not merely the same Message-ID.

A mail delivered twice (or found again in another folder) has the same Message-ID, the same
body and the same identifying headers. Trace headers (Received, Delivered-To) differ per
delivery and do not count. A Message-ID reused for other content (a client that numbers badly,
a resend with another subject, someone else's mail) is another message: recorded as any other,
with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

# The headers that identify a mail besides its Message-ID and body.
IDENTIFYING_HEADERS = ("from", "to", "subject", "date")


def same_message(identity: Sequence[str], other: Sequence[str]) -> bool:
    """Whether two mails with the same Message-ID and body also agree in every identifying
    header (values compared as sent, white space folded)."""
    return tuple(identity) == tuple(other)


def duplicate_note(original_id: int) -> str:
    return f"受信済みメール（記録番号 {original_id}）と同一です"


def reused_message_id_note(original_id: int) -> str:
    return (
        f"Message-ID が受信済みのメール（記録番号 {original_id}）と同じですが、内容が異なる"
        "（差出人・宛先・件名・日付・本文のいずれかが違う）ため、別のメールとして記録しました"
    )
