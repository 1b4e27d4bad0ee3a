"""The selection workbook (選考表): written for the agency, read back with its decisions.

First sheet 選考: a few lines saying what to do (and that the order is only a suggestion),
then one header row (row 5, within the first ten rows as promised to scripts) with 受付番号
and 決定 among its columns, one row per candidate below it, and a list validation
(決定 / 補欠 / 見送り) on the 決定 cells. Second sheet 対象外: the ineligible applications (never
read back). Third sheet 集計: counts per prefecture and operator type, the one-stop share and
the capacity. A hidden sheet ``intake`` holds the workbook's id, its term and the checksum of
its application ids, so an import knows intake prepared it for that term.

Everything an applicant wrote is written as text, never as a formula.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from intake.adapters.exports import HEADER_FILL, Column, atomic_in_folder, set_xlsx_value
from intake.adapters.workbook import Limits, WorkbookError, open_workbook
from intake.domain.labels import DECISION_LABELS
from intake.domain.selection import SelectionSummary
from intake.domain.selection_import import SheetRow
from intake.domain.timefmt import format_jst_letter

SELECTION_SHEET = "選考"
INELIGIBLE_SHEET = "対象外（資格なし）"
SUMMARY_SHEET = "集計"
META_SHEET = "intake"
REFERENCE_HEADER = "受付番号"
DECISION_HEADER = "決定"
HEADER_ROW = 5
HEADER_SEARCH_ROWS = 10  # the header row is looked for in the first ten rows
INPUT_FILL = "FFF2CC"  # the cells the agency fills in
SUGGESTION_NOTE = (
    "並び順は目安です（一元的相談窓口の職員を先に、次に年間相談件数の多い順、同じなら受信の"
    "早い順）。選考するのは出入国在留管理庁で、intake は決めません。"
)
INPUT_NOTE = (
    "「決定」の列に 決定・補欠・見送り のどれかを入力してください。並べ替えや絞り込みは自由です"
    "が、行を消したり受付番号を書き換えたりしないでください。"
)
# A selection workbook is small; these only keep a wrong file from being read at length.
READ_LIMITS = Limits(max_rows_per_sheet=20_000, max_cells=400_000)


@dataclass(frozen=True)
class BookRow:
    """One application as the workbook lists it."""

    reference: str
    name_kanji: str | None
    name_romaji: str
    org_name: str | None
    prefecture: str | None
    window_name: str | None
    operator_type: str | None
    is_one_stop_center: bool | None
    annual_consultations: int | None
    annual_open_days: int | None
    worked_days: int | None  # 従事日数 as declared, all rows together
    eligibility_label: str
    prefecture_candidates: int  # candidates of the same prefecture in this term
    rank: int | None = None  # place in the suggested order (candidates only)


@dataclass(frozen=True)
class BookContent:
    token: str
    checksum: str
    term_id: int
    term_name: str
    notice_deadline: datetime | None
    prepared_at: datetime
    candidates: Sequence[BookRow]  # in the suggested order
    ineligible: Sequence[BookRow]
    summary: SelectionSummary


@dataclass(frozen=True)
class ReadBook:
    """What an import needs from a workbook: its identity and the first sheet's rows."""

    token: str
    term_id: int | None
    checksum: str
    rows: tuple[SheetRow, ...]


class SelectionBookError(Exception):
    """The file is no selection workbook intake can read; str() is one Japanese line."""


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("はい" if value else "いいえ")


