"""The audit trail: one event per operator action."""

from __future__ import annotations

import getpass
from typing import Any

from intake.adapters.orm import AuditEvent
from intake.services.unit_of_work import UnitOfWork


def operator_name(given: str | None) -> str:
    """The operator: as given (--operator), else the login name."""
    if given:
        return given
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def record(
    uow: UnitOfWork,
    *,
    operator: str,
    action: str,
    target: str,
    note: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an event to the unit of work; it is committed with the action it describes."""
    event = AuditEvent(operator=operator, action=action, target=target, note=note, details=details)
    uow.repo.add(event)
    return event
