"""Test support for the selection: a term with more applicants than places, their mails, and
filling the prepared workbook the way the agency would (openpyxl, like any spreadsheet)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from intake.devtools.demo import XLSX, jst, pdf
from intake.devtools.formfactory import FilledForm, sample_path
from intake.devtools.samplemail import SampleAttachment, build_mail
from intake.devtools.smtpserver import SmtpTestServer

from support import Desk

# The real clock is far before it: notices may go out in the tests that do not test the date.
NOTICE_BY = "2099-05-12"
TERM1 = f'capacity = 3\ndecision_notice_by = "{NOTICE_BY}"\nvenue = "東京ウィメンズプラザ"'
HEADER_ROW = 5  # where intake writes the header (scripts only rely on "within the first 10")


@dataclass(frozen=True)
class Person:
    romaji: str
    kanji: str
    prefecture: str
    one_stop: bool
    consultations: int
    received: datetime
    operator_type: str = "地方公共団体の委託等を受けた機関"

    @property
    def sender(self) -> str:
        return f"{self.romaji.split()[0].lower()}.home@example.jp"

    @property
    def form_email(self) -> str:
        """The 受講申込書's address, not the sender's: where decision notices go."""
        return f"{self.romaji.split()[0].lower()}@example.jp"


# Five candidates for three places, and one ineligible applicant (a private operator).
PEOPLE = (
    Person("ABE Kenji", "阿部 健二", "北海道", False, 5000, jst(2025, 4, 1)),
    Person("BABA Yoko", "馬場 洋子", "東京都", True, 800, jst(2025, 4, 2)),
    Person("CHIBA Jun", "千葉 純", "神奈川県", True, 2400, jst(2025, 4, 3)),
    Person("DOI Mika", "土井 美香", "東京都", False, 1200, jst(2025, 4, 4)),
    Person("EDA Sho", "江田 翔", "大阪府", True, 2400, jst(2025, 4, 5)),
    Person("FUJI Rin", "藤 凛", "京都府", False, 300, jst(2025, 4, 6), "民間団体"),
)
# One-stop-centre staff first (CHIBA and EDA tie on 2,400: the earlier first), then the rest
# by annual consultations.
SUGGESTED = ("CHIBA Jun", "EDA Sho", "BABA Yoko", "ABE Kenji", "DOI Mika")
INELIGIBLE = "FUJI Rin"


def application_mail(person: Person, n: int) -> bytes:
    form1 = FilledForm.load(sample_path("受講申込書_YAMADA Taro.xlsx"), "CSF-R7-FORM1-T1").fill(
        name_romaji=person.romaji,
        name_kanji=person.kanji,
        email=person.form_email,
        prefecture=person.prefecture,
        is_one_stop_center="はい" if person.one_stop else "いいえ",
        annual_consultations=person.consultations,
        operator_type=person.operator_type,
    )
    form2 = FilledForm.load(sample_path("実務経験申告書_YAMADA Taro.xlsx"), "CSF-R7-FORM2").fill(
        name_romaji=person.romaji, name_kanji=person.kanji, signer_name=person.kanji
    )
    return build_mail(
        subject=f"受講申込_{person.romaji}",
        message_id=f"selection-{n}@example.jp",
        date=person.received,
        from_addr=person.sender,
        from_name=person.romaji,
        attachments=[
            SampleAttachment(f"受講申込書_{person.romaji}.xlsx", form1.to_bytes(), XLSX),
            SampleAttachment(f"実務経験申告書_{person.romaji}.xlsx", form2.to_bytes(), XLSX),
            pdf("在職証明書", person.romaji),
        ],
    )


def selection_desk(
    make_desk: Callable[..., Desk],
    smtp_server: SmtpTestServer,
    database_url: str | None = None,
    *,
    term1: str = TERM1,
    cut_off: bool = True,
    **options: Any,
) -> Desk:
    """The six applications taken in, and (unless ``cut_off`` is False) the term cut off."""
    desk = make_desk(database_url, smtp_port=smtp_server.port, term1=term1, **options)
    for n, person in enumerate(PEOPLE, start=1):
        desk.append(application_mail(person, n), person.received)
    desk.cli("poll", "--once")
    if cut_off:
        desk.cli("cutoff", "--term", "1", "--now", "2025-05-08T09:00:00+09:00")
    return desk


def references(desk: Desk) -> dict[str, str]:
    """受付番号 by romaji name, of the current applications."""
    rows = desk.json("applications", "list", "--term", "1")
    return {r["name_romaji"]: f"T1-{r['id']:05d}" for r in rows if r["status"] == "accepted"}


def application_ids(desk: Desk) -> dict[str, int]:
    rows = desk.json("applications", "list", "--term", "1")
    return {r["name_romaji"]: int(r["id"]) for r in rows if r["status"] == "accepted"}


def prepare(desk: Desk, path: Path, *args: str) -> Path:
    desk.cli("selection", "prepare", "--term", "1", "--out", str(path), *args)
    return path


def header_columns(sheet: Any) -> tuple[int, dict[str, int]]:
    """The header row (looked for in the first ten rows) and its columns by header text."""
    for row in range(1, 11):
        values = [cell.value for cell in sheet[row]]
        if "受付番号" in values and "決定" in values:
            return row, {str(v): i + 1 for i, v in enumerate(values) if v is not None}
    raise AssertionError("no header row within the first ten rows")


def fill(
    path: Path,
    decisions: Mapping[str, str | None],
    out: Path | None = None,
) -> Path:
    """Write decisions into the 決定 column, keyed by 受付番号 (as the agency does)."""
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header, columns = header_columns(sheet)
    for row in range(header + 1, sheet.max_row + 1):
        reference = sheet.cell(row=row, column=columns["受付番号"]).value
        if reference in decisions:
            sheet.cell(row=row, column=columns["決定"]).value = decisions[reference]
    target = out or path
    book.save(target)
    return target


def decisions_for(desk: Desk, by_name: Mapping[str, str | None]) -> dict[str, str | None]:
    refs = references(desk)
    return {refs[name]: value for name, value in by_name.items()}


# 決定 for the three one-stop / busiest, 補欠 and 見送り for the others.
FIRST_CHOICE = {
    "CHIBA Jun": "決定",
    "EDA Sho": "決定",
    "ABE Kenji": "決定",
    "BABA Yoko": "補欠",
    "DOI Mika": "見送り",
}


def listing(desk: Desk) -> dict[str, dict[str, Any]]:
    """`selection list --json` by romaji name."""
    rows: list[dict[str, Any]] = desk.json("selection", "list", "--term", "1")
    return {r["name_romaji"]: r for r in rows}


def workbook_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
