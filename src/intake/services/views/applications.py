"""Applications and their acknowledgements (受付完了メール)."""

from __future__ import annotations

from collections.abc import Sequence

from intake.domain.lifecycle import ApplicationStatus, SendStatus
from intake.domain.readmodel import (
    ALL,
    AckFilter,
    AckView,
    ApplicationDetail,
    ApplicationFilter,
    ApplicationView,
    Page,
    Paged,
)
from intake.domain.search import parse_search
from intake.services.errors import NotFound
from intake.services.views.ports import ReadQueries


def list_applications(
    q: ReadQueries,
    *,
    term_id: int | None = None,
    status: ApplicationStatus | None = None,
    search: str | None = None,
    page: Page = ALL,
) -> Paged[ApplicationView]:
    """Applications in the order they were recorded (current and superseded ones)."""
    filters = ApplicationFilter(term_id=term_id, status=status, search=parse_search(search))
    return q.applications(filters, page)


def application_detail(q: ReadQueries, application_id: int) -> ApplicationDetail:
    detail = q.application(application_id)
    if detail is None:
        raise NotFound(f"申込 {application_id} は存在しません")
    return detail


def list_acks(
    q: ReadQueries,
    *,
    status: SendStatus | None = None,
    search: str | None = None,
    page: Page = ALL,
) -> Paged[AckView]:
    """Acknowledgements by due time."""
    return q.acknowledgements(AckFilter(status=status, search=parse_search(search)), page)


def acks_by_id(q: ReadQueries, ack_ids: Sequence[int]) -> tuple[AckView, ...]:
    """The acknowledgements with these ids, in the order given (missing ones left out)."""
    return q.acknowledgements_by_id(ack_ids)


def get_ack(q: ReadQueries, ack_id: int) -> AckView:
    found = q.acknowledgements_by_id([ack_id])
    if not found:
        raise NotFound(f"受付完了メール {ack_id} は存在しません")
    return found[0]
