"""受講生の決定: the pure rules around the selection the agency makes and intake carries out.

When a term has more applications than places, the agency selects, considering the applicant's
window (annual consultations, days open), avoiding concentration in particular regions, and
giving priority to staff of one-stop centres (一元的相談窓口). intake never decides: it lists
the candidates in a *suggested* order (one-stop-centre staff first, then annual consultations,
most first, then the time the application was received), sums them up, reads the decisions
back and tells the applicants.

The candidates are a term's current applications that are eligible or need review; ineligible
ones are listed apart and never decided on.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import DECISION_LABELS
from intake.domain.lifecycle import Decision, SendStatus

# What a prefecture or operator type left blank is counted as.
NOT_GIVEN = "（記入なし）"

# The eligibility of an application the agency selects among.
CANDIDATE_ELIGIBILITY = frozenset({EligibilityStatus.ELIGIBLE, EligibilityStatus.NEEDS_REVIEW})

_DECISION_BY_LABEL = {text: decision for decision, text in DECISION_LABELS.items()}


class Orderable(Protocol):
    """What the suggested order looks at."""

    @property
    def application_id(self) -> int: ...

    @property
    def is_one_stop_center(self) -> bool | None: ...

    @property
    def annual_consultations(self) -> int | None: ...

    @property
    def received_at(self) -> datetime: ...


C = TypeVar("C", bound=Orderable)


def suggestion_key(candidate: Orderable) -> tuple[int, int, int, datetime, int]:
    """One-stop-centre staff first (unknown counts as not), then annual consultations, most
    first (an unknown count after every known one), then the earlier received, then the id."""
    one_stop = 0 if candidate.is_one_stop_center is True else 1
    consultations = candidate.annual_consultations
    known = 0 if consultations is not None else 1
    return (one_stop, known, -(consultations or 0), candidate.received_at, candidate.application_id)


def suggested_order(candidates: Iterable[C]) -> list[C]:
    """The candidates in the order the workbook suggests (only a suggestion: see the module)."""
    return sorted(candidates, key=suggestion_key)


def id_set_checksum(term_id: int, application_ids: Iterable[int]) -> str:
    """A checksum of the *set* of a workbook's application ids (not of their order, so a
    workbook sorted in Excel still matches), bound to the term."""
    ids = ",".join(str(i) for i in sorted(set(application_ids)))
    return hashlib.sha256(f"intake-selection:{term_id}:{ids}".encode()).hexdigest()


def read_decision(value: object) -> Decision | None:
    """The decision written in a 決定 cell: None for an empty cell, ValueError (Japanese) for
    anything but 決定 / 補欠 / 見送り (full-width and surrounding spaces forgiven)."""
    if value is None:
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    if not text:
        return None
    decision = _DECISION_BY_LABEL.get(text)
    if decision is None:
        allowed = "・".join(DECISION_LABELS.values())
        raise ValueError(f"「{text}」は {allowed} のどれでもありません")
    return decision


def notice_kind(decision: Decision | None, *, notify_not_selected: bool) -> Decision | None:
    """The decision a notice must tell: 決定 always, 見送り when the term says so, else None."""
    if decision is Decision.SELECTED:
        return decision
    if decision is Decision.NOT_SELECTED and notify_not_selected:
        return decision
    return None


def notice_due(
    decision: Decision | None,
    latest: SendStatus | None,
    *,
    notify_not_selected: bool,
) -> bool:
    """Whether a notice of ``decision`` is still to be sent, given the state of the latest
    notice of that decision (None: none yet, or only cancelled ones).

    A notice that failed (nothing was delivered) is due again; one sent, held or sending is
    not: it may have arrived, and only an operator puts it back.
    """
    if notice_kind(decision, notify_not_selected=notify_not_selected) is None:
        return False
    return latest in (None, SendStatus.PENDING, SendStatus.CLAIMED, SendStatus.FAILED)


# -- the summary sheet ---------------------------------------------------------------------------
class Summarisable(Protocol):
    @property
    def prefecture(self) -> str | None: ...

    @property
    def operator_type(self) -> str | None: ...

    @property
    def is_one_stop_center(self) -> bool | None: ...


@dataclass(frozen=True)
class SelectionSummary:
    """What the workbook's summary sheet states about the candidates."""

    candidates: int
    capacity: int
    one_stop: int
    by_prefecture: tuple[tuple[str, int], ...]  # most first, then by name
    by_operator_type: tuple[tuple[str, int], ...]

    @property
    def one_stop_share(self) -> float:
        return self.one_stop / self.candidates if self.candidates else 0.0

    @property
    def over_capacity(self) -> bool:
        return self.candidates > self.capacity


def given(value: str | None) -> str:
    """A prefecture or operator type as counted: as written, or 記入なし when blank."""
    return value.strip() if value and value.strip() else NOT_GIVEN


def _most_first(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def prefecture_counts(candidates: Iterable[Summarisable]) -> Counter[str]:
    """How many candidates each prefecture has (a blank one counted as 記入なし)."""
    return Counter(given(c.prefecture) for c in candidates)


def summarise(candidates: Sequence[Summarisable], capacity: int) -> SelectionSummary:
    return SelectionSummary(
        candidates=len(candidates),
        capacity=capacity,
        one_stop=sum(1 for c in candidates if c.is_one_stop_center is True),
        by_prefecture=_most_first(prefecture_counts(candidates)),
        by_operator_type=_most_first(Counter(given(c.operator_type) for c in candidates)),
    )
