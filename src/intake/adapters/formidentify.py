"""Which of the agency's forms a workbook holds, and on which sheet.

A form is recognised by its form number (A1) and title (A2) on any sheet, which survives renaming
and copying into a new book; failing that, by the document properties or the form number,
together with a sheet that carries most of the form's labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from intake.adapters.formgrid import Grid, cell_at, label_key
from intake.adapters.formspecs import FormSpec
from intake.adapters.workbook import WorkbookError
from intake.domain.labels import DOC_LABELS
from intake.domain.model import DocType, ReasonCode

_IDENTITY_ROWS = 6  # the form number and title may have moved down a little


def _grid_rows(spec: FormSpec) -> int:
    documented = [cell_at(f.label_cell)[0] for f in spec.fields]
    documented += [cell_at(f.value_cell)[0] for f in spec.fields]
    if spec.table is not None:
        documented.append(spec.table.last_data_row + 1)
    return max(documented) + spec.search_below + 5


def _title_matches(spec: FormSpec, texts: Sequence[str]) -> bool:
    markers = [label_key(m) for m in spec.title_markers]
    return any(all(m in text for m in markers) for text in texts)


def _number_matches(spec: FormSpec, texts: Sequence[str]) -> bool:
    number = re.sub(r"[()]", "", label_key(spec.form_number))
    return any(re.sub(r"[()]", "", text) == number for text in texts)


def _identity_texts(worksheet: Any) -> list[str]:
    grid = Grid(worksheet, _IDENTITY_ROWS)
    return [label_key(v) for _, v in grid.cells(range(1, _IDENTITY_ROWS + 1)) if isinstance(v, str)]


def _labels_found(spec: FormSpec, grid: Grid) -> int:
    keys = {label_key(f.label) for f in spec.fields}
    found = {label_key(v) for _, v in grid.cells(range(1, grid.rows + 1)) if isinstance(v, str)}
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
class FoundForm:
    spec: FormSpec
    grid: Grid
    warnings: list[str] = field(default_factory=list)
    term_known: bool = True  # False when title and properties are gone: 第何期 is unknown


def _worksheets(workbook: Any) -> list[Any]:
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "merged_cells")]
    return sorted(sheets, key=lambda ws: ws.sheet_state != "visible")  # visible first, stable


def _filled(spec: FormSpec, grid: Grid) -> int:
    return sum(grid.raw(cell_at(f.value_cell)) not in (None, "", "□") for f in spec.fields)


def identify_form(workbook: Any, doc_type: DocType, specs: Sequence[FormSpec]) -> FoundForm:
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
        grids = [(Grid(ws, _grid_rows(spec)), spec) for spec, ws in matches]
        grid, spec = max(grids, key=lambda pair: _filled(pair[1], pair[0]))
        found = FoundForm(spec, grid)
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
    by_core = [s for s in wanted if core_title and label_key(core_title) == label_key(s.core_title)]
    for candidates in (by_property, by_number, by_core):
        if not candidates:
            continue
        spec = candidates[0]
        best: Grid | None = None
        for worksheet in sheets:
            grid = Grid(worksheet, _grid_rows(spec))
            if _labels_found(spec, grid) * 2 >= len({label_key(f.label) for f in spec.fields}) and (
                best is None or _filled(spec, grid) > _filled(spec, best)
            ):
                best = grid
        if best is None:
            continue
        found = FoundForm(spec, best)
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
