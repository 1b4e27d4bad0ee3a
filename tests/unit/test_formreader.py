"""Reading the two forms: every sample, and variants built the way applicants deviate."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import openpyxl
import pytest

from intake.adapters.formreader import read_application_form, read_experience_sheet
from intake.adapters.formspecs import FORM_SPECS, R7_FORM1_T1
from intake.adapters.workbook import WorkbookError
from intake.devtools.formfactory import FORMS_DIR, FilledForm, sample
from intake.domain.forms import FormIssue, FormReading, Mark
from intake.domain.model import ReasonCode

SAMPLES: list[dict[str, Any]] = json.loads((FORMS_DIR / "samples.json").read_text("utf-8"))

# What the samples' deviating cells mean once read (everything else is ISO dates or as typed).
READ_AS: dict[object, object] = {
    "令和7年6月10日": date(2025, 6, 10),
    "平成2年3月15日": date(1990, 3, 15),
    "令和3年4月1日": date(2021, 4, 1),
    "R4.3.31": date(2022, 3, 31),
    "R4.4.1": date(2022, 4, 1),
    "令和5年3月31日": date(2023, 3, 31),
    "令和5年4月1日": date(2023, 4, 1),
    "令和5年9月30日": date(2023, 9, 30),
    "令和5年10月1日": date(2023, 10, 1),
    "R7.6.10": date(2025, 6, 10),
    "1980/13/45": None,  # unreadable: an error issue
    "０８０－４４１２－７７０３": "080-4412-7703",
    "〒４６０－００１２": "460-0012",
    "約１，２００件": 1200,
    "２４５日": 245,
    "９６日": 96,
    "１５０": 150,
    "６０日": 60,
    "２００日": 200,
    "ＳＵＺＵＫＩ　Ｉｃｈｉｒｏ": "SUZUKI Ichiro",
    "はい": True,
    "いいえ": False,
}
MARKS: dict[object, Mark] = {True: Mark.CHECKED, False: Mark.UNCHECKED, "☑": Mark.CHECKED}
MARKS["レ"] = Mark.CHECKED
DATE_FIELDS = {"application_date", "birth_date", "declaration_date", "period_from", "period_to"}


def expected(field: str, value: object) -> object:
    if field.startswith("consent_"):
        return MARKS[value]
    if isinstance(value, str) and value in READ_AS:
        return READ_AS[value]
    if field in DATE_FIELDS and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def errors(reading: FormReading) -> list[FormIssue]:
    return [i for i in reading.issues if i.severity == "error"]


def warnings(reading: FormReading) -> list[FormIssue]:
    return [i for i in reading.issues if i.severity == "warning"]


def form1_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(s["id"], s["files"]["form1"]) for s in SAMPLES if "form1" in s["files"]]


def form2_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(s["id"], s["files"]["form2"]) for s in SAMPLES if "form2" in s["files"]]


# ---------------------------------------------------------------------------------------------
# The samples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("applicant", "case"), form1_cases(), ids=[c[0] for c in form1_cases()])
def test_application_form_samples(applicant: str, case: dict[str, Any]) -> None:
    reading = read_application_form(sample(case["file"]), case["file"])
    form = reading.application
    assert form is not None and reading.experience is None
    data = dict(case["data"])
    qualifications = data.pop("qualifications", [])
    for field, value in data.items():
        assert getattr(form, field) == expected(field, value), field
    # Fields the sample leaves blank are read as blank.
    for field in ("email", "remarks"):
        if field not in data:
            assert getattr(form, field) is None
    checked = [q for q in form.qualifications if q.mark is Mark.CHECKED]
    assert [(q.name, q.registration_no) for q in checked] == [
        (q["name"], q.get("registration_no")) for q in qualifications
    ]
    assert len(form.qualifications) == 5
    assert form.form_id == f"CSF-R7-FORM1-T{data['term']}"


@pytest.mark.parametrize(("applicant", "case"), form2_cases(), ids=[c[0] for c in form2_cases()])
def test_experience_sheet_samples(applicant: str, case: dict[str, Any]) -> None:
    reading = read_experience_sheet(sample(case["file"]), case["file"])
    sheet = reading.experience
    assert sheet is not None and reading.application is None
    data = dict(case["data"])
    rows = data.pop("experience")
    for field, value in data.items():
        assert getattr(sheet, field) == expected(field, value), field
    real = [r for r in rows if "period_from" in r]
    notes = [r for r in rows if "period_from" not in r]
    assert len(sheet.entries) == len(real)
    for entry, row in zip(sheet.entries, real, strict=True):
        for field, value in row.items():
            if field == "period_to" and value == "現在":
                assert entry.ongoing and entry.period_to is None
            else:
                assert getattr(entry, field) == expected(field, value), (entry.row, field)
    assert list(sheet.table_notes) == [n["organisation"] for n in notes]
    assert sheet.declared_total is None  # saved by openpyxl: no cached value for =SUM(...)
    assert sheet.form_id == "CSF-R7-FORM2"
    assert not errors(reading)


def test_yamada_is_clean() -> None:
    for file, read in (
        ("受講申込書_YAMADA Taro.xlsx", read_application_form),
        ("実務経験申告書_YAMADA Taro.xlsx", read_experience_sheet),
    ):
        assert read(sample(file), file).issues == ()
    sheet = read_experience_sheet(sample("実務経験申告書_YAMADA Taro.xlsx"), "x").experience
    assert sheet is not None and sheet.computed_total == 671


def test_nguyen_inserted_row_and_text_values() -> None:
    sheet = read_experience_sheet(sample("実務経験申告書_NGUYEN Thi Lan.xlsx"), "x").experience
    assert sheet is not None
    assert [e.row for e in sheet.entries] == [8, 9, 10, 11]
    assert [e.no for e in sheet.entries] == [1, 2, None, 3]  # the inserted row has no No.
    assert sheet.computed_total == 96 + 150 + 60 + 200
    assert sheet.entries[-1].ongoing
    assert sheet.declaration_date == date(2025, 6, 10)  # found on row 22, not 21


def test_nguyen_application_warnings() -> None:
    reading = read_application_form(sample("受講申込書_NGUYEN Thi Lan.xlsx"), "x")
    assert not errors(reading)
    by_cell = {i.cell: i for i in warnings(reading)}
    assert by_cell["B17"].message == (
        "受講申込書 B17（年間相談件数（令和6年度実績））の"
        "「約１，２００件」を 1200 と読みました（概数）。"
    )
    assert by_cell["B6"].field == "name_kanji" and "カタカナ" in by_cell["B6"].message


def test_suzuki_has_exactly_the_expected_errors() -> None:
    reading = read_application_form(sample("受講申込書_SUZUKI Ichiro.xlsx"), "x")
    assert reading.application is not None
    assert reading.application.name_romaji == "SUZUKI Ichiro"
    found = {(i.cell, i.field): i.message for i in errors(reading)}
    assert found == {
        ("B9", "email"): "受講申込書 B9（メールアドレス）が空欄です。",
        ("B8", "birth_date"): "受講申込書 B8（生年月日）が日付として読めません（「1980/13/45」）。",
        ("A29", "consent_privacy"): (
            "受講申込書 A29（個人情報の取扱いについて同意します。）にチェックがありません。"
        ),
        ("A30", "consent_truthful"): (
            "受講申込書 A30（記載内容に相違ないことを誓約します。）にチェックがありません。"
        ),
    }
    for issue in errors(reading):
        assert issue.sheet == "受講申込書"
        assert issue.label is not None and issue.label in issue.message


def test_sato_note_row_is_not_an_entry() -> None:
    reading = read_experience_sheet(sample("実務経験申告書_SATO Hanako.xlsx"), "x")
    assert reading.experience is not None
    assert reading.experience.entries == ()
    assert reading.experience.table_notes == ("（社会福祉士の資格を有するため省略）",)
    assert reading.issues == ()


# ---------------------------------------------------------------------------------------------
# Blank forms, terms, identification
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("form_id", "term"), [("CSF-R7-FORM1-T1", 1), ("CSF-R7-FORM1-T2", 2)])
def test_blank_form_term_and_required_fields(form_id: str, term: int) -> None:
    reading = read_application_form(FilledForm.blank(form_id).to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.term == term and reading.application.form_id == form_id
    found = {i.field: i.cell for i in errors(reading)}
    assert found == {
        "name_kanji": "B6",
        "name_romaji": "B7",
        "birth_date": "B8",
        "email": "B9",
        "phone": "F9",
        "org_name": "B12",
        "prefecture": "D13",
        "window_name": "B14",
        "role": "B18",
        "consent_privacy": "A29",
        "consent_truthful": "A30",
    }
    assert not warnings(reading)


def test_blank_experience_sheet() -> None:
    reading = read_experience_sheet(FilledForm.blank("CSF-R7-FORM2").to_bytes(), "x")
    assert reading.experience is not None and reading.experience.entries == ()
    assert [(i.cell, i.field) for i in errors(reading)] == [("F4", "name_romaji")]


def yamada() -> FilledForm:
    return FilledForm.load(FORMS_DIR / "受講申込書_YAMADA Taro.xlsx", "CSF-R7-FORM1-T1")


def nguyen_form1() -> FilledForm:
    return FilledForm.load(FORMS_DIR / "受講申込書_NGUYEN Thi Lan.xlsx", "CSF-R7-FORM1-T2")


def test_renamed_sheet_and_extra_sheets() -> None:
    form = yamada().rename_sheet("Sheet1").add_sheet("メモ", 0, A1="自分用メモ").show_list_sheet()
    form.clear("email")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.name_romaji == "YAMADA Taro"
    [issue] = reading.issues
    assert issue.sheet == "Sheet1"
    assert issue.message == "受講申込書（シート「Sheet1」） B9（メールアドレス）が空欄です。"


def test_sheet_copied_into_a_new_book_is_still_recognised() -> None:
    form = nguyen_form1().copy_to_new_workbook("受講申込書 (2)")
    data = form.to_bytes()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert not book.custom_doc_props.props  # FormId lost
    reading = read_application_form(data, "x")
    assert reading.application is not None
    assert reading.application.term == 2 and reading.application.form_id == "CSF-R7-FORM1-T2"
    assert reading.application.postal_code == "460-0012"


def test_duplicated_sheet_reads_the_filled_copy() -> None:
    form = FilledForm.blank().duplicate_sheet("受講申込書 (2)")
    form.fill(name_kanji="山田 太郎", name_romaji="YAMADA Taro", email="t@example.jp")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.name_romaji == "YAMADA Taro"
    assert any("複数" in i.message for i in warnings(reading))


def test_title_lost_falls_back_to_form_id() -> None:
    form = nguyen_form1().apply(lambda ws: ws.__setitem__("A2", "受講申込書"))
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None and reading.application.term == 2


def test_title_and_form_id_lost_but_form_number_and_labels_remain() -> None:
    form = nguyen_form1().drop_properties().apply(lambda ws: ws.__setitem__("A2", None))
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert any("第何期" in i.message for i in warnings(reading))


def test_non_agency_workbook() -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "受講申込書"
    book.active["A2"] = "氏名"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookError) as caught:
        read_application_form(buffer.getvalue(), "受講申込書_X.xlsx")
    assert caught.value.code is ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE


def test_wrong_form_for_each_reader() -> None:
    with pytest.raises(WorkbookError) as caught:
        read_application_form(sample("実務経験申告書_YAMADA Taro.xlsx"), "x")
    assert caught.value.code is ReasonCode.FORM_NOT_OFFICIAL_TEMPLATE


# ---------------------------------------------------------------------------------------------
# Values in the wrong place
# ---------------------------------------------------------------------------------------------


def test_email_typed_into_the_label_cell() -> None:
    form = yamada().clear("email").write_in_label_cell("email", "taro.yamada@example.jp")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.email == "taro.yamada@example.jp"
    [issue] = reading.issues
    assert issue.severity == "warning" and issue.cell == "A9"
    assert "B9（メールアドレス）が空欄で" in issue.message


def test_postal_code_typed_into_the_postal_mark_cell() -> None:
    form = yamada().clear("postal_code").write_in_spill_cell("postal_code", "２３１－００２３")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.postal_code == "231-0023"
    [issue] = reading.issues
    assert issue.cell == "B13" and issue.severity == "warning"


def test_romaji_typed_over_the_example_note() -> None:
    form = yamada().clear("name_romaji").write_in_spill_cell("name_romaji", "YAMADA Taro")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.name_romaji == "YAMADA Taro"
    [issue] = reading.issues
    assert issue.cell == "E7" and "記入例の欄" in issue.message


def test_note_cell_written_although_the_value_is_there() -> None:
    form = yamada().write("E7", "ローマ字は旅券と同じです")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None and reading.application.name_romaji == "YAMADA Taro"
    [issue] = reading.issues
    assert issue.severity == "warning" and issue.cell == "E7"


def test_rows_inserted_in_the_application_form() -> None:
    form = yamada().insert_rows(5, 2).insert_rows(20)  # above section 1, and inside section 2
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.email == "taro.yamada@example.jp"
    assert reading.application.role == "相談対応者"
    assert reading.application.consent_truthful is Mark.CHECKED
    assert reading.issues == ()
    blanked = yamada().insert_rows(5, 2).clear("email")
    [issue] = read_application_form(blanked.to_bytes(), "x").issues
    assert issue.cell == "B11"  # named where it is now


# ---------------------------------------------------------------------------------------------
# Field values
# ---------------------------------------------------------------------------------------------


def test_bad_values_on_the_application_form() -> None:
    form = yamada().fill(
        email="taro.yamada@@example",
        prefecture="神奈川",
        operator_type="市役所",
        annual_open_days="約2百日",
        consent_privacy="済",
        birth_date="S60.7.12",
        name_kanji="ヤマダ タロウ",
    )
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.prefecture == "神奈川県"
    assert reading.application.birth_date == date(1985, 7, 12)
    assert reading.application.consent_privacy is Mark.UNKNOWN
    assert [(i.cell, i.field) for i in errors(reading)] == [("B9", "email")]
    assert errors(reading)[0].message == (
        "受講申込書 B9（メールアドレス）がメールアドレスの形式になっていません"
        "（「taro.yamada@@example」）。"
    )
    warned = {i.cell for i in warnings(reading)}
    assert warned == {"B6", "D13", "B15", "F17", "A29"}


def test_qualification_marks() -> None:
    form = yamada().set_qualification("公認心理師", "✔", "第12345号")
    form.set_qualification("社会福祉士", "?")
    form.set_qualification("精神保健福祉士", "□", "第1号")
    reading = read_application_form(form.to_bytes(), "x")
    assert reading.application is not None
    assert reading.application.declared_qualifications == ("公認心理師",)
    assert {i.cell for i in warnings(reading)} == {"A22", "F26"}


# ---------------------------------------------------------------------------------------------
# The experience table
# ---------------------------------------------------------------------------------------------

ENTRIES: list[dict[str, object]] = [
    {
        "period_from": "R2.4.1",
        "period_to": "R3.3.31",
        "organisation": "甲",
        "days_worked": "９０日",
    },
    {"period_from": "2021/4/1", "period_to": "2022/3/31", "organisation": "乙", "days_worked": 100},
    {"period_from": date(2022, 4, 1), "period_to": "現在", "organisation": "丙", "days_worked": 50},
]


def experience(*insert_at: int) -> FilledForm:
    form = FilledForm.blank("CSF-R7-FORM2").fill(name_romaji="TEST Taro", declaration_date="R7.5.1")
    for at in insert_at:
        form.insert_rows(at)
    return form


@pytest.mark.parametrize(
    ("insert_at", "formula"),
    [(8, "=SUM(G9:G18)"), (10, "=SUM(G8:G18)"), (18, "=SUM(G8:G17)")],
    ids=["first-table-row", "middle", "above-total"],
)
def test_inserted_rows(insert_at: int, formula: str) -> None:
    form = experience(insert_at)
    assert form.sheet["G19"].value == formula
    rows = {8: [8, 9, 10], 10: [8, 9, 10], 18: [9, 10, 18]}[insert_at]
    for row, values in zip(rows, ENTRIES, strict=True):
        for field, value in values.items():
            form.write(f"{form.table.column(field).column}{row}", value)
    reading = read_experience_sheet(form.to_bytes(), "x")
    sheet = reading.experience
    assert sheet is not None
    assert [e.row for e in sheet.entries] == rows
    assert sheet.computed_total == 240
    assert sheet.entries[2].ongoing
    assert sheet.declaration_date == date(2025, 5, 1)
    assert not errors(reading), reading.issues


def test_many_inserted_rows() -> None:
    form = experience().insert_rows(12, 30, no="")
    for index in range(1, 41):
        form.set_entry(index, period_from="2021/4/1", period_to="2021/4/30", days_worked=5)
    reading = read_experience_sheet(form.to_bytes(), "x")
    assert reading.experience is not None
    assert len(reading.experience.entries) == 40
    assert reading.experience.computed_total == 200
    assert reading.experience.declaration_date == date(2025, 5, 1)


def test_declared_total_is_kept_only_when_a_number() -> None:
    form = experience().set_entry(1, period_from="2021/4/1", period_to="2021/4/30", days_worked=5)
    reading = read_experience_sheet(form.write("G18", 0).to_bytes(), "x")
    assert reading.experience is not None
    assert reading.experience.declared_total == 0 and reading.experience.computed_total == 5
    reading = read_experience_sheet(form.write("G18", "5日").to_bytes(), "x")
    assert reading.experience is not None and reading.experience.declared_total is None


def test_entry_errors_name_the_row_cells() -> None:
    form = experience()
    form.set_entry(1, period_from="2023/4/1", period_to="2022/3/31", days_worked=10)
    form.set_entry(2, period_from="2023/4/1", period_to="2023/9/30", days_worked="約2百日")
    form.set_entry(3, organisation="丁", days_worked=10)
    form.set_entry(4, period_from="2024/4/1", period_to="2024/4/30", days_worked=45)
    form.set_entry(
        5, period_from="2024/13/1", period_to="現在", days_worked=1, employment_type="嘱託"
    )
    reading = read_experience_sheet(form.to_bytes(), "x")
    messages = {(i.cell, i.severity): i.message for i in reading.issues}
    assert messages[("B8", "error")] == (
        "実務経験申告書 B8・C8（期間）の開始日 2023年4月1日 が"
        "終了日 2022年3月31日 より後になっています。"
    )
    assert messages[("G9", "error")] == (
        "実務経験申告書 G9（従事日数）が数値として読めません（「約2百日」）。"
    )
    assert messages[("B10", "error")] == "実務経験申告書 B10（期間（自））が空欄です。"
    assert ("C10", "error") in messages
    assert "超えています" in messages[("G11", "warning")]
    assert ("B12", "error") in messages
    assert ("F12", "warning") in messages
    assert {i.severity for i in reading.issues} == {"error", "warning"}


def test_every_spec_documents_its_cells() -> None:
    for spec in FORM_SPECS:
        assert len({f.name for f in spec.fields}) == len(spec.fields)
    assert R7_FORM1_T1.field("email").value_cell == "B9"


def test_form_whose_title_and_properties_are_gone_has_no_term() -> None:
    filled = FilledForm.load(FORMS_DIR / "受講申込書_YAMADA Taro.xlsx", "CSF-R7-FORM1-T1")
    filled.drop_properties().write("A2", None)
    reading = read_application_form(filled.to_bytes(), "受講申込書_YAMADA Taro.xlsx")
    assert reading.application is not None
    assert reading.application.term is None
    assert reading.application.name_romaji == "YAMADA Taro"
    assert any("第何期" in issue.message for issue in reading.issues)
