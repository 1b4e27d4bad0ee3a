"""Reading the fields of one form: where each value is, what it says, and what is wrong with it.

A field is found by its label text near the documented cell, so inserted rows and moved blocks do
not matter; its value keeps its documented position relative to the label. How a value is read
depends on its kind (:data:`PARSERS`). Problems become :class:`FormIssue` s in Japanese that name
the sheet, the cell and the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email

from intake.adapters.formgrid import (
    Cell,
    Grid,
    address_of,
    cell_at,
    label_key,
    moved,
    shift_between,
)
from intake.adapters.formspecs import FieldSpec, FormSpec, Spill, ValueKind
from intake.domain.forms import FormIssue, Mark, Qualification
from intake.domain.labels import DOC_LABELS
from intake.domain.values import (
    Parsed,
    cell_text,
    fold,
    is_katakana,
    normalize_phone,
    normalize_postal_code,
    normalize_romaji,
    parse_choice,
    parse_date,
    parse_int,
    parse_mark,
    parse_yes_no,
)


class ValueSpec(Protocol):
    """What reading a value needs of its field or table column."""

    @property
    def choices(self) -> tuple[str, ...]: ...
    @property
    def unit(self) -> str | None: ...


def _parse_email(raw: object, spec: ValueSpec) -> Parsed[str]:
    text = cell_text(raw)
    if text is None:
        return Parsed(None)
    value = re.sub(r"^mailto:", "", fold(text), flags=re.IGNORECASE)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return Parsed(None, f"メールアドレスの形式になっていません（「{text}」）")
    return Parsed(value)


def _parse_text(raw: object, spec: ValueSpec) -> Parsed[str]:
    return Parsed(cell_text(raw))


# How a value of each kind is read; kinds not listed are text. (Checkbox marks are read apart:
# they have no "blank", only unchecked.)
PARSERS: dict[ValueKind, Callable[[object, ValueSpec], Parsed[Any]]] = {
    ValueKind.DATE: lambda raw, spec: parse_date(raw),
    ValueKind.INT: lambda raw, spec: parse_int(raw, unit=spec.unit),
    ValueKind.CHOICE: lambda raw, spec: parse_choice(raw, spec.choices),
    ValueKind.BOOL_YESNO: lambda raw, spec: parse_yes_no(raw),
    ValueKind.POSTAL_CODE: lambda raw, spec: normalize_postal_code(raw),
    ValueKind.PHONE: lambda raw, spec: normalize_phone(raw),
    ValueKind.ROMAJI: lambda raw, spec: Parsed(normalize_romaji(raw)),
    ValueKind.EMAIL: _parse_email,
}


def parse_value(kind: ValueKind, raw: object, spec: ValueSpec) -> Parsed[Any]:
    """A non-blank cell read as ``kind``."""
    return PARSERS.get(kind, _parse_text)(raw, spec)


@dataclass
class FieldReader:
    """Reads one form's fields from its grid, collecting what is wrong with them as issues."""

    spec: FormSpec
    grid: Grid
    issues: list[FormIssue] = field(default_factory=list)

    # -- messages ------------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        document = DOC_LABELS[self.spec.doc_type]
        if self.grid.title == self.spec.sheet_name:
            return document
        return f"{document}（シート「{self.grid.title}」）"

    def where(self, cell: Cell, label: str) -> str:
        return f"{self.prefix} {address_of(cell)}（{label}）"

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
                cell=address_of(cell) if cell is not None else None,
                field=name,
                label=label,
                message=message,
                severity=severity,
            )
        )

    # -- locating ------------------------------------------------------------------------------

    def find_label(self, label: str, guess: Cell) -> tuple[Cell, str | None] | None:
        """The label's cell near ``guess`` and any text typed after the label in that cell."""
        key = label_key(label)
        longer = [
            label_key(f.label) for f in self.spec.fields if len(label_key(f.label)) > len(key)
        ]
        longer += [label_key(q.name) for q in self.spec.qualifications]
        rows = range(max(1, guess[0] - self.spec.search_above), guess[0] + self.spec.search_below)
        exact: list[Cell] = []
        prefixed: list[tuple[Cell, str]] = []
        for cell, value in self.grid.cells(rows):
            if not isinstance(value, str):
                continue
            text = label_key(value)
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
        found = self.find_label(spec.label, cell_at(spec.label_cell))
        if found is None:
            return cell_at(spec.label_cell), cell_at(spec.value_cell), None
        label_cell, after = found
        return label_cell, moved(spec.value_cell, shift_between(label_cell, spec.label_cell)), after

    # -- one field -----------------------------------------------------------------------------

    def read_field(self, spec: FieldSpec) -> object:
        label_cell, value_cell, after = self.locate(spec)
        shift = shift_between(label_cell, spec.label_cell)
        raw = self.grid.raw(value_cell)
        label = spec.display_label
        where = self.where(value_cell, label)

        # Values typed next to where they belong.
        strays: list[tuple[Cell, str, str]] = []
        if spec.label_cell_spill and after:
            strays.append((label_cell, "項目名の欄", after))
        for spill in spec.spills:
            cell = moved(spill.cell, shift)
            text = _spilled(self.grid.raw(cell), spill)
            if text:
                strays.append((cell, spill.description or "隣の欄", text))
        if strays:
            cell, description, text = strays[0]
            spot = f"{address_of(cell)}（{description}）"
            if is_blank(raw, spec.kind):
                raw = text
                message = (
                    f"{where}が空欄で、{spot}に「{text}」と記入されています。"
                    f"この値を{label}として読み取りました。"
                )
            else:
                message = (
                    f"{self.prefix} {spot}に「{text}」と記入されています。"
                    f"{label}の記入欄は {address_of(value_cell)} です。確認してください。"
                )
            self.add(message, cell=cell, name=spec.name, label=spec.label, severity="warning")
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
                    f"{where}のチェック欄の「{cell_text(raw)}」がチェックかどうか判別できません。"
                    "確認してください。"
                )
            elif mark is Mark.UNCHECKED and spec.required:
                self.add(
                    f"{where}にチェックがありません。", cell=cell, name=spec.name, label=spec.label
                )
            return mark
        if cell_text(raw) is None:
            if spec.required:
                self.add(f"{where}が空欄です。", cell=cell, name=spec.name, label=spec.label)
            return None
        parsed = parse_value(kind, raw, spec)
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
            name_doc = cell_at(spec.name_cell)
            found = self.find_label(spec.name, name_doc)
            name_cell = found[0] if found is not None else name_doc
            shift = shift_between(name_cell, spec.name_cell)
            mark_cell = moved(spec.mark_cell, shift)
            reg_cell = moved(spec.registration_cell, shift)
            raw_mark = self.grid.raw(mark_cell)
            mark = parse_mark(raw_mark)
            registration = cell_text(self.grid.raw(reg_cell))
            where = self.where(mark_cell, spec.name)
            if mark is Mark.UNKNOWN:
                self.add(
                    f"{where}のチェック欄の「{cell_text(raw_mark)}」がチェックかどうか"
                    "判別できません。確認してください。",
                    cell=mark_cell,
                    name="qualifications",
                    label=spec.name,
                    severity="warning",
                )
            elif mark is Mark.UNCHECKED and registration is not None:
                self.add(
                    f"{self.where(reg_cell, spec.name + 'の登録番号等')}に「{registration}」と"
                    f"記入されていますが、{address_of(mark_cell)} にチェックがありません。"
                    "確認してください。",
                    cell=reg_cell,
                    name="qualifications",
                    label=spec.name,
                    severity="warning",
                )
            result.append(Qualification(name=spec.name, mark=mark, registration_no=registration))
        return tuple(result)


def is_blank(raw: object, kind: ValueKind) -> bool:
    if kind is ValueKind.MARK:
        return parse_mark(raw) is Mark.UNCHECKED
    return cell_text(raw) is None


def _after_label(value: str, label: str) -> str:
    """What follows the label in a label cell: 「メールアドレス a@example.jp」 → a@example.jp."""
    text = value.strip()
    # When the label was typed with other widths or spaces, drop as many folded characters.
    rest = text[len(label) :] if text.startswith(label) else fold(text)[len(fold(label)) :]
    return rest.strip(" \u3000:：")


def _spilled(raw: object, spill: Spill) -> str | None:
    text = cell_text(raw)
    if text is None:
        return None
    if spill.printed and spill.printed in text:
        text = text.replace(spill.printed, "", 1)
    elif spill.printed and label_key(text) == label_key(spill.printed):
        return None
    text = text.strip(" \u3000:：")
    return text or None
