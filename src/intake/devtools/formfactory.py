"""Filled copies of the agency's blank forms, made the way applicants make them.

For tests and demos: start from a blank template in ``devtools/forms/`` (or a filled sample),
set values by field name, insert rows in the experience table as Excel would (cells, merged
ranges, data validations and the SUM formula all move), rename or copy the sheet, type values
into the wrong cell, then take the bytes.

    form = FilledForm.blank("CSF-R7-FORM2")
    form.insert_rows(10)
    form.set_entry(3, period_from="令和5年4月1日", period_to="現在", days_worked="２００日")
    data = form.to_bytes()
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from copy import copy
from pathlib import Path
from typing import Any, Self

import openpyxl
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange

from intake.adapters.formspecs import FormSpec, TableSpec, spec_by_id

FORMS_DIR = Path(__file__).parent / "forms"

TEMPLATES: dict[str, str] = {
    "CSF-R7-FORM1-T1": "受講申込書（第1期研修用）.xlsx",
    "CSF-R7-FORM1-T2": "受講申込書（第2期研修用）.xlsx",
    "CSF-R7-FORM2": "実務経験申告書.xlsx",
}

_REFERENCE = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def sample_path(filename: str) -> Path:
    return FORMS_DIR / filename


def _split(address: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", address)
    if match is None:
        raise ValueError(f"not a cell address: {address}")
    return match[1], int(match[2])


def _shift_references(text: str, at: int, count: int) -> str:
    """Rewrite A1 references the way Excel does when ``count`` rows are inserted at ``at``.

    Every reference to a row at or below ``at`` moves down, so a range grows only when the
    insertion is strictly inside it: =SUM(G8:G17) with a row inserted at 10 becomes
    =SUM(G8:G18); inserted at 8 (the first row) it becomes =SUM(G9:G18), and at 18 (directly
    above 合計) it stays =SUM(G8:G17).
    """

    def move(match: re.Match[str]) -> str:
        row = int(match[4])
        if row >= at:
            row += count
        return f"{match[1]}{match[2]}{match[3]}{row}"

    return _REFERENCE.sub(move, text)


class FilledForm:
    """One workbook being filled in; addresses are the documented ones unless said otherwise."""

    def __init__(self, workbook: Any, spec: FormSpec) -> None:
        self.workbook = workbook
        self.spec = spec
        self.sheet: Any = workbook[spec.sheet_name]
        self._insertions: list[tuple[int, int]] = []

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def blank(cls, form_id: str = "CSF-R7-FORM1-T1") -> Self:
        return cls.load(FORMS_DIR / TEMPLATES[form_id], form_id)

    @classmethod
    def load(cls, path: Path, form_id: str) -> Self:
        spec = spec_by_id(form_id)
        if spec is None:
            raise KeyError(form_id)
        return cls(openpyxl.load_workbook(path), spec)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()

    # -- addresses -----------------------------------------------------------------------------

    def row(self, documented: int) -> int:
        """Where a documented row is now, after the rows inserted so far."""
        for at, count in self._insertions:
            if documented >= at:
                documented += count
        return documented

    def address(self, documented: str) -> str:
        column, row = _split(documented)
        return f"{column}{self.row(row)}"

    # -- values --------------------------------------------------------------------------------

    def write(self, address: str, value: object) -> Self:
        """Write at a current (not documented) address."""
        self.sheet[address] = value
        return self

    def set(self, field: str, value: object) -> Self:
        """Type ``value`` into the field's value cell (a checkbox field takes its mark)."""
        return self.write(self.address(self.spec.field(field).value_cell), value)

    def fill(self, **values: object) -> Self:
        for field, value in values.items():
            self.set(field, value)
        return self

    def clear(self, *fields: str) -> Self:
        for field in fields:
            self.set(field, None)
        return self

    def write_in_label_cell(self, field: str, value: str, separator: str = " ") -> Self:
        """The applicant types the value into the label cell, after the label."""
        spec = self.spec.field(field)
        return self.write(self.address(spec.label_cell), f"{spec.label}{separator}{value}")

    def write_in_spill_cell(self, field: str, value: str, *, keep_printed: bool = True) -> Self:
        """The value goes into the field's neighbouring cell (〒 cell, note cell …)."""
        spill = self.spec.field(field).spills[0]
        text = f"{spill.printed}{value}" if keep_printed and spill.printed == "〒" else value
        return self.write(self.address(spill.cell), text)

    def set_qualification(
        self, name: str, mark: str = "■", registration_no: str | None = None
    ) -> Self:
        spec = next(q for q in self.spec.qualifications if q.name == name)
        self.write(self.address(spec.mark_cell), mark)
        if registration_no is not None:
            self.write(self.address(spec.registration_cell), registration_no)
        return self

    # -- the experience table ------------------------------------------------------------------

    @property
    def table(self) -> TableSpec:
        if self.spec.table is None:
            raise ValueError(f"{self.spec.form_id} has no table")
        return self.spec.table

    def entry_row(self, index: int) -> int:
        """The sheet row of the ``index``-th (1-based) data row of the table as it is now."""
        return self.row(self.table.first_data_row) + index - 1

    def set_entry(self, index: int, **values: object) -> Self:
        """Fill one table row by ExperienceEntry field names (no, period_from, …)."""
        row = self.entry_row(index)
        for field, value in values.items():
            self.write(f"{self.table.column(field).column}{row}", value)
        return self

    def insert_rows(self, at_row: int, count: int = 1, no: object = None) -> Self:
        """Insert ``count`` rows before current row ``at_row``, as Excel's 行の挿入 does.

        Cells, merged ranges, data validations and formulas below move down; the new rows
        copy the look of the row above and have ``no`` (blank by default) in the No. column.
        """
        sheet = self.sheet
        merged = [str(r) for r in sheet.merged_cells.ranges]
        for ref in merged:
            sheet.unmerge_cells(ref)
        sheet.insert_rows(at_row, count)
        for ref in merged:
            sheet.merge_cells(_shift_references(ref, at_row, count))
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = _shift_references(cell.value, at_row, count)
        for validation in sheet.data_validations.dataValidation:
            ranges = str(validation.sqref).split()
            validation.sqref = MultiCellRange(
                " ".join(_shift_references(r, at_row, count) for r in ranges)
            )
        if sheet.print_area:
            areas = sheet.print_area if isinstance(sheet.print_area, list) else [sheet.print_area]
            sheet.print_area = [
                _shift_references(a.split("!")[-1], at_row, count) for a in map(str, areas)
            ]
        source = at_row - 1 if at_row > 1 else at_row + count
        for row in range(at_row, at_row + count):
            for col in range(1, len(self.spec.columns) + 1):
                target = sheet.cell(row=row, column=col)
                target._style = copy(sheet.cell(row=source, column=col)._style)
            sheet.cell(row=row, column=1).value = no
        self._insertions.append((at_row, count))
        return self

    # -- sheets and books ----------------------------------------------------------------------

    def rename_sheet(self, title: str) -> Self:
        self.sheet.title = title
        return self

    def add_sheet(self, title: str, index: int = 0, **cells: object) -> Self:
        extra = self.workbook.create_sheet(title, index)
        for address, value in cells.items():
            extra[address] = value
        return self

    def show_list_sheet(self) -> Self:
        for sheet in self.workbook.worksheets:
            sheet.sheet_state = "visible"
        return self

    def duplicate_sheet(self, title: str) -> Self:
        """Excel's シートの移動またはコピー within the book; later values go into the copy."""
        copied = self.workbook.copy_worksheet(self.sheet)
        copied.title = title
        self.sheet = copied
        return self

    def drop_properties(self) -> Self:
        """Lose the FormId custom property, keywords and core title."""
        self.workbook.custom_doc_props.props.clear()
        self.workbook.properties.keywords = None
        self.workbook.properties.title = None
        return self

    def copy_to_new_workbook(self, title: str = "Sheet1") -> Self:
        """The sheet's values and merged cells pasted into a new book: no FormId, no リスト."""
        book = openpyxl.Workbook()
        target = book.active
        target.title = title
        for row in self.sheet.iter_rows():
            for cell in row:
                if cell.value is not None and type(cell).__name__ != "MergedCell":
                    copied = target.cell(row=cell.row, column=cell.column, value=cell.value)
                    copied.number_format = cell.number_format
        for ref in self.sheet.merged_cells.ranges:
            target.merge_cells(str(ref))
        for col in range(1, len(self.spec.columns) + 1):
            letter = get_column_letter(col)
            target.column_dimensions[letter].width = self.sheet.column_dimensions[letter].width
        self.workbook = book
        self.sheet = target
        return self

    def apply(self, change: Callable[[Any], None]) -> Self:
        """Any other edit, on the openpyxl worksheet."""
        change(self.sheet)
        return self


def sample(filename: str) -> bytes:
    """The bytes of a filled sample in devtools/forms/."""
    return sample_path(filename).read_bytes()
