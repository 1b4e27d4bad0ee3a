"""A bounded, read-only view of a worksheet, and how the form reader names its cells.

Only the top-left ``rows`` x :data:`MAX_COLUMNS` of a sheet is ever read; merged cells resolve
to their anchor. Labels are compared by :func:`label_key` (width-folded, no spaces or colon).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from intake.domain.values import fold

MAX_COLUMNS = 12  # A..L: the forms use A..H; a column or two may have been inserted
_MAX_MERGED_RANGES = 5_000

Cell = tuple[int, int]  # (row, column), 1-based


def cell_at(address: str) -> Cell:
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", address)
    if match is None:
        raise ValueError(f"not a cell address: {address}")
    return int(match[2]), int(column_index_from_string(match[1]))


def moved(documented: str, shift: Cell) -> Cell:
    """A documented address moved by (rows, columns)."""
    row, col = cell_at(documented)
    return row + shift[0], col + shift[1]


def shift_between(found: Cell, documented: str) -> Cell:
    row, col = cell_at(documented)
    return found[0] - row, found[1] - col


def address_of(cell: Cell) -> str:
    return f"{get_column_letter(cell[1])}{cell[0]}"


def label_key(raw: object) -> str:
    """How labels are compared: width-folded, without spaces or a trailing colon."""
    return re.sub(r"[\s:]", "", fold(raw))


class Grid:
    """The top-left ``rows`` x ``columns`` of a sheet, merged cells resolved to their anchor."""

    def __init__(self, worksheet: Any, rows: int, columns: int = MAX_COLUMNS) -> None:
        self.title: str = str(worksheet.title)
        self.visible: bool = worksheet.sheet_state == "visible"
        self.rows = max(0, min(rows, int(worksheet.max_row or 0)))
        self.columns = max(0, min(columns, int(worksheet.max_column or 0)))
        self._values: list[tuple[object, ...]] = []
        if self.rows and self.columns:
            self._values = [
                tuple(row)
                for row in worksheet.iter_rows(
                    min_row=1, max_row=self.rows, max_col=self.columns, values_only=True
                )
            ]
        self._anchor: dict[Cell, Cell] = {}
        for index, merged in enumerate(worksheet.merged_cells.ranges):
            if index >= _MAX_MERGED_RANGES:
                break
            top, left = int(merged.min_row), int(merged.min_col)
            for row in range(top, min(int(merged.max_row), self.rows) + 1):
                for col in range(left, min(int(merged.max_col), self.columns) + 1):
                    if (row, col) != (top, left):
                        self._anchor[(row, col)] = (top, left)

    def raw(self, cell: Cell) -> object:
        row, col = self._anchor.get(cell, cell)
        if not (1 <= row <= self.rows and 1 <= col <= self.columns):
            return None
        return self._values[row - 1][col - 1]

    def anchor(self, cell: Cell) -> Cell:
        return self._anchor.get(cell, cell)

    def cells(self, rows: range, columns: range | None = None) -> Iterable[tuple[Cell, object]]:
        columns = columns or range(1, self.columns + 1)
        for row in rows:
            if not 1 <= row <= self.rows:
                continue
            values = self._values[row - 1]
            for col in columns:
                if 1 <= col <= self.columns and values[col - 1] is not None:
                    yield (row, col), values[col - 1]
