"""Mail to the secretariat's own people (a cutoff's summary, the notice date's warning):
one message each, and who got it, so that a retry writes only to those who did not."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from intake.adapters.mailcompose import build_message, message_bytes, new_message_id
from intake.adapters.smtp import SmtpSender
from intake.config import Settings
from intake.domain.lifecycle import SendOutcome


@dataclass(frozen=True)
class OperatorMailing:
    sent_to: list[str]  # everyone who has it now, earlier recipients included
    failures: list[str]  # "address: why", or the connection's failure


def mail_operators(
    settings: Settings,
    sender_factory: Callable[[], SmtpSender],
    recipients: Sequence[str],
    *,
    subject: str,
    body: str,
    already: Sequence[str] = (),
) -> OperatorMailing:
    """Send ``body`` to each recipient not in ``already``; never raises for a mail problem."""
    assert settings.smtp is not None
    sent_to = list(already)
    failures: list[str] = []
    try:
        with sender_factory() as sender:
            for recipient in recipients:
                if recipient in sent_to:
                    continue
                message = build_message(
                    from_address=settings.smtp.from_address,
                    from_name=settings.smtp.from_name,
                    to=recipient,
                    subject=subject,
                    text_body=body,
                    html_body=None,
                    charset="utf-8",
                    in_reply_to=None,
                    references=None,
                    reply_to=None,
                    message_id=new_message_id(settings.smtp.from_address),
                    auto_submitted=True,
                )
                result = sender.send(
                    message_bytes(message), sender=settings.smtp.from_address, recipient=recipient
                )
                if result.outcome is SendOutcome.SENT:
                    sent_to.append(recipient)
                else:
                    failures.append(f"{recipient}: {result.detail}")
    except Exception as exc:  # the caller records it; the next run tries again
        failures.append(f"{type(exc).__name__}: {exc}")
    return OperatorMailing(sent_to, failures)
