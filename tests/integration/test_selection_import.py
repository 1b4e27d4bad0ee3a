"""Every refusal of `intake selection import` (nothing recorded, one line per problem), what
may change after a notice went out, and the notice date (real Dovecot, SMTP server, SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.adapters.orm import Application, AuditEvent, make_engine
from intake.bootstrap import build_app
from intake.devtools.demo import jst
from intake.devtools.smtpserver import SmtpTestServer
from intake.domain.lifecycle import ApplicationStatus
from intake.services.decision_notices import send_decision_notices
from intake.services.selection import SelectionError, import_decisions

from selection_support import (
    FIRST_CHOICE,
    INELIGIBLE,
    decisions_for,
    fill,
    header_columns,
    listing,
    prepare,
    references,
    selection_desk,
)
from support import Desk

pytestmark = pytest.mark.dovecot


@pytest.fixture
def desk(make_desk: Callable[..., Desk], smtp_server: SmtpTestServer) -> Desk:
    return selection_desk(make_desk, smtp_server)


@pytest.fixture
def workbook(desk: Desk, tmp_path: Path) -> Path:
    return prepare(desk, tmp_path / "選考表.xlsx")


def decide_events(desk: Desk) -> list[AuditEvent]:
    engine = make_engine(desk.settings.database_url)
    try:
        with Session(engine) as session:
            query = select(AuditEvent).where(AuditEvent.action == "selection.decide")
            return list(session.scalars(query.order_by(AuditEvent.id)))
    finally:
        engine.dispose()


def refused(desk: Desk, path: Path, *args: str) -> list[str]:
    """Import and expect a refusal: its problem lines; nothing may have been recorded."""
    before = {n: r["decision"] for n, r in listing(desk).items()}
    events = len(decide_events(desk))
    result = desk.cli("selection", "import", "--term", "1", str(path), *args, expect=1)
    assert "Traceback" not in result.stderr
    lines = [line.removeprefix("エラー: ") for line in result.stderr.splitlines()]
    assert "何も記録していません" in lines[0]
    assert {n: r["decision"] for n, r in listing(desk).items()} == before
    assert len(decide_events(desk)) == events
    return lines[1:]


def edit_first_sheet(path: Path, change: Callable[[object, int, dict[str, int]], None]) -> Path:
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header, columns = header_columns(sheet)
    change(sheet, header, columns)
    book.save(path)
    return path


def test_an_unknown_application(desk: Desk, workbook: Path) -> None:
    fill(workbook, decisions_for(desk, FIRST_CHOICE))
    chiba = references(desk)["CHIBA Jun"]

    def retype(sheet: object, header: int, columns: dict[str, int]) -> None:
        for row in range(header + 1, header + 6):
            cell = sheet.cell(row=row, column=columns["受付番号"])  # type: ignore[attr-defined]
            if cell.value == chiba:
                cell.value = "T1-99999"

    lines = refused(desk, edit_first_sheet(workbook, retype))
    assert any("T1-99999 の申込はありません" in line for line in lines)
    assert any(f"{chiba} の行が選考シートにありません" in line for line in lines)


def test_a_superseded_application(desk: Desk, workbook: Path) -> None:
    fill(workbook, decisions_for(desk, FIRST_CHOICE))
    engine = make_engine(desk.settings.database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Application)
            .where(Application.name_romaji == "EDA Sho")
            .values(status=ApplicationStatus.SUPERSEDED)
        )
    engine.dispose()
    (line,) = refused(desk, workbook)
    assert references_of_all(desk)["EDA Sho"] in line and "置き換えられています" in line


def references_of_all(desk: Desk) -> dict[str, str]:
    rows = desk.json("applications", "list", "--term", "1")
    return {r["name_romaji"]: f"T1-{r['id']:05d}" for r in rows}


def test_a_row_without_a_decision(desk: Desk, workbook: Path) -> None:
    fill(workbook, decisions_for(desk, {**FIRST_CHOICE, "DOI Mika": None}))
    (line,) = refused(desk, workbook)
    assert references(desk)["DOI Mika"] in line and "決定が空欄" in line


def test_a_decision_outside_the_first_sheet(desk: Desk, workbook: Path) -> None:
    fill(workbook, decisions_for(desk, FIRST_CHOICE))
    fuji = references(desk)[INELIGIBLE]

    def add_row(sheet: object, header: int, columns: dict[str, int]) -> None:
        row = sheet.max_row + 1  # type: ignore[attr-defined]
        sheet.cell(row=row, column=columns["受付番号"], value=fuji)  # type: ignore[attr-defined]
        sheet.cell(row=row, column=columns["決定"], value="決定")  # type: ignore[attr-defined]

    (line,) = refused(desk, edit_first_sheet(workbook, add_row))
    assert fuji in line and "選考シートになかった申込" in line


def test_more_selected_than_places_needs_over_capacity(desk: Desk, workbook: Path) -> None:
    fill(workbook, decisions_for(desk, {**FIRST_CHOICE, "BABA Yoko": "決定"}))
    (line,) = refused(desk, workbook)
    assert "決定が 4 件" in line and "定員 3 名" in line and "--over-capacity" in line
    done = desk.cli("selection", "import", "--term", "1", str(workbook), "--over-capacity")
    assert "定員 3 名を超えています" in done.stdout
    assert sum(r["decision"] == "selected" for r in listing(desk).values()) == 4


def test_a_workbook_intake_did_not_prepare(desk: Desk, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["受付番号", "決定"])
    sheet.append([references(desk)["ABE Kenji"], "決定"])
    path = tmp_path / "手作り.xlsx"
    book.save(path)
    (line,) = refused(desk, path)
    assert "intake が作った選考表ではありません" in line

    term2 = tmp_path / "第2期.xlsx"
    desk.cli("selection", "prepare", "--term", "2", "--out", str(term2), "--before-cutoff")
    (line,) = refused(desk, term2)
    assert "第2期のもの" in line

    tampered = prepare(desk, tmp_path / "改変.xlsx")
    fill(tampered, decisions_for(desk, FIRST_CHOICE))
    book = load_workbook(tampered)
    book["intake"]["B4"] = "0" * 64
    book.save(tampered)
    (line,) = refused(desk, tampered)
    assert "書き換えられています" in line

    not_excel = tmp_path / "x.xlsx"
    not_excel.write_bytes(b"not a workbook")
    (line,) = refused(desk, not_excel)
    assert "Excel ファイルとして読めません" in line


def test_odd_cells_each_get_a_line(desk: Desk, workbook: Path) -> None:
    refs = references(desk)
    fill(workbook, decisions_for(desk, {**FIRST_CHOICE, "DOI Mika": "合格"}))

    def duplicate_and_move(sheet: object, header: int, columns: dict[str, int]) -> None:
        row = sheet.max_row + 1  # type: ignore[attr-defined]
        sheet.cell(row=row, column=columns["受付番号"], value=refs["ABE Kenji"])  # type: ignore[attr-defined]
        sheet.cell(row=row, column=columns["決定"], value="補欠")  # type: ignore[attr-defined]
        sheet.cell(row=row + 1, column=columns["決定"], value="決定")  # type: ignore[attr-defined]

    lines = refused(desk, edit_first_sheet(workbook, duplicate_and_move))
    assert len(lines) == 3
    assert any("「合格」は 決定・補欠・見送り のどれでもありません" in line for line in lines)
    assert any(refs["ABE Kenji"] in line and "重複" in line for line in lines)
    assert any("受付番号がありません" in line for line in lines)

    def header_too_low(sheet: object, header: int, columns: dict[str, int]) -> None:
        sheet.insert_rows(1, amount=10)  # type: ignore[attr-defined]

    (line,) = refused(desk, edit_first_sheet(workbook, header_too_low))
    assert "1〜10 行目" in line


def test_after_a_notice_its_row_is_fixed_and_the_others_may_change(
    desk: Desk, workbook: Path, smtp_server: SmtpTestServer
) -> None:
    refs = references(desk)
    fill(workbook, decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(workbook))
    desk.cli("selection", "notify", "--term", "1", "--yes")
    assert len(smtp_server.received) == 3

    fill(workbook, decisions_for(desk, {**FIRST_CHOICE, "CHIBA Jun": "見送り"}))
    (line,) = refused(desk, workbook)
    assert refs["CHIBA Jun"] in line and "受講決定のお知らせを送信済み" in line
    assert "「決定」から「見送り」" in line

    fill(workbook, decisions_for(desk, {**FIRST_CHOICE, "DOI Mika": "補欠"}))
    desk.cli("selection", "import", "--term", "1", str(workbook))
    events = decide_events(desk)
    assert len(events) == 6  # five first decisions, then DOI's change
    assert events[-1].target == f"application:{int(refs['DOI Mika'][3:])}"
    assert (events[-1].details["before"], events[-1].details["after"]) == (
        "not_selected",
        "waitlisted",
    )
    assert listing(desk)["DOI Mika"]["decision"] == "waitlisted"


def test_a_waitlisted_applicant_moves_up_only_until_the_notice_date(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    desk = selection_desk(
        make_desk, smtp_server, term1='capacity = 3\ndecision_notice_by = "2025-05-12"'
    )
    app = build_app(desk.settings)
    path = fill(prepare(desk, tmp_path / "選考表.xlsx"), decisions_for(desk, FIRST_CHOICE))

    def run(now_hour: int, now_minute: int) -> None:
        import_decisions(
            app.uow(), app.settings, 1, path.read_bytes(), operator="森",
            now=jst(2025, 5, 12, now_hour, now_minute),
        )  # fmt: skip

    run(9, 0)
    moved = {**FIRST_CHOICE, "ABE Kenji": "見送り", "BABA Yoko": "決定"}
    fill(path, decisions_for(desk, moved))
    with pytest.raises(SelectionError) as late:
        run(17, 1)
    (line,) = late.value.problems
    assert "通知期日（2025-05-12 17:00）を過ぎたため" in line and "「補欠」から「決定」" in line
    run(16, 59)
    assert listing(desk)["BABA Yoko"]["decision"] == "selected"

    # A 決定 not told by 17:00 is not sent afterwards unless the operator says so.
    report = send_decision_notices(
        app.uow(), app.settings, app.smtp_sender, 1, operator="森", now=jst(2025, 5, 12, 17, 30)
    )
    assert len(report.late) == 3 and report.sent == [] and smtp_server.received == []
    report = send_decision_notices(
        app.uow(), app.settings, app.smtp_sender, 1, operator="森",
        now=jst(2025, 5, 12, 17, 30), after_deadline=True,
    )  # fmt: skip
    assert len(report.sent) == 3 and report.complete
    app.engine.dispose()
