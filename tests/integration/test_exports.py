"""Exports, attachment retrieval and the terms commands, end to end against Dovecot."""

from __future__ import annotations

import csv
import getpass
import io
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from intake.adapters.exports import Column, write_table
from intake.adapters.orm import Attachment, AuditEvent
from intake.devtools.demo import PDF_BYTES, application, demo_mails, jst

from support import Desk

pytestmark = pytest.mark.dovecot

BOM = b"\xef\xbb\xbf"
CSV_DATETIME = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}$")


@pytest.fixture
def polled_desk(make_desk: Callable[..., Desk]) -> Desk:
    desk = make_desk(cutoff='exports_dir = "exports"')
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    desk.cli("poll", "--once")
    return desk


def _audit(desk: Desk) -> list[AuditEvent]:
    engine = create_engine(desk.database_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    finally:
        engine.dispose()


def _application_id(desk: Desk, romaji: str) -> int:
    rows = desk.json("applications", "list")
    (found,) = [a["id"] for a in rows if a["name_romaji"] == romaji and a["status"] == "accepted"]
    return int(found)


def _sheet_rows(path: Path) -> tuple[Any, list[Any], list[tuple[Any, ...]]]:
    sheet = load_workbook(path).active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    return sheet, headers, list(sheet.iter_rows(min_row=2, values_only=True))


def _csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_export_applications_as_xlsx_and_csv(polled_desk: Desk, tmp_path: Path) -> None:
    desk = polled_desk
    out = tmp_path / "out" / "第2期_申込.xlsx"
    result = desk.cli(
        "export", "applications", "--term", "2", "--out", str(out), "--operator", "森"
    )
    assert "2 件" in result.stdout and str(out) in result.stdout

    sheet, headers, rows = _sheet_rows(out)
    assert headers[:4] == ["申込番号", "受付番号", "氏名", "氏名（ローマ字）"]
    for header in ("一元的相談窓口", "都道府県", "年間相談件数", "年間開設日数", "受講資格"):
        assert header in headers
    for header in ("受信日時", "書類完備日時", "状態", "受付完了メール", "送信日時"):
        assert header in headers
    assert len(rows) == 2
    assert sorted(r[3] for r in rows) == ["MORI Ken", "NGUYEN Thi Lan"]
    column = {h: i for i, h in enumerate(headers)}
    for row in rows:
        assert isinstance(row[column["申込番号"]], int)
        assert isinstance(row[column["受信日時"]], datetime)
        assert isinstance(row[column["書類完備日時"]], datetime)
        assert isinstance(row[column["年間相談件数"]], int)
        assert row[column["状態"]] == "受付"
    nguyen = next(r for r in rows if r[3] == "NGUYEN Thi Lan")
    assert nguyen[column["受信日時"]] == datetime(2025, 5, 20, 13, 45)  # Tokyo wall-clock time
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{chr(ord('A') + len(headers) - 1)}3"
    assert sheet["A1"].font.b

    csv_out = tmp_path / "out" / "第2期_申込.csv"
    desk.cli("export", "applications", "--term", "2", "--out", str(csv_out))
    parsed = _csv_rows(csv_out)
    assert parsed[0] == headers
    assert len(parsed) == 3
    received = [r[column["受信日時"]] for r in parsed[1:]]
    assert all(CSV_DATETIME.match(v) for v in received)
    assert "2025/05/20 13:45" in received
    assert all(r[column["年間相談件数"]].isdigit() for r in parsed[1:])

    # --format wins over the extension.
    forced = tmp_path / "out" / "list.txt"
    desk.cli("export", "applications", "--term", "1", "--out", str(forced), "--format", "csv")
    assert forced.read_bytes().startswith(BOM)

    events = [e for e in _audit(desk) if e.action == "export.applications"]
    assert len(events) == 3
    assert events[0].operator == "森"
    assert events[0].target == "term:2"
    assert events[0].details["rows"] == 2 and events[0].details["format"] == "xlsx"
    assert events[1].operator == getpass.getuser()
    assert events[1].details["format"] == "csv"


def test_export_applications_all_includes_superseded(polled_desk: Desk, tmp_path: Path) -> None:
    desk = polled_desk
    # NGUYEN sends everything again: the new application supersedes the first.
    again = jst(2025, 5, 25, 9, 0)
    desk.append(application("NGUYEN Thi Lan", n=50, received_at=again), again)
    desk.cli("poll", "--once")

    current = tmp_path / "current.xlsx"
    everything = tmp_path / "all.xlsx"
    desk.cli("export", "applications", "--term", "2", "--out", str(current))
    out = desk.cli("export", "applications", "--term", "2", "--out", str(everything), "--all")
    assert "3 件" in out.stdout
    _, headers, rows = _sheet_rows(current)
    assert len(rows) == 2
    _, headers, rows = _sheet_rows(everything)
    states = sorted(r[headers.index("状態")] for r in rows)
    assert states == ["再提出により置換", "受付", "受付"]

    missing = desk.cli("export", "applications", "--term", "9", "--out", str(current), expect=5)
    assert "第9期" in missing.output


def test_export_rejections(polled_desk: Desk, tmp_path: Path) -> None:
    desk = polled_desk
    out = tmp_path / "rejections.xlsx"
    result = desk.cli("export", "rejections", "--out", str(out))
    assert "4 件" in result.stdout
    _, headers, rows = _sheet_rows(out)
    assert headers == [
        "番号",
        "受信日時",
        "差出人",
        "件名",
        "理由コード",
        "理由",
        "状態",
        "対応区分",
        "対応日時",
        "対応者",
        "対応メモ",
    ]
    assert len(rows) == 4
    assert all(isinstance(r[0], int) and isinstance(r[1], datetime) for r in rows)
    suzuki = next(r for r in rows if "SUZUKI" in (r[3] or ""))
    codes = suzuki[4].split("\n")
    assert codes[:2] == ["MISSING_EXPERIENCE_SHEET", "MISSING_EMPLOYMENT_CERTIFICATE"]
    assert len(suzuki[5].split("\n")) == len(codes)
    assert {r[6] for r in rows} == {"未対応"}

    desk.cli(
        "rejections", "resolve", str(suzuki[0]), "--note", "電話で再送を依頼", "--operator", "佐藤"
    )
    resolved = tmp_path / "resolved.csv"
    desk.cli("export", "rejections", "--status", "resolved", "--out", str(resolved))
    parsed = _csv_rows(resolved)
    assert len(parsed) == 2
    row = dict(zip(parsed[0], parsed[1], strict=True))
    assert row["状態"] == "対応済み" and row["対応者"] == "佐藤"
    assert row["対応メモ"] == "電話で再送を依頼"
    assert CSV_DATETIME.match(row["対応日時"]) and CSV_DATETIME.match(row["受信日時"])
    assert row["理由コード"].startswith("MISSING_EXPERIENCE_SHEET\nMISSING_EMPLOYMENT")

    everything = tmp_path / "all.csv"
    desk.cli("export", "rejections", "--status", "all", "--out", str(everything))
    assert len(_csv_rows(everything)) == 5

    events = [e for e in _audit(desk) if e.action == "export.rejections"]
    assert [e.details["status"] for e in events] == ["open", "resolved", "all"]
    assert [e.details["rows"] for e in events] == [4, 1, 4]


def test_attachments_get_writes_decoded_names_and_never_overwrites(
    polled_desk: Desk, tmp_path: Path
) -> None:
    desk = polled_desk
    app_id = _application_id(desk, "YAMADA Taro")  # Outlook, ISO-2022-JP file names
    out = tmp_path / "docs"
    result = desk.cli("attachments", "get", str(app_id), "--out", str(out))
    names = {
        "受講申込書_YAMADA Taro.xlsx",
        "実務経験申告書_YAMADA Taro.xlsx",
        "在職証明書_YAMADA Taro.pdf",
    }
    assert {p.name for p in out.iterdir()} == names
    assert (out / "在職証明書_YAMADA Taro.pdf").read_bytes() == PDF_BYTES
    assert "3 件" in result.stdout

    # Refuses to overwrite without --force, and writes nothing at all.
    (out / "在職証明書_YAMADA Taro.pdf").write_bytes(b"edited by hand")
    refused = desk.cli("attachments", "get", str(app_id), "--out", str(out), expect=2)
    assert "--force" in refused.output
    assert (out / "在職証明書_YAMADA Taro.pdf").read_bytes() == b"edited by hand"

    forced = desk.cli("attachments", "get", str(app_id), "--out", str(out), "--force")
    assert "置き換え" in forced.stdout
    assert (out / "在職証明書_YAMADA Taro.pdf").read_bytes() == PDF_BYTES
    assert {p.name for p in out.iterdir()} == names  # no temporary files left behind

    desk.cli("attachments", "get", "9999", "--out", str(out), expect=5)

    events = [e for e in _audit(desk) if e.action == "attachments.get"]
    assert len(events) == 2  # the refused attempt wrote nothing and recorded nothing
    assert events[0].target == f"application:{app_id}"
    assert sorted(f["name"] for f in events[0].details["files"]) == sorted(names)
    assert events[1].details["force"] is True


def test_attachments_get_keeps_hostile_names_inside_the_folder(
    polled_desk: Desk, tmp_path: Path
) -> None:
    desk = polled_desk
    app_id = _application_id(desk, "YAMADA Taro")
    engine = create_engine(desk.database_url)
    try:
        with Session(engine) as session:
            ids = list(
                session.scalars(
                    select(Attachment.id)
                    .where(Attachment.application_id == app_id)
                    .order_by(Attachment.id)
                )
            )
            hostile = ["../../在職証明書_X.pdf", "..\\..\\在職証明書_X.pdf", ".."]
            for pk, name in zip(ids, hostile, strict=True):
                session.execute(update(Attachment).where(Attachment.id == pk).values(filename=name))
            session.commit()
    finally:
        engine.dispose()
    base = tmp_path / "exported"
    out = base / "a" / "b"
    desk.cli("attachments", "get", str(app_id), "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["在職証明書_X.pdf", "在職証明書_X (2).pdf", f"添付ファイル_{ids[2]}"]
    )
    assert [p.name for p in base.iterdir()] == ["a"]
    assert [p.name for p in (base / "a").iterdir()] == ["b"]


def test_terms_list_and_check(polled_desk: Desk) -> None:
    desk = polled_desk
    during = desk.json("terms", "list", "--now", "2025-05-03T12:00:00+09:00")
    assert [t["id"] for t in during] == [1, 2]
    assert [t["status_label"] for t in during] == ["受付中", "受付中"]
    assert during[0]["opens_at"] == "2025-03-10T10:00:00+09:00"
    assert [t["current_applications"] for t in during] == [2, 2]
    assert [t["open_rejections"] for t in during] == [1, 2]
    assert [t["capacity"] for t in during] == [60, 60]
    before = desk.json("terms", "list", "--now", "2025-03-01T00:00:00+09:00")
    assert {t["status_label"] for t in before} == {"受付開始前"}

    desk.cli("cutoff", "--term", "1", "--now", "2025-05-08T09:00:00+09:00")
    after = desk.json("terms", "list", "--now", "2025-07-02T09:00:00+09:00")
    assert after[0]["status"] == "cutoff_done" and after[0]["cutoff_version"] == 1
    assert after[0]["status_label"] == "締切処理済み（v1）"
    assert after[1]["status_label"] == "締切処理待ち"
    table = desk.cli("terms", "list", "--now", "2025-07-02T09:00:00+09:00").stdout
    assert "2025-03-10 10:00〜2025-05-07 17:00" in table and "締切処理待ち" in table

    # 第1期 and 第2期 overlap, but each has its own form: nothing to warn about.
    ok = desk.cli("terms", "check")
    assert "問題は見つかりませんでした" in ok.stdout


def test_terms_check_warns_about_overlaps_without_forms(polled_desk: Desk) -> None:
    desk = polled_desk
    text = desk.config_path.read_text(encoding="utf-8")
    desk.config_path.write_text(
        text
        + '[[terms]]\nid = 3\nname = "第3期"\n'
        + 'opens_at = "2025-06-20T10:00:00+09:00"\ncloses_at = "2025-09-01T17:00:00+09:00"\n'
        + 'capacity = 30\ntraining_starts_on = "2025-10-01"\n',
        encoding="utf-8",
    )
    result = desk.cli("terms", "check", expect=1)
    assert "第2期と第3期の募集期間が重なっています（2025-06-20 10:00〜2025-07-01 17:00）" in (
        result.stdout
    )
    assert "第3期（id = 3）用の受講申込書の様式が登録されていません" in result.stdout
    assert "第1期と第2期" not in result.stdout


def test_terms_check_warns_when_the_deadline_changed_after_the_cutoff(polled_desk: Desk) -> None:
    desk = polled_desk
    desk.cli("cutoff", "--term", "2", "--now", "2025-07-01T17:05:00+09:00")
    desk.cli("terms", "check")
    text = desk.config_path.read_text(encoding="utf-8")
    desk.config_path.write_text(
        text.replace("2025-07-01T17:00:00+09:00", "2025-07-08T17:00:00+09:00"), "utf-8"
    )
    result = desk.cli("terms", "check", expect=1)
    assert (
        "第2期の締切が締切処理後に変更されています（処理時 2025-07-01 17:00、"
        "現在 2025-07-08 17:00）。次回の締切処理で新しい版の名簿を作ります" in result.stdout
    )
    # Once the new deadline's cutoff has run, there is nothing left to warn about.
    desk.cli("cutoff", "--term", "2", "--now", "2025-07-08T17:05:00+09:00")
    desk.cli("terms", "check")


def test_text_from_mail_is_never_a_formula(tmp_path: Path) -> None:
    columns = [Column("件名"), Column("件数", kind="number")]
    rows: list[list[object]] = [['=HYPERLINK("http://x")', 1200], ["+81 3", None]]
    write_table(tmp_path / "t.xlsx", "不備/ログ", columns, rows, "xlsx")
    write_table(tmp_path / "t.csv", "不備ログ", columns, rows, "csv")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert sheet is not None
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")
    assert sheet["B2"].value == 1200 and sheet["B2"].number_format == "#,##0"
    parsed = _csv_rows(tmp_path / "t.csv")
    assert parsed[1] == ['\'=HYPERLINK("http://x")', "1200"]
    assert parsed[2] == ["'+81 3", ""]


def test_terms_check_warns_about_a_deadline_off_office_hours(polled_desk: Desk) -> None:
    desk = polled_desk
    text = desk.config_path.read_text(encoding="utf-8")
    desk.config_path.write_text(
        text.replace("2025-07-01T17:00:00+09:00", "2025-07-01T00:00:00+09:00"), "utf-8"
    )
    result = desk.cli("terms", "check", expect=1)
    assert "第2期の締切（closes_at）が 2025-07-01 00:00:00 になっています" in result.stdout
    assert "第1期の締切" not in result.stdout
