"""Reading the agency's two Excel forms into :mod:`intake.domain.forms` models.

The layout comes from :mod:`intake.adapters.formspecs`. A form is recognised by its form
number (A1) and title (A2) on any sheet, falling back to the document properties; fields are
found by their label text near the documented cell, so inserted rows and moved blocks do not
matter. Only a bounded window of each sheet is ever read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from intake.adapters.formspecs import (
    FORM_SPECS,
    FieldSpec,
    FormSpec,
    Spill,
    TableSpec,
    ValueKind,
)
from intake.adapters.workbook import WorkbookError, open_workbook
from intake.domain.forms import (
    ApplicationForm,
    ExperienceDeclaration,
    ExperienceEntry,
    FormIssue,
    FormReading,
    Mark,
    Qualification,
)
from intake.domain.labels import DOC_LABELS
from intake.domain.model import DocType, ReasonCode
from intake.domain.values import (
    Parsed,
    clean_text,
    fold,
    is_katakana,
    is_ongoing,
    normalize_phone,
    normalize_postal_code,
    normalize_romaji,
    parse_choice,
    parse_date,
    parse_int,
    parse_mark,
    parse_yes_no,
)

# How much of a sheet is ever looked at.
_IDENTITY_ROWS = 6  # the form number and title may have moved down a little
_MAX_COLUMNS = 12  # A..L: the forms use A..H; a column or two may have been inserted
_MAX_MERGED_RANGES = 5_000

Cell = tuple[int, int]  # (row, column), 1-based


def _cell(address: str) -> Cell:
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", address)
    if match is None:
        raise ValueError(f"not a cell address: {address}")
    return int(match[2]), int(column_index_from_string(match[1]))


def _moved(documented: str, shift: Cell) -> Cell:
    """A documented address moved by (rows, columns)."""
    row, col = _cell(documented)
    return row + shift[0], col + shift[1]


def _shift(found: Cell, documented: str) -> Cell:
    row, col = _cell(documented)
    return found[0] - row, found[1] - col


def _address(cell: Cell) -> str:
    return f"{get_column_letter(cell[1])}{cell[0]}"


def _key(raw: object) -> str:
    """How labels are compared: width-folded, without spaces or a trailing colon."""
    return re.sub(r"[\s:]", "", fold(raw))


# ---------------------------------------------------------------------------------------------
# A bounded, read-only view of one worksheet
# ---------------------------------------------------------------------------------------------


class _Grid:
    """The top-left ``rows`` x ``columns`` of a sheet, merged cells resolved to their anchor."""

    def __init__(self, worksheet: Any, rows: int, columns: int = _MAX_COLUMNS) -> None:
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


# ---------------------------------------------------------------------------------------------
# Finding the form in the workbook
# ---------------------------------------------------------------------------------------------


def _grid_rows(spec: FormSpec) -> int:
    documented = [_cell(f.label_cell)[0] for f in spec.fields]
    documented += [_cell(f.value_cell)[0] for f in spec.fields]
    if spec.table is not None:
        documented.append(spec.table.last_data_row + 1)
    return max(documented) + spec.search_below + 5


def _title_matches(spec: FormSpec, texts: Sequence[str]) -> bool:
    markers = [_key(m) for m in spec.title_markers]
    return any(all(m in text for m in markers) for text in texts)


def _number_matches(spec: FormSpec, texts: Sequence[str]) -> bool:
    number = re.sub(r"[()]", "", _key(spec.form_number))
    return any(re.sub(r"[()]", "", text) == number for text in texts)


def _identity_texts(worksheet: Any) -> list[str]:
    grid = _Grid(worksheet, _IDENTITY_ROWS)
    return [_key(v) for _, v in grid.cells(range(1, _IDENTITY_ROWS + 1)) if isinstance(v, str)]


def _labels_found(spec: FormSpec, grid: _Grid) -> int:
    keys = {_key(f.label) for f in spec.fields}
    found = {_key(v) for _, v in grid.cells(range(1, grid.rows + 1)) if isinstance(v, str)}
    return len(keys & found)


def _property_form_id(workbook: Any) -> str | None:
    try:
        for prop in workbook.custom_doc_props.props:
            if str(prop.name).casefold() == "formid" and prop.value:
                return str(prop.value).strip()
    except AttributeError:
        pass
    keywords = getattr(workbook.properties, "keywords", None)
    return str(keywords).strip() if keywords else None


@dataclass
class _Found:
    spec: FormSpec
    grid: _Grid
    warnings: list[str] = field(default_factory=list)
    term_known: bool = True  # False when title and properties are gone: 第何期 is unknown


def _worksheets(workbook: Any) -> list[Any]:
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "merged_cells")]
    return sorted(sheets, key=lambda ws: ws.sheet_state != "visible")  # visible first, stable


def _filled(spec: FormSpec, grid: _Grid) -> int:
    return sum(grid.raw(_cell(f.value_cell)) not in (None, "", "□") for f in spec.fields)


def _identify(workbook: Any, doc_type: DocType, specs: Sequence[FormSpec]) -> _Found:
    wanted = [s for s in specs if s.doc_type is doc_type]
    others = [s for s in specs if s.doc_type is not doc_type]
    sheets = _worksheets(workbook)
    # 1. Form number and title on a sheet (survives renaming and copying into a new book).
    matches: list[tuple[FormSpec, Any]] = []
    other_form = False
    for worksheet in sheets:
        texts = _identity_texts(worksheet)
        spec = next((s for s in wanted if _title_matches(s, texts)), None)
        if spec is not None:
            matches.append((spec, worksheet))
        elif any(_title_matches(s, texts) for s in others):
            other_form = True
    if matches:
        grids = [(_Grid(ws, _grid_rows(spec)), spec) for spec, ws in matches]
        grid, spec = max(grids, key=lambda pair: _filled(pair[1], pair[0]))
        found = _Found(spec, grid)
        if len(grids) > 1:
            titles = "、".join(f"「{g.title}」" for g, _ in grids)
            found.warnings.append(
                f"ブックに様式のシートが複数あります（{titles}）。"
                f"記入の多いシート「{grid.title}」を読み取りました。"
            )
        return found
    # 2. The document properties, with a sheet that carries the form's labels.
    form_id = _property_form_id(workbook)
    by_property = [s for s in wanted if s.form_id == form_id]
    by_number: list[FormSpec] = []
    for worksheet in sheets:
        texts = _identity_texts(worksheet)
        by_number += [s for s in wanted if _number_matches(s, texts) and s not in by_number]
    core_title = getattr(workbook.properties, "title", None)
    by_core = [s for s in wanted if core_title and _key(core_title) == _key(s.core_title)]
    for candidates in (by_property, by_number, by_core):
        if not candidates:
            continue
        spec = candidates[0]
        best: _Grid | None = None
        for worksheet in sheets:
            grid = _Grid(worksheet, _grid_rows(spec))
            if _labels_found(spec, grid) * 2 >= len({_key(f.label) for f in spec.fields}) and (
                best is None or _filled(spec, grid) > _filled(spec, best)
            ):
                best = grid
        if best is None:
            continue
        found = _Found(spec, best)
        if spec.term is not None and len({s.term for s in candidates}) > 1:
            found.term_known = False
            found.warnings.append(
                "表題が見つからないため、第何期の様式か判別できません（受信日時で期を判断します）。"
            )
        return found
    document = DOC_LABELS[doc_type]
    if other_form:
        cause = f"{document}ではなく別の様式です"
    else:
        cause = f"{document}の様式番号と表題が見つかりません"
    raise WorkbookError(ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE, cause)


# ---------------------------------------------------------------------------------------------
# Reading fields
# ---------------------------------------------------------------------------------------------


@dataclass
class _Reader:
    spec: FormSpec
    grid: _Grid
    issues: list[FormIssue] = field(default_factory=list)

    # -- messages ------------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        document = DOC_LABELS[self.spec.doc_type]
        if self.grid.title == self.spec.sheet_name:
            return document
        return f"{document}（シート「{self.grid.title}」）"

    def where(self, cell: Cell, label: str) -> str:
        return f"{self.prefix} {_address(cell)}（{label}）"

    def add(
        self,
        message: str,
        *,
        cell: Cell | None = None,
        name: str | None = None,
        label: str | None = None,
        severity: str = "error",
    ) -> None:
        self.issues.append(
            FormIssue(
                sheet=self.grid.title,
                cell=_address(cell) if cell is not None else None,
                field=name,
                label=label,
                message=message,
                severity=severity,
            )
        )

    # -- locating ------------------------------------------------------------------------------

    def find_label(self, label: str, guess: Cell) -> tuple[Cell, str | None] | None:
        """The label's cell near ``guess`` and any text typed after the label in that cell."""
        key = _key(label)
        longer = [_key(f.label) for f in self.spec.fields if len(_key(f.label)) > len(key)]
        longer += [_key(q.name) for q in self.spec.qualifications]
        rows = range(max(1, guess[0] - self.spec.search_above), guess[0] + self.spec.search_below)
        exact: list[Cell] = []
        prefixed: list[tuple[Cell, str]] = []
        for cell, value in self.grid.cells(rows):
            if not isinstance(value, str):
                continue
            text = _key(value)
            if text == key:
                exact.append(cell)
            elif text.startswith(key) and not any(text.startswith(k) for k in longer if key in k):
                prefixed.append((cell, _after_label(value, label)))

        def distance(cell: Cell) -> tuple[int, int]:
            return abs(cell[0] - guess[0]), abs(cell[1] - guess[1])

        if exact:
            return min(exact, key=distance), None
        if prefixed:
            return min(prefixed, key=lambda pair: distance(pair[0]))
        return None

    def locate(self, spec: FieldSpec) -> tuple[Cell, Cell, str | None]:
        """(label cell, value cell, text typed after the label) for one field.

        The value keeps its documented position relative to the label; without the label the
        documented cells are used.
        """
        found = self.find_label(spec.label, _cell(spec.label_cell))
        if found is None:
            return _cell(spec.label_cell), _cell(spec.value_cell), None
        label_cell, after = found
        return label_cell, _moved(spec.value_cell, _shift(label_cell, spec.label_cell)), after

    # -- one field -----------------------------------------------------------------------------

    def read_field(self, spec: FieldSpec) -> object:
        label_cell, value_cell, after = self.locate(spec)
        shift = _shift(label_cell, spec.label_cell)
        raw = self.grid.raw(value_cell)
        label = spec.display_label
        where = self.where(value_cell, label)

        # Values typed next to where they belong.
        strays: list[tuple[Cell, str, str]] = []
        if spec.label_cell_spill and after:
            strays.append((label_cell, "項目名の欄", after))
        for spill in spec.spills:
            cell = _moved(spill.cell, shift)
            text = _spilled(self.grid.raw(cell), spill)
            if text:
                strays.append((cell, spill.description or "隣の欄", text))
        if strays:
            cell, description, text = strays[0]
            spot = f"{_address(cell)}（{description}）"
            if _blank(raw, spec.kind):
                raw = text
                self.add(
                    f"{where}が空欄で、{spot}に「{text}」と記入されています。"
                    f"この値を{label}として読み取りました。",
                    cell=cell,
                    name=spec.name,
                    label=spec.label,
                    severity="warning",
                )
            else:
                self.add(
                    f"{self.prefix} {spot}に「{text}」と記入されています。"
                    f"{label}の記入欄は {_address(value_cell)} です。確認してください。",
                    cell=cell,
                    name=spec.name,
                    label=spec.label,
                    severity="warning",
                )
        return self.convert(spec.kind, raw, value_cell, spec, where)

    def convert(
        self, kind: ValueKind, raw: object, cell: Cell, spec: FieldSpec, where: str
    ) -> object:
        def warn(message: str) -> None:
            self.add(message, cell=cell, name=spec.name, label=spec.label, severity="warning")

        if kind is ValueKind.MARK:
            mark = parse_mark(raw)
            if mark is Mark.UNKNOWN:
                warn(
                    f"{where}のチェック欄の「{clean_text(raw)}」がチェックかどうか判別できません。"
                    "確認してください。"
                )
            elif mark is Mark.UNCHECKED and spec.required:
                self.add(
                    f"{where}にチェックがありません。", cell=cell, name=spec.name, label=spec.label
                )
            return mark
        if clean_text(raw) is None:
            if spec.required:
                self.add(f"{where}が空欄です。", cell=cell, name=spec.name, label=spec.label)
            return None
        parsed = self.parse(kind, raw, spec.choices, spec.unit)
        self.report(
            parsed, where, required=spec.required, cell=cell, name=spec.name, label=spec.label
        )
        value = parsed.value
        if kind is ValueKind.NAME and isinstance(value, str) and is_katakana(value):
            warn(
                f"{where}がカタカナのみで記入されています（「{value}」）。"
                "漢字の氏名がない場合はこのままで構いません。確認してください。"
            )
        return value

    @staticmethod
    def parse(
        kind: ValueKind, raw: object, choices: Sequence[str], unit: str | None
    ) -> Parsed[Any]:
        if kind is ValueKind.DATE:
            return parse_date(raw)
        if kind is ValueKind.INT:
            return parse_int(raw, unit=unit)
        if kind is ValueKind.CHOICE:
            return parse_choice(raw, choices)
        if kind is ValueKind.BOOL_YESNO:
            return parse_yes_no(raw)
        if kind is ValueKind.POSTAL_CODE:
            return normalize_postal_code(raw)
        if kind is ValueKind.PHONE:
            return normalize_phone(raw)
        if kind is ValueKind.ROMAJI:
            return Parsed(normalize_romaji(raw))
        if kind is ValueKind.EMAIL:
            return _parse_email(raw)
        return Parsed(clean_text(raw))

    def report(
        self,
        parsed: Parsed[Any],
        where: str,
        *,
        required: bool,
        cell: Cell,
        name: str,
        label: str,
    ) -> None:
        if parsed.problem is not None:
            self.add(
                f"{where}が{parsed.problem}。",
                cell=cell,
                name=name,
                label=label,
                severity="error" if required else "warning",
            )
        if parsed.note is not None:
            self.add(
                f"{where}の{parsed.note}。", cell=cell, name=name, label=label, severity="warning"
            )

    def read_fields(self) -> dict[str, object]:
        return {f.name: self.read_field(f) for f in self.spec.fields}

    # -- qualifications ------------------------------------------------------------------------

    def read_qualifications(self) -> tuple[Qualification, ...]:
        result = []
        for spec in self.spec.qualifications:
            name_doc = _cell(spec.name_cell)
            found = self.find_label(spec.name, name_doc)
            name_cell = found[0] if found is not None else name_doc
            shift = _shift(name_cell, spec.name_cell)
            mark_cell = _moved(spec.mark_cell, shift)
            reg_cell = _moved(spec.registration_cell, shift)
            raw_mark = self.grid.raw(mark_cell)
            mark = parse_mark(raw_mark)
            registration = clean_text(self.grid.raw(reg_cell))
            where = self.where(mark_cell, spec.name)
            if mark is Mark.UNKNOWN:
                self.add(
                    f"{where}のチェック欄の「{clean_text(raw_mark)}」がチェックかどうか"
                    "判別できません。確認してください。",
                    cell=mark_cell,
                    name="qualifications",
                    label=spec.name,
                    severity="warning",
                )
            elif mark is Mark.UNCHECKED and registration is not None:
                self.add(
                    f"{self.where(reg_cell, spec.name + 'の登録番号等')}に「{registration}」と"
                    f"記入されていますが、{_address(mark_cell)} にチェックがありません。"
                    "確認してください。",
                    cell=reg_cell,
                    name="qualifications",
                    label=spec.name,
                    severity="warning",
                )
            result.append(Qualification(name=spec.name, mark=mark, registration_no=registration))
        return tuple(result)

    # -- the experience table ------------------------------------------------------------------

    def read_table(
        self, table: TableSpec, declared_on: date | None
    ) -> tuple[list[ExperienceEntry], list[str], int | None]:
        header = self.find_header(table)
        if header is None:
            self.add(
                f"{self.prefix}の実務経験の表（見出し「{table.columns[1].header}」などの行）が"
                "見つかりません。",
                severity="error",
            )
            return [], [], None
        header_row, columns = header
        total_row = self.find_total_row(table, header_row)
        end = total_row if total_row is not None else self.table_end(header_row, table)
        entries: list[ExperienceEntry] = []
        notes: list[str] = []
        for row in range(header_row + 1, end):
            raw = {c.field: self.grid.raw((row, columns[c.field])) for c in table.columns}
            texts = {k: clean_text(v) for k, v in raw.items() if k != "no"}
            filled = {k: v for k, v in texts.items() if v is not None}
            if not filled:
                continue
            has_data = any(texts[k] for k in ("period_from", "period_to", "days_worked"))
            if not has_data and len(filled) == 1:
                notes.extend(filled.values())
                continue
            entries.append(self.read_entry(table, row, columns, raw, declared_on))
        declared_total: int | None = None
        if total_row is not None:
            total = self.grid.raw((total_row, columns["days_worked"]))
            if isinstance(total, int | float) and not isinstance(total, bool):
                parsed_total = parse_int(total)
                declared_total = parsed_total.value
        return entries, notes, declared_total

    def find_header(self, table: TableSpec) -> tuple[int, dict[str, int]] | None:
        keys = {_key(c.header): c for c in table.columns}
        rows = range(
            max(1, table.header_row - self.spec.search_above),
            table.header_row + self.spec.search_below,
        )
        best: tuple[int, dict[str, int]] | None = None
        for row in rows:
            found: dict[str, int] = {}
            for (_, col), value in self.grid.cells(range(row, row + 1)):
                column = keys.get(_key(value))
                if column is not None and column.field not in found:
                    found[column.field] = col
            if len(found) * 2 > len(table.columns) and (best is None or len(found) > len(best[1])):
                best = (row, found)
        if best is None:
            return None
        row, found = best
        # A header text that was not found keeps its documented column.
        columns = {
            c.field: found.get(c.field, column_index_from_string(c.column)) for c in table.columns
        }
        return row, columns

    def find_total_row(self, table: TableSpec, header_row: int) -> int | None:
        key = _key(table.total_label)
        total_col = column_index_from_string(table.total_column)
        for row in range(header_row + 1, header_row + table.max_rows + 1):
            for _, value in self.grid.cells(range(row, row + 1), range(1, total_col)):
                if isinstance(value, str) and _key(value) == key:
                    return row
        return None

    def table_end(self, header_row: int, table: TableSpec) -> int:
        """Without a 合計 row: stop at the first label printed below the table."""
        below = [f for f in self.spec.fields if _cell(f.label_cell)[0] > table.last_data_row]
        keys = {_key(f.label) for f in below} | {_key("上記のとおり相違ありません。")}
        bound = min(self.grid.rows + 1, header_row + table.max_rows + 1)
        for row in range(header_row + 1, bound):
            for _, value in self.grid.cells(range(row, row + 1)):
                if isinstance(value, str) and _key(value) in keys:
                    self.add_missing_total(table)
                    return row
        self.add_missing_total(table)
        return bound

    def add_missing_total(self, table: TableSpec) -> None:
        self.add(
            f"{self.prefix}の実務経験の表に「{table.total_label}」の行が見つかりません。"
            "表の範囲を確認してください。",
            severity="warning",
        )

    def read_entry(
        self,
        table: TableSpec,
        row: int,
        columns: dict[str, int],
        raw: dict[str, object],
        declared_on: date | None,
    ) -> ExperienceEntry:
        def where(name: str) -> tuple[Cell, str, str]:
            spec = table.column(name)
            cell = (row, columns[name])
            return cell, self.where(cell, spec.header), spec.header

        values: dict[str, object] = {}
        for column in table.columns:
            cell, here, header = where(column.field)
            value = raw[column.field]
            if column.allow_ongoing and is_ongoing(value):
                values["ongoing"] = True
                continue
            if column.field == "no":  # often blank or duplicated in inserted rows: not checked
                values["no"] = parse_int(value).value
                continue
            required = column.required
            if clean_text(value) is None:
                if required:
                    extra = (
                        "（継続中の場合は「現在」と記入してください）"
                        if column.allow_ongoing
                        else ""
                    )
                    self.add(
                        f"{here}が空欄です{extra}。", cell=cell, name=column.field, label=header
                    )
                continue
            parsed = self.parse(column.kind, value, column.choices, column.unit)
            self.report(parsed, here, required=required, cell=cell, name=column.field, label=header)
            values[column.field] = parsed.value
        entry = ExperienceEntry.model_validate({"row": row, **values})
        self.check_entry(entry, table, columns, declared_on)
        return entry

    def check_entry(
        self,
        entry: ExperienceEntry,
        table: TableSpec,
        columns: dict[str, int],
        declared_on: date | None,
    ) -> None:
        start, end = entry.period_from, entry.period_to
        from_cell = (entry.row, columns["period_from"])
        to_cell = (entry.row, columns["period_to"])
        if start is not None and end is not None and start > end:
            self.add(
                f"{self.prefix} {_address(from_cell)}・{_address(to_cell)}（期間）の"
                f"開始日 {_jp(start)} が終了日 {_jp(end)} より後になっています。",
                cell=from_cell,
                name="period_from",
                label=table.column("period_from").header,
            )
            return
        if entry.ongoing and end is None:
            end = declared_on
        if start is None or end is None or entry.days_worked is None or end < start:
            return
        calendar_days = (end - start).days + 1
        if entry.days_worked > calendar_days:
            days_cell = (entry.row, columns["days_worked"])
            self.add(
                f"{self.where(days_cell, table.column('days_worked').header)}の "
                f"{entry.days_worked} 日が、期間（{_jp(start)}～{_jp(end)}、{calendar_days} 日間）"
                "の日数を超えています。確認してください。",
                cell=days_cell,
                name="days_worked",
                label=table.column("days_worked").header,
                severity="warning",
            )


