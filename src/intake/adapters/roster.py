"""Excel rosters for the selection: one row per application of a term.

The columns are declared here once and used by the cutoff's roster and by
`intake export applications` (which adds the application's status).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from intake.adapters.exports import Column, Format, write_table
from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import ACK_LABELS, APPLICATION_STATUS_LABELS, ELIGIBILITY_LABELS, label
from intake.domain.lifecycle import ApplicationStatus, SendStatus


@dataclass(frozen=True)
class RosterRow:
    application_id: int
    reference: str
    name_kanji: str | None
    name_romaji: str
    email: str
    org_name: str | None
    window_name: str | None
    prefecture: str | None
    operator_type: str | None
    is_one_stop_center: bool | None
    annual_consultations: int | None
    annual_open_days: int | None
    role: str | None
    eligibility: EligibilityStatus
    received_at: datetime
    completed_at: datetime
    ack_status: SendStatus | None
    ack_sent_at: datetime | None
    status: ApplicationStatus = ApplicationStatus.ACCEPTED


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("はい" if value else "いいえ")


Cell = Callable[[RosterRow], object]
STATUS_COLUMN = Column("状態", 16)

# One place for the columns, so headers and cells cannot drift.
_FIELDS: tuple[tuple[Column, Cell], ...] = (
    (Column("申込番号", 10, "id"), lambda r: r.application_id),
    (Column("受付番号", 12), lambda r: r.reference),
    (Column("氏名", 16), lambda r: r.name_kanji),
    (Column("氏名（ローマ字）", 20), lambda r: r.name_romaji),
    (Column("メールアドレス", 28), lambda r: r.email),
    (Column("所属機関名", 30), lambda r: r.org_name),
    (Column("相談窓口の名称", 30), lambda r: r.window_name),
    (Column("都道府県", 10), lambda r: r.prefecture),
    (Column("窓口の運営主体", 24), lambda r: r.operator_type),
    (Column("一元的相談窓口", 14), lambda r: _yes_no(r.is_one_stop_center)),
    (Column("年間相談件数", 12, "number"), lambda r: r.annual_consultations),
    (Column("年間開設日数", 12, "number"), lambda r: r.annual_open_days),
    (Column("現在の立場", 22), lambda r: r.role),
    (Column("受講資格", 10), lambda r: label(ELIGIBILITY_LABELS, r.eligibility)),
    (Column("受信日時", 18, "datetime"), lambda r: r.received_at),
    (Column("書類完備日時", 18, "datetime"), lambda r: r.completed_at),
    (STATUS_COLUMN, lambda r: label(APPLICATION_STATUS_LABELS, r.status)),
    (Column("受付完了メール", 14), lambda r: label(ACK_LABELS, r.ack_status)),
    (Column("送信日時", 18, "datetime"), lambda r: r.ack_sent_at),
)


def _fields(with_status: bool) -> list[tuple[Column, Cell]]:
    return [(c, f) for c, f in _FIELDS if with_status or c is not STATUS_COLUMN]


def roster_columns(*, with_status: bool = False) -> list[Column]:
    """The roster's columns; the status column only where superseded rows can appear."""
    return [column for column, _ in _fields(with_status)]


def roster_cells(row: RosterRow, *, with_status: bool = False) -> list[object]:
    return [cell(row) for _, cell in _fields(with_status)]


def write_roster(path: Path, title: str, rows: Sequence[RosterRow]) -> Path:
    """Write the cutoff's roster (current applications) as .xlsx, atomically."""
    write_roster_table(path, title, rows, "xlsx", with_status=False)
    return path


def write_roster_table(
    path: Path, title: str, rows: Iterable[RosterRow], fmt: Format, *, with_status: bool
) -> int:
    """Write roster rows in either format; return the number of rows written."""
    return write_table(
        path,
        title,
        roster_columns(with_status=with_status),
        (roster_cells(r, with_status=with_status) for r in rows),
        fmt,
    )
