"""The layout of each version of the agency's Excel forms, as data.

One :class:`FormSpec` per form version. The reader finds a field by its label text (applicants
insert rows and move things); the documented cells below are its first guess, and the value
cell's position relative to the label cell is what it keeps when the label has moved.
Next year's forms are new entries in :data:`FORM_SPECS`, not code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from intake.domain.forms import (
    EXEMPTING_QUALIFICATIONS,
    OPERATOR_TYPES,
    PREFECTURES,
    ROLES,
)
from intake.domain.model import DocType


class ValueKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INT = "int"
    MARK = "mark"  # a checkbox cell: □ / ■ …
    CHOICE = "choice"  # one of FieldSpec.choices
    BOOL_YESNO = "bool_yesno"  # はい / いいえ
    EMAIL = "email"
    PHONE = "phone"
    POSTAL_CODE = "postal_code"
    ROMAJI = "romaji"
    NAME = "name"  # a name in kanji: katakana only gets a warning


@dataclass(frozen=True)
class Spill:
    """A neighbouring cell where applicants type the value by mistake.

    ``printed`` is what the blank form prints there (removed before looking for a value).
    """

    cell: str  # documented address, e.g. "E7"; moves with the field's label
    printed: str = ""
    description: str = ""  # how an operator would call it, e.g. 「記入例の欄」


@dataclass(frozen=True)
class FieldSpec:
    name: str  # FORMS.md / pydantic field name
    label: str  # the label text printed on the form
    label_cell: str  # documented label cell (anchor when merged)
    value_cell: str  # documented value cell (anchor when merged)
    kind: ValueKind = ValueKind.TEXT
    choices: tuple[str, ...] = ()
    required: bool = False
    unit: str | None = None  # for INT: the unit applicants type after the number (件, 日)
    spills: tuple[Spill, ...] = ()
    # Whether a value typed into the label cell after the label belongs to this field
    # (False for fields sharing another field's label, and for checkbox statements).
    label_cell_spill: bool = True
    # The name operators read in messages when it differs from the label (所在地 → 郵便番号).
    display: str | None = None

    @property
    def display_label(self) -> str:
        return self.display or self.label


@dataclass(frozen=True)
class QualificationSpec:
    """One preprinted qualification row: a checkbox, the name, a registration number."""

    name: str  # one of EXEMPTING_QUALIFICATIONS, printed in name_cell
    name_cell: str
    mark_cell: str
    registration_cell: str


@dataclass(frozen=True)
class ColumnSpec:
    field: str  # ExperienceEntry field
    header: str  # header text in the header row
    column: str  # documented column letter
    kind: ValueKind = ValueKind.TEXT
    choices: tuple[str, ...] = ()
    unit: str | None = None
    required: bool = False  # in a row that holds an entry
    allow_ongoing: bool = False  # 現在 / 継続中 instead of a date (sets ExperienceEntry.ongoing)


@dataclass(frozen=True)
class TableSpec:
    header_row: int  # documented header row
    first_data_row: int
    last_data_row: int  # documented last preprinted row (10 rows)
    columns: tuple[ColumnSpec, ...]
    total_label: str  # 合計
    total_column: str  # the column of the (untrusted) total formula
    max_rows: int = 200  # how far below the header the 合計 row may have moved

    def column(self, field: str) -> ColumnSpec:
        return next(c for c in self.columns if c.field == field)


@dataclass(frozen=True)
class FormSpec:
    form_id: str  # FormId custom property, e.g. "CSF-R7-FORM1-T1"
    doc_type: DocType
    sheet_name: str
    form_number: str  # A1 text, e.g. （様式1）
    form_number_cell: str
    title: str  # A2 text
    title_cell: str
    core_title: str  # document property "title"
    title_markers: tuple[str, ...]  # texts the A2 title must contain to be this version
    term: int | None  # 1 / 2 for the 様式1 versions; None for 様式2 (both terms)
    fields: tuple[FieldSpec, ...]
    qualifications: tuple[QualificationSpec, ...] = ()
    qualifications_heading: str | None = None
    table: TableSpec | None = None
    columns: str = "ABCDEFGH"  # the columns the form uses (search width)
    search_above: int = 10  # how far above the documented row a label may be
    search_below: int = 60  # how far below (inserted rows)

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


# ---------------------------------------------------------------------------------------------
# 令和7年度 様式1 受講申込書
# ---------------------------------------------------------------------------------------------

_R7_TITLE = "令和7年度 外国人支援コーディネーター養成研修"
_ROMAJI_EXAMPLE = "例：YAMADA Taro（姓は全て大文字）"
_ONE_STOP_NOTE = "※「はい」又は「いいえ」を選択してください。"

_R7_FORM1_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("application_date", "申込日", "G3", "H3", ValueKind.DATE),
    FieldSpec("name_kanji", "氏名（漢字）", "A6", "B6", ValueKind.NAME, required=True),
    FieldSpec("name_kana", "ふりがな", "E6", "F6"),
    FieldSpec(
        "name_romaji",
        "氏名（ローマ字）",
        "A7",
        "B7",
        ValueKind.ROMAJI,
        required=True,
        spills=(Spill("E7", _ROMAJI_EXAMPLE, "記入例の欄"),),
    ),
    FieldSpec("birth_date", "生年月日", "A8", "B8", ValueKind.DATE, required=True),
    FieldSpec("nationality", "国籍", "E8", "F8"),
    FieldSpec("email", "メールアドレス", "A9", "B9", ValueKind.EMAIL, required=True),
    FieldSpec("phone", "電話番号", "E9", "F9", ValueKind.PHONE, required=True),
    FieldSpec("org_name", "所属機関名", "A12", "B12", required=True),
    FieldSpec(
        "postal_code",
        "所在地",
        "A13",
        "C13",
        ValueKind.POSTAL_CODE,
        spills=(Spill("B13", "〒", "「〒」の欄"),),
        display="所在地・郵便番号",
    ),
    FieldSpec(
        "prefecture",
        "所在地",
        "A13",
        "D13",
        ValueKind.CHOICE,
        choices=PREFECTURES,
        required=True,
        label_cell_spill=False,
        display="所在地・都道府県",
    ),
    FieldSpec("address", "所在地", "A13", "E13", label_cell_spill=False, display="所在地"),
    FieldSpec("window_name", "相談窓口の名称", "A14", "B14", required=True),
    FieldSpec(
        "operator_type", "窓口の運営主体", "A15", "B15", ValueKind.CHOICE, choices=OPERATOR_TYPES
    ),
    FieldSpec(
        "is_one_stop_center",
        "一元的相談窓口（外国人受入環境整備交付金の交付対象）",
        "A16",
        "B16",
        ValueKind.BOOL_YESNO,
        spills=(Spill("C16", _ONE_STOP_NOTE, "注記の欄"),),
        display="一元的相談窓口",
    ),
    FieldSpec(
        "annual_consultations",
        "年間相談件数（令和6年度実績）",
        "A17",
        "B17",
        ValueKind.INT,
        unit="件",
    ),
    FieldSpec("annual_open_days", "年間開設日数", "E17", "F17", ValueKind.INT, unit="日"),
    FieldSpec("role", "現在の立場", "A18", "B18", ValueKind.CHOICE, choices=ROLES, required=True),
    FieldSpec("job_title", "職名", "A19", "B19"),
    FieldSpec(
        "consent_privacy",
        "個人情報の取扱いについて同意します。",
        "B29",
        "A29",
        ValueKind.MARK,
        required=True,
        label_cell_spill=False,
    ),
    FieldSpec(
        "consent_truthful",
        "記載内容に相違ないことを誓約します。",
        "B30",
        "A30",
        ValueKind.MARK,
        required=True,
        label_cell_spill=False,
    ),
    FieldSpec(
        "remarks",
        "備考（受講にあたり配慮を要する事項等）",
        "A32",
        "A33",
        label_cell_spill=False,
        display="備考",
    ),
)

_R7_QUALIFICATIONS: tuple[QualificationSpec, ...] = tuple(
    QualificationSpec(name, f"B{row}", f"A{row}", f"F{row}")
    for row, name in enumerate(EXEMPTING_QUALIFICATIONS, start=22)
)


def _r7_form1(term: int) -> FormSpec:
    return FormSpec(
        form_id=f"CSF-R7-FORM1-T{term}",
        doc_type=DocType.APPLICATION_FORM,
        sheet_name="受講申込書",
        form_number="（様式1）",
        form_number_cell="A1",
        title=f"{_R7_TITLE} 受講申込書（第{term}期研修用）",
        title_cell="A2",
        core_title="受講申込書",
        title_markers=("受講申込書", f"第{term}期"),
        term=term,
        fields=_R7_FORM1_FIELDS,
        qualifications=_R7_QUALIFICATIONS,
        qualifications_heading="保有資格",
    )


R7_FORM1_T1 = _r7_form1(1)
R7_FORM1_T2 = _r7_form1(2)

# ---------------------------------------------------------------------------------------------
# 令和7年度 様式2 実務経験申告書
# ---------------------------------------------------------------------------------------------

R7_FORM2 = FormSpec(
    form_id="CSF-R7-FORM2",
    doc_type=DocType.EXPERIENCE_SHEET,
    sheet_name="実務経験申告書",
    form_number="（様式2）",
    form_number_cell="A1",
    title=f"{_R7_TITLE} 実務経験申告書",
    title_cell="A2",
    core_title="実務経験申告書",
    title_markers=("実務経験申告書",),
    term=None,
    fields=(
        FieldSpec("name_kanji", "氏名（漢字）", "A4", "B4", ValueKind.NAME),
        FieldSpec("name_romaji", "氏名（ローマ字）", "E4", "F4", ValueKind.ROMAJI, required=True),
        FieldSpec("declaration_date", "申告日", "A21", "B21", ValueKind.DATE),
        FieldSpec("signer_name", "氏名", "E21", "F21", display="申告者氏名"),
    ),
    table=TableSpec(
        header_row=7,
        first_data_row=8,
        last_data_row=17,
        columns=(
            ColumnSpec("no", "No.", "A", ValueKind.INT),
            ColumnSpec("period_from", "期間（自）", "B", ValueKind.DATE, required=True),
            ColumnSpec(
                "period_to", "期間（至）", "C", ValueKind.DATE, required=True, allow_ongoing=True
            ),
            ColumnSpec("organisation", "所属機関名", "D"),
            ColumnSpec("window_name", "相談窓口の名称", "E"),
            ColumnSpec("employment_type", "雇用形態", "F", ValueKind.CHOICE, ("常勤", "非常勤")),
            ColumnSpec("days_worked", "従事日数", "G", ValueKind.INT, unit="日", required=True),
            ColumnSpec("duties", "業務内容", "H"),
        ),
        total_label="合計",
        total_column="G",
    ),
    search_below=220,
)

FORM_SPECS: tuple[FormSpec, ...] = (R7_FORM1_T1, R7_FORM1_T2, R7_FORM2)


def spec_by_id(form_id: str) -> FormSpec | None:
    return next((s for s in FORM_SPECS if s.form_id == form_id), None)
