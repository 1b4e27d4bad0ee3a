"""Excel rosters for the selection: one row per current application of a term."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from intake.domain.model import TOKYO


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
    eligibility: str
    received_at: datetime
    completed_at: datetime
    ack_status: str | None
    ack_sent_at: datetime | None


ELIGIBILITY_JA = {"eligible": "資格あり", "ineligible": "資格なし", "needs_review": "要確認"}
ACK_JA = {
    "pending": "送信待ち",
    "claimed": "送信待ち",
    "sending": "送信中",
    "sent": "送信済み",
    "held": "保留",
    "failed": "送信失敗",
    "cancelled": "取消",
}

# (header, width, value) — one place for the columns, so headers and cells cannot drift.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("申込番号", 10),
    ("受付番号", 12),
    ("氏名", 16),
    ("氏名（ローマ字）", 20),
    ("メールアドレス", 28),
    ("所属機関名", 30),
    ("相談窓口の名称", 30),
    ("都道府県", 10),
    ("窓口の運営主体", 24),
    ("一元的相談窓口", 14),
    ("年間相談件数", 12),
    ("年間開設日数", 12),
    ("現在の立場", 22),
    ("受講資格", 10),
    ("受信日時", 18),
    ("書類完備日時", 18),
    ("受付完了メール", 14),
    ("送信日時", 18),
)


def _local(instant: datetime | None) -> datetime | None:
    # Excel has no time zones: write Tokyo wall-clock time, as the secretariat reads it.
    return None if instant is None else instant.astimezone(TOKYO).replace(tzinfo=None)


def _cells(row: RosterRow) -> list[object]:
    one_stop = (
        None if row.is_one_stop_center is None else ("はい" if row.is_one_stop_center else "いいえ")
    )
    return [
        row.application_id,
        row.reference,
        row.name_kanji,
        row.name_romaji,
        row.email,
        row.org_name,
        row.window_name,
        row.prefecture,
        row.operator_type,
        one_stop,
        row.annual_consultations,
        row.annual_open_days,
        row.role,
        ELIGIBILITY_JA.get(row.eligibility, row.eligibility),
        _local(row.received_at),
        _local(row.completed_at),
        ACK_JA.get(row.ack_status or "", row.ack_status or ""),
        _local(row.ack_sent_at),
    ]


def write_roster(path: Path, title: str, rows: Sequence[RosterRow]) -> Path:
    """Write the roster atomically (temp file + rename), so a reader never sees half a file."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    for index, (header, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(_cells(row), start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy/mm/dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy/mm/dd"
            elif isinstance(value, int) and c in (11, 12):
                cell.number_format = "#,##0"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(len(rows) + 1, 1)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".roster-", suffix=".xlsx")
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
