"""Tables written for people: .xlsx for Excel, or CSV that Excel opens correctly.

The one place that writes spreadsheets (the cutoff's roster and the operators' exports).
Columns are declared once with their header, width and kind, so the cells of a column are
always written the same way: dates as real Excel dates (Tokyo wall-clock time, as the
secretariat reads it), numbers as numbers, text as text (never as a formula). Every file is
written to a temporary file next to the target and renamed over it, so a reader never sees
half a file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from intake.adapters.filestore import atomic_target
from intake.domain.model import TOKYO

Format = Literal["xlsx", "csv"]
# text: a string; wrap: a string shown on several lines; id: an integer shown as is;
# number: an integer or decimal with thousands separators; datetime / date: real dates.
ColumnKind = Literal["text", "wrap", "id", "number", "datetime", "date"]

EXCEL_DATETIME = "yyyy/mm/dd hh:mm"
EXCEL_DATE = "yyyy/mm/dd"
EXCEL_NUMBER = "#,##0"
CSV_DATETIME = "%Y/%m/%d %H:%M"
CSV_DATE = "%Y/%m/%d"

HEADER_FILL = "D9D9D9"
# Characters Excel does not allow in a sheet name.
_SHEET_NAME_INVALID = re.compile(r"[\\/*?:\[\]]")
# A CSV cell starting with one of these is read by Excel as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14
    kind: ColumnKind = "text"


def guess_format(path: Path) -> Format:
    """The format a file name asks for: .csv is CSV, anything else .xlsx."""
    return "csv" if path.suffix.lower() == ".csv" else "xlsx"


def write_table(
    path: Path,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    fmt: Format,
) -> int:
    """Write one table (a header row, then ``rows``) atomically; return the number of rows."""
    with atomic_in_folder(path) as tmp:
        if fmt == "csv":
            return _write_csv(tmp, columns, rows)
        return _write_xlsx(tmp, title, columns, rows)


def excel_local(instant: datetime | None) -> datetime | None:
    """Excel has no time zones: an aware instant becomes Tokyo wall-clock time."""
    if instant is None or instant.tzinfo is None:
        return instant
    return instant.astimezone(TOKYO).replace(tzinfo=None)


# -- xlsx --------------------------------------------------------------------------------------
def _write_xlsx(
    target: Path, title: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]
) -> int:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_name(title)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    for r, row in enumerate(rows, start=2):
        _check_width(row, columns)
        count += 1
        for c, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = sheet.cell(row=r, column=c)
            set_xlsx_value(cell, column, value)
            if column.kind == "wrap":
                cell.alignment = wrap
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    book.save(target)
    return count


def set_xlsx_value(cell: Any, column: Column, value: object) -> None:
    """One cell as its column's kind: dates and numbers as such, text never as a formula."""
    if value is None:
        return
    if isinstance(value, datetime):
        cell.value = excel_local(value)
        cell.number_format = EXCEL_DATETIME
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = EXCEL_DATE
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell.value = value
        if column.kind == "number":
            cell.number_format = EXCEL_NUMBER
    else:
        text = ILLEGAL_CHARACTERS_RE.sub("", _text(value))
        cell.value = text
        # Text from mail is never a formula, even when it starts with "=".
        cell.data_type = "s"


def _sheet_name(title: str) -> str:
    name = _SHEET_NAME_INVALID.sub("_", title).strip("'")[:31]
    return name or "Sheet1"


# -- csv ---------------------------------------------------------------------------------------
def _write_csv(target: Path, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    # utf-8-sig: the BOM makes Excel read the file as UTF-8 rather than Shift_JIS.
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns])
        for row in rows:
            _check_width(row, columns)
            writer.writerow([_csv_value(value) for value in row])
            count += 1
    return count


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = excel_local(value)
        assert local is not None
        return local.strftime(CSV_DATETIME)
    if isinstance(value, date):
        return value.strftime(CSV_DATE)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = _text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# -- shared ------------------------------------------------------------------------------------
def _text(value: object) -> str:
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return str(value)


def _check_width(row: Sequence[object], columns: Sequence[Column]) -> None:
    if len(row) != len(columns):
        raise ValueError(f"row has {len(row)} cells for {len(columns)} columns")


@contextmanager
def atomic_in_folder(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (its folder created) that replaces it on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_target(path) as tmp:
        yield tmp