_FIELDS: tuple[tuple[Column, Any], ...] = (
    (Column(REFERENCE_HEADER, 12), lambda r: r.reference),
    (Column("氏名", 16), lambda r: r.name_kanji),
    (Column("氏名（ローマ字）", 20), lambda r: r.name_romaji),
    (Column("所属機関名", 28), lambda r: r.org_name),
    (Column("都道府県", 10), lambda r: r.prefecture),
    (Column("相談窓口の名称", 28), lambda r: r.window_name),
    (Column("窓口の運営主体", 22), lambda r: r.operator_type),
    (Column("一元的相談窓口", 12), lambda r: _yes_no(r.is_one_stop_center)),
    (Column("年間相談件数", 12, "number"), lambda r: r.annual_consultations),
    (Column("年間開設日数", 12, "number"), lambda r: r.annual_open_days),
    (Column("従事日数（申告の合計）", 14, "number"), lambda r: r.worked_days),
    (Column("受講資格", 10), lambda r: r.eligibility_label),
    (Column("同じ都道府県の候補者数", 14, "number"), lambda r: r.prefecture_candidates),
)
RANK = (Column("順位（目安）", 10, "id"), lambda r: r.rank)
DECISION = (Column(DECISION_HEADER, 10), lambda r: None)


def write_selection_book(path: Path, content: BookContent) -> None:
    """Write the workbook atomically (a reader never sees half a file)."""
    book = Workbook()
    first = book.active
    assert first is not None
    _selection_sheet(first, content)
    _table(
        book.create_sheet(INELIGIBLE_SHEET),
        f"{content.term_name} 対象外（受講資格なし。選考の対象ではなく、取り込みもしません）",
        list(_FIELDS),
        content.ineligible,
    )
    _summary_sheet(book.create_sheet(SUMMARY_SHEET), content)
    meta = book.create_sheet(META_SHEET)
    meta["A1"] = "intake が選考表を見分けるためのシートです。変更しないでください。"
    for row, (key, value) in enumerate(
        (("workbook", content.token), ("term", content.term_id), ("checksum", content.checksum)),
        start=2,
    ):
        meta.cell(row=row, column=1, value=key)
        meta.cell(row=row, column=2, value=value)
    meta.sheet_state = "hidden"
    with atomic_in_folder(path) as tmp:
        book.save(tmp)


def _selection_sheet(sheet: Any, content: BookContent) -> None:
    sheet.title = SELECTION_SHEET
    deadline = (
        f"通知期日: {format_jst_letter(content.notice_deadline)}"
        if content.notice_deadline
        else "通知期日: 未設定"
    )
    title = (
        f"{content.term_name} 選考表（定員 {content.summary.capacity} 名、"
        f"選考対象 {content.summary.candidates} 名）　{deadline}"
    )
    fields = [RANK, *_FIELDS, DECISION]
    last = _table(sheet, title, fields, content.candidates, notes=(SUGGESTION_NOTE, INPUT_NOTE))
    column = get_column_letter(len(fields))
    if last >= HEADER_ROW + 1:
        choices = ",".join(DECISION_LABELS.values())
        validation = DataValidation(
            type="list",
            formula1=f'"{choices}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="決定",
            error=f"{choices.replace(',', '・')} のどれかを選んでください",
        )
        validation.add(f"{column}{HEADER_ROW + 1}:{column}{last}")
        sheet.add_data_validation(validation)
        fill = PatternFill("solid", fgColor=INPUT_FILL)
        for row in range(HEADER_ROW + 1, last + 1):
            sheet[f"{column}{row}"].fill = fill


def _table(
    sheet: Any,
    title: str,
    fields: Sequence[tuple[Column, Any]],
    rows: Sequence[BookRow],
    *,
    notes: Sequence[str] = (),
) -> int:
    """The title, notes, header row (HEADER_ROW) and rows; the last row's number."""
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=12)
    for offset, note in enumerate(notes, start=2):
        sheet.cell(row=offset, column=1, value=note)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for index, (column, _) in enumerate(fields, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    row_number = HEADER_ROW
    for row_number, row in enumerate(rows, start=HEADER_ROW + 1):
        for index, (column, value_of) in enumerate(fields, start=1):
            set_xlsx_value(sheet.cell(row=row_number, column=index), column, value_of(row))
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(fields))}{row_number}"
    return row_number


