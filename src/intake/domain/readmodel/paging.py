"""Paging, sorting and the filters of every list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from intake.domain.lifecycle import (
    ApplicationStatus,
    RejectionStatus,
    SendStatus,
)
from intake.domain.model import Outcome, Term
from intake.domain.search import SearchToken

T = TypeVar("T")


# -- paging and sorting -------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """Which slice of a list: ``limit`` rows (all when None) after skipping ``offset``."""

    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if self.offset < 0 or (self.limit is not None and self.limit < 0):
            raise ValueError("limit and offset cannot be negative")


ALL = Page()  # every row


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list and the size of the whole list (for "1–20 of 29")."""

    items: tuple[T, ...]
    total: int
    page: Page = Page()

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when none)."""
        return self.page.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.page.offset + len(self.items)

    @property
    def is_partial(self) -> bool:
        return len(self.items) < self.total


class RejectionSort(StrEnum):
    RECEIVED = "received"  # the server's receipt time
    ID = "id"
    NAME = "name"  # the romaji name of the subject
    STATUS = "status"


# -- filters --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageFilter:
    outcome: Outcome | None = None
    search: tuple[SearchToken, ...] = ()


@dataclass(frozen=True)
class RejectionFilter:
    """Which rejections to list. ``status`` None means open and resolved alike; ``term``
    matches mail received in the term's period or placed in the term; ``notified`` True means
    a deficiency notice may have reached the applicant (sent, or its fate unknown)."""

    status: RejectionStatus | None = RejectionStatus.OPEN
    term: Term | None = None
    reason: str | None = None
    notified: bool | None = None
    received_since: datetime | None = None
    received_before: datetime | None = None  # exclusive
    search: tuple[SearchToken, ...] = ()
    sort: RejectionSort = RejectionSort.ID
    descending: bool = False


@dataclass(frozen=True)
class ApplicationFilter:
    term_id: int | None = None
    status: ApplicationStatus | None = None  # None: current and superseded
    search: tuple[SearchToken, ...] = ()


@dataclass(frozen=True)
class AckFilter:
    status: SendStatus | None = None
    application_id: int | None = None
    search: tuple[SearchToken, ...] = ()
