"""Operator actions on the rejection log."""

from __future__ import annotations

from datetime import UTC, datetime

from intake.services.unit_of_work import UnitOfWork


class NotFound(Exception):
    """The record an operator named does not exist."""


def resolve_rejection(uow: UnitOfWork, rejection_id: int, *, note: str, operator: str) -> bool:
    """Close a rejection by hand. Returns False when it was already resolved (nothing changes)."""
    with uow:
        rejection = uow.repo.rejection(rejection_id)
        if rejection is None:
            raise NotFound(f"不備記録 {rejection_id} は存在しません")
        if rejection.status == "resolved":
            return False
        rejection.status = "resolved"
        rejection.resolution = "operator"
        rejection.resolved_at = datetime.now(UTC)
        rejection.resolved_by = operator
        rejection.note = note
        uow.commit()
        return True