def _summary_sheet(sheet: Any, content: BookContent) -> None:
    summary = content.summary
    text = Column("", 30)
    number = Column("", 12, "number")
    lines: list[tuple[str, object]] = [
        ("期", content.term_name),
        ("定員", summary.capacity),
        ("選考対象（資格あり・要確認）", summary.candidates),
        ("うち一元的相談窓口の職員", summary.one_stop),
        ("一元的相談窓口の職員の割合", f"{summary.one_stop_share:.1%}"),
        ("対象外（資格なし）", len(content.ineligible)),
        ("定員を超えているか", "はい" if summary.over_capacity else "いいえ"),
        (
            "通知期日",
            format_jst_letter(content.notice_deadline) if content.notice_deadline else "未設定",
        ),
        ("作成日時", format_jst_letter(content.prepared_at)),
    ]
    sheet["A1"] = f"{content.term_name} 選考表の集計"
    sheet["A1"].font = Font(bold=True, size=12)
    row = 3
    for label_text, value in lines:
        sheet.cell(row=row, column=1, value=label_text).font = Font(bold=True)
        set_xlsx_value(
            sheet.cell(row=row, column=2), number if isinstance(value, int) else text, value
        )
        row += 1
    for heading, counts in (
        ("都道府県別（選考対象）", summary.by_prefecture),
        ("窓口の運営主体別（選考対象）", summary.by_operator_type),
    ):
        row += 1
        sheet.cell(row=row, column=1, value=heading).font = Font(bold=True)
        sheet.cell(row=row, column=2, value="件数").font = Font(bold=True)
        for name, count in counts:
            row += 1
            set_xlsx_value(sheet.cell(row=row, column=1), text, name)
            set_xlsx_value(sheet.cell(row=row, column=2), number, count)
        row += 1
    sheet.cell(row=row + 1, column=1, value=SUGGESTION_NOTE)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 30


# -- reading back ----------------------------------------------------------------------------
def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def _header_key(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split())


def read_selection_book(data: bytes) -> ReadBook:
    """The workbook's identity and its first sheet's rows; SelectionBookError otherwise."""
    try:
        book = open_workbook(data, READ_LIMITS)
    except WorkbookError as exc:
        raise SelectionBookError(f"Excel ファイルとして読めません（{exc.cause}）") from None
    if META_SHEET not in book.sheetnames:
        raise SelectionBookError(
            "intake が作った選考表ではありません（管理用の非表示シートがありません）。"
            "intake selection prepare で作った選考表に決定を書いて取り込んでください"
        )
    meta = book[META_SHEET]
    token = _text(meta["B2"].value) or ""
    checksum = _text(meta["B4"].value) or ""
    term = _text(meta["B3"].value)
    sheet = book.worksheets[0]
    header_row, columns = _find_header(sheet)
    rows: list[SheetRow] = []
    reference_col, decision_col = columns
    for number, cells in enumerate(
        sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
    ):
        reference = _text(cells[reference_col] if reference_col < len(cells) else None)
        decision = _text(cells[decision_col] if decision_col < len(cells) else None)
        if reference is None and decision is None:
            continue
        rows.append(SheetRow(number, reference, decision))
    return ReadBook(
        token=token,
        term_id=int(term) if term is not None and term.isdigit() else None,
        checksum=checksum,
        rows=tuple(rows),
    )


def _find_header(sheet: Any) -> tuple[int, tuple[int, int]]:
    for number, cells in enumerate(
        sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
    ):
        keys = [_header_key(value) for value in cells]
        if REFERENCE_HEADER in keys and DECISION_HEADER in keys:
            return number, (keys.index(REFERENCE_HEADER), keys.index(DECISION_HEADER))
    raise SelectionBookError(
        f"最初のシート（{sheet.title}）の 1〜{HEADER_SEARCH_ROWS} 行目に、"
        f"「{REFERENCE_HEADER}」と「{DECISION_HEADER}」の見出しがある行が見つかりません"
    )
