"""The selection workbook on disk: hostile text stays text, and what is read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from intake.adapters.selectionbook import (
    BookContent,
    BookRow,
    SelectionBookError,
    read_selection_book,
    write_selection_book,
)
from intake.domain.eligibility import EligibilityStatus
from intake.domain.lifecycle import Decision, SendStatus
from intake.domain.model import TOKYO
from intake.domain.readmodel import DecisionNoticeView, SelectionRow
from intake.domain.selection import summarise
from intake.domain.selection_import import SheetRow
from intake.services.views.selection import selection_progress

HOSTILE = '=HYPERLINK("http://evil.example/","見てください")'


def row(n: int, **changes: object) -> BookRow:
    values: dict[str, object] = {
        "reference": f"T1-{n:05d}",
        "name_kanji": "山田 太郎",
        "name_romaji": "YAMADA Taro",
        "org_name": "みなと市国際交流協会",
        "prefecture": "神奈川県",
        "window_name": "みなと市外国人総合相談センター",
        "operator_type": "地方公共団体の委託等を受けた機関",
        "is_one_stop_center": True,
        "annual_consultations": 2350,
        "annual_open_days": 243,
        "worked_days": 671,
        "eligibility_label": "資格あり",
        "prefecture_candidates": 1,
        "rank": n,
    }
    values.update(changes)
    return BookRow(**values)  # type: ignore[arg-type]


def content(rows: list[BookRow], ineligible: list[BookRow] | None = None) -> BookContent:
    return BookContent(
        token="a" * 32,
        checksum="b" * 64,
        term_id=1,
        term_name="第1期",
        notice_deadline=datetime(2025, 5, 12, 17, 0, tzinfo=TOKYO),
        prepared_at=datetime(2025, 5, 8, 1, 0, tzinfo=UTC),
        candidates=rows,
        ineligible=ineligible or [],
        summary=summarise(rows, 60),
    )


def test_what_applicants_wrote_is_never_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    hostile = row(1, name_kanji=HOSTILE, org_name="+1+1", prefecture="@SUM(A1)")
    write_selection_book(path, content([hostile], [row(2, window_name="-2+3", rank=None)]))
    book = load_workbook(path)
    cells = [c for sheet in book.worksheets for r in sheet.iter_rows() for c in r]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert {HOSTILE, "+1+1", "@SUM(A1)", "-2+3"} <= texts


def test_written_then_read_back(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    write_selection_book(path, content([row(1), row(2), row(3)]))
    book = load_workbook(path)
    sheet = book.worksheets[0]
    decision_column = sheet.max_column
    sheet.cell(row=6, column=decision_column, value="決定")
    sheet.cell(row=7, column=decision_column, value=" 補欠 ")
    sheet.cell(row=20, column=1, value="メモ: 機関に確認中")  # a note below the table
    book.save(path)
    read = read_selection_book(path.read_bytes())
    assert (read.token, read.term_id, read.checksum) == ("a" * 32, 1, "b" * 64)
    assert read.rows == (
        SheetRow(6, "T1-00001", "決定"),
        SheetRow(7, "T1-00002", "補欠"),
        SheetRow(8, "T1-00003", None),
    )


def test_a_workbook_without_intake_s_sheet_or_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    write_selection_book(path, content([row(1)]))
    book = load_workbook(path)
    del book["intake"]
    book.save(path)
    with pytest.raises(SelectionBookError, match="管理用の非表示シートがありません"):
        read_selection_book(path.read_bytes())

    write_selection_book(path, content([row(1)]))
    book = load_workbook(path)
    book.worksheets[0]["O5"] = "結果"  # the 決定 header renamed
    book.save(path)
    with pytest.raises(SelectionBookError, match="「受付番号」と「決定」の見出し"):
        read_selection_book(path.read_bytes())
    with pytest.raises(SelectionBookError, match="Excel ファイルとして読めません"):
        read_selection_book(b"PK\x03\x04 not really")


# -- where a term stands, from the read side's rows ----------------------------------------------
def selection_row(n: int, decision: Decision | None, notice: SendStatus | None = None, *,
                  started: bool = True, eligibility: EligibilityStatus = EligibilityStatus.ELIGIBLE,
                  notify_not_selected: bool = False) -> SelectionRow:  # fmt: skip
    at = datetime(2025, 5, 9, 1, 0, tzinfo=UTC)
    view = (
        DecisionNoticeView(
            id=n,
            application_id=n,
            term_id=1,
            decision=decision or Decision.SELECTED,
            to_address="a@example.jp",
            subject="s",
            body=None,
            message_id="<m@example.jp>" if started else None,
            status=notice,
            attempts=1,
            note=None,
            operator="森",
            created_at=at,
            sent_at=None,
        )
        if notice is not None
        else None
    )
    return SelectionRow(
        application_id=n, term_id=1, name_romaji="X", name_kanji=None, email="a@example.jp",
        eligibility=eligibility, prefecture=None, operator_type=None, is_one_stop_center=None,
        annual_consultations=None, received_at=at, decision=decision, decided_at=None,
        decided_by=None, notice=view, notify_not_selected=notify_not_selected,
    )  # fmt: skip


def test_progress_and_the_reported_notice_status() -> None:
    rows = [
        selection_row(1, Decision.SELECTED, SendStatus.SENT),
        selection_row(2, Decision.SELECTED, SendStatus.HELD, started=False),  # no address
        selection_row(3, Decision.SELECTED, SendStatus.HELD),  # unknown fate: may be there
        selection_row(4, Decision.SELECTED),
        selection_row(5, Decision.WAITLISTED),
        selection_row(6, Decision.NOT_SELECTED),
        selection_row(7, None),
        selection_row(8, None, eligibility=EligibilityStatus.INELIGIBLE),
        selection_row(9, Decision.SELECTED, SendStatus.SENDING),
        selection_row(10, Decision.SELECTED, SendStatus.FAILED),
    ]
    progress = selection_progress(rows)
    assert (progress.candidates, progress.undecided) == (9, 1)
    assert (progress.selected, progress.waitlisted, progress.not_selected) == (6, 1, 1)
    assert progress.selected_unsent == 3  # no address, not yet sent, failed
    reported = [r.notice_status.value if r.notice_status else None for r in rows]
    assert reported == [
        "sent", "held", "held", "pending", None, None, None, None, "held", "failed",
    ]  # fmt: skip
    told = replace(rows[5], notify_not_selected=True)
    assert told.notice_status is SendStatus.PENDING
    assert selection_progress([told]).not_selected_unsent == 1