def _jp(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _blank(raw: object, kind: ValueKind) -> bool:
    if kind is ValueKind.MARK:
        return parse_mark(raw) is Mark.UNCHECKED
    return clean_text(raw) is None


def _after_label(value: str, label: str) -> str:
    """What follows the label in a label cell: 「メールアドレス a@example.jp」 → a@example.jp."""
    text = value.strip()
    # When the label was typed with other widths or spaces, drop as many folded characters.
    rest = text[len(label) :] if text.startswith(label) else fold(text)[len(fold(label)) :]
    return rest.strip(" \u3000:：")


def _spilled(raw: object, spill: Spill) -> str | None:
    text = clean_text(raw)
    if text is None:
        return None
    if spill.printed and spill.printed in text:
        text = text.replace(spill.printed, "", 1)
    elif spill.printed and _key(text) == _key(spill.printed):
        return None
    text = text.strip(" \u3000:：")
    return text or None


def _parse_email(raw: object) -> Parsed[str]:
    text = clean_text(raw)
    if text is None:
        return Parsed(None)
    value = re.sub(r"^mailto:", "", fold(text), flags=re.IGNORECASE)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return Parsed(None, f"メールアドレスの形式になっていません（「{text}」）")
    return Parsed(value)


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def read_application_form(
    data: bytes, filename: str, specs: Sequence[FormSpec] = FORM_SPECS
) -> FormReading:
    """様式1 受講申込書. Raises WorkbookError when unreadable or not the agency's form."""
    del filename  # the caller names the file in its own messages
    workbook = open_workbook(data)
    found = _identify(workbook, DocType.APPLICATION_FORM, specs)
    reader = _Reader(found.spec, found.grid)
    for warning in found.warnings:
        reader.add(f"{reader.prefix}：{warning}", severity="warning")
    values = reader.read_fields()
    application = ApplicationForm.model_validate(
        {
            "form_id": found.spec.form_id,
            "term": found.spec.term if found.term_known else None,
            "qualifications": reader.read_qualifications(),
            **values,
        }
    )
    return FormReading(application=application, issues=tuple(reader.issues))


def read_experience_sheet(
    data: bytes, filename: str, specs: Sequence[FormSpec] = FORM_SPECS
) -> FormReading:
    """様式2 実務経験申告書. Raises WorkbookError when unreadable or not the agency's form."""
    del filename
    workbook = open_workbook(data)
    found = _identify(workbook, DocType.EXPERIENCE_SHEET, specs)
    reader = _Reader(found.spec, found.grid)
    for warning in found.warnings:
        reader.add(f"{reader.prefix}：{warning}", severity="warning")
    values = reader.read_fields()
    entries: list[ExperienceEntry] = []
    notes: list[str] = []
    declared_total = None
    if found.spec.table is not None:
        declared_on = values.get("declaration_date")
        entries, notes, declared_total = reader.read_table(
            found.spec.table, declared_on if isinstance(declared_on, date) else None
        )
    experience = ExperienceDeclaration.model_validate(
        {
            "form_id": found.spec.form_id,
            "entries": tuple(entries),
            "table_notes": tuple(notes),
            "declared_total": declared_total,
            **values,
        }
    )
    return FormReading(experience=experience, issues=tuple(reader.issues))
