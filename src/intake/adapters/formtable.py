"""The experience table of 様式2 (実務経験申告書): its header row, its rows up to 合計, and the
checks that need a whole row (a period that ends before it starts, more days than the period)."""

from __future__ import annotations

from datetime import date

from openpyxl.utils.cell import column_index_from_string

from intake.adapters.formfields import FieldReader, parse_value
from intake.adapters.formgrid import Cell, address_of, cell_at, label_key
from intake.adapters.formspecs import TableSpec
from intake.domain.forms import ExperienceEntry
from intake.domain.timefmt import format_seireki
from intake.domain.values import cell_text, is_ongoing, parse_int


class ExperienceSheetReader(FieldReader):
    """A :class:`FieldReader` that also reads the experience table."""

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
            texts = {k: cell_text(v) for k, v in raw.items() if k != "no"}
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
        keys = {label_key(c.header): c for c in table.columns}
        rows = range(
            max(1, table.header_row - self.spec.search_above),
            table.header_row + self.spec.search_below,
        )
        best: tuple[int, dict[str, int]] | None = None
        for row in rows:
            found: dict[str, int] = {}
            for (_, col), value in self.grid.cells(range(row, row + 1)):
                column = keys.get(label_key(value))
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
        key = label_key(table.total_label)
        total_col = column_index_from_string(table.total_column)
        for row in range(header_row + 1, header_row + table.max_rows + 1):
            for _, value in self.grid.cells(range(row, row + 1), range(1, total_col)):
                if isinstance(value, str) and label_key(value) == key:
                    return row
        return None

    def table_end(self, header_row: int, table: TableSpec) -> int:
        """Without a 合計 row: stop at the first label printed below the table."""
        below = [f for f in self.spec.fields if cell_at(f.label_cell)[0] > table.last_data_row]
        keys = {label_key(f.label) for f in below} | {label_key("上記のとおり相違ありません。")}
        bound = min(self.grid.rows + 1, header_row + table.max_rows + 1)
        for row in range(header_row + 1, bound):
            for _, value in self.grid.cells(range(row, row + 1)):
                if isinstance(value, str) and label_key(value) in keys:
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
            if cell_text(value) is None:
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
            parsed = parse_value(column.kind, value, column)
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
                f"{self.prefix} {address_of(from_cell)}・{address_of(to_cell)}（期間）の"
                f"開始日 {format_seireki(start)} が終了日 {format_seireki(end)} より後に"
                "なっています。",
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
                f"{entry.days_worked} 日が、期間（{format_seireki(start)}～{format_seireki(end)}、"
                f"{calendar_days} 日間）の日数を超えています。確認してください。",
                cell=days_cell,
                name="days_worked",
                label=table.column("days_worked").header,
                severity="warning",
            )
