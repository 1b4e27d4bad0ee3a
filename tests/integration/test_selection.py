"""受講生の決定 end to end: real Dovecot, real SMTP server (aiosmtpd), SQLite and PostgreSQL.

prepare → the agency fills 決定 (openpyxl, as any spreadsheet program) → import → notify.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.adapters.orm import AuditEvent, make_engine
from intake.adapters.smtp import SmtpSender
from intake.devtools.smtpserver import Received, SmtpTestServer
from intake.entrypoints.cli import main
from intake.entrypoints.cli import selection as selection_cli

from selection_support import (
    FIRST_CHOICE,
    HEADER_ROW,
    INELIGIBLE,
    PEOPLE,
    SUGGESTED,
    decisions_for,
    fill,
    header_columns,
    listing,
    prepare,
    references,
    selection_desk,
)
from support import Desk, parse_mail

pytestmark = pytest.mark.dovecot

BY_NAME = {p.romaji: p for p in PEOPLE}
SELECTED = sorted(name for name, d in FIRST_CHOICE.items() if d == "決定")


def audit(desk: Desk, action: str) -> list[AuditEvent]:
    engine = make_engine(desk.settings.database_url)
    try:
        with Session(engine) as session:
            query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            return list(session.scalars(query))
    finally:
        engine.dispose()


def test_prepare_fill_import_notify(
    make_desk: Callable[..., Desk],
    smtp_server: SmtpTestServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    desk = selection_desk(make_desk, smtp_server, database_url)
    refs = references(desk)
    assert len(refs) == len(PEOPLE)
    path = prepare(desk, tmp_path / "選考表.xlsx")

    book = load_workbook(path)
    assert book.sheetnames[:3] == ["選考", "対象外（資格なし）", "集計"]
    assert book["intake"].sheet_state == "hidden"
    sheet = book.worksheets[0]
    header, columns = header_columns(sheet)
    assert header == HEADER_ROW <= 10
    rows = list(sheet.iter_rows(min_row=header + 1, values_only=True))
    listed = [row[columns["氏名（ローマ字）"] - 1] for row in rows]
    assert listed == list(SUGGESTED)  # the suggested order; the ineligible one apart
    assert all(row[columns["決定"] - 1] is None for row in rows)
    assert "目安" in str(sheet["A2"].value) and "intake は決めません" in str(sheet["A2"].value)
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list" and validation.formula1 == '"決定,補欠,見送り"'
    decision_column = chr(ord("A") + columns["決定"] - 1)
    assert str(validation.sqref) == f"{decision_column}{header + 1}:{decision_column}{header + 5}"
    tokyo = [row for row in rows if row[columns["都道府県"] - 1] == "東京都"]
    assert {row[columns["同じ都道府県の候補者数"] - 1] for row in tokyo} == {2}
    ineligible = book["対象外（資格なし）"]
    assert INELIGIBLE in [c.value for c in ineligible["C"]]  # 氏名（ローマ字）
    summary = [tuple(r) for r in book["集計"].iter_rows(values_only=True)]
    assert ("定員", 3) in summary and ("選考対象（資格あり・要確認）", 5) in summary
    assert ("うち一元的相談窓口の職員", 3) in summary
    assert ("一元的相談窓口の職員の割合", "60.0%") in summary
    assert ("東京都", 2) in summary

    fill(path, decisions_for(desk, FIRST_CHOICE))
    result = desk.cli("selection", "import", "--term", "1", str(path))
    assert "決定 3・補欠 1・見送り 1" in result.stdout
    listed_json = listing(desk)
    assert {n: r["decision"] for n, r in listed_json.items()} == {
        "CHIBA Jun": "selected",
        "EDA Sho": "selected",
        "ABE Kenji": "selected",
        "BABA Yoko": "waitlisted",
        "DOI Mika": "not_selected",
    }
    assert {n: r["notice_status"] for n, r in listed_json.items() if n in SELECTED} == {
        n: "pending" for n in SELECTED
    }
    contract = {"application_id", "receipt_no", "name_romaji", "email", "decision"}
    assert all(contract | {"notice_status"} <= set(r) for r in listed_json.values())
    assert listed_json["CHIBA Jun"]["email"] == BY_NAME["CHIBA Jun"].form_email
    assert listed_json["CHIBA Jun"]["receipt_no"] == refs["CHIBA Jun"]

    dry = desk.cli("selection", "notify", "--term", "1", "--dry-run")
    assert dry.stdout.count("受講決定のお知らせ:") == 3 and "送信していません" in dry.stdout
    assert smtp_server.received == []

    sent = desk.cli("selection", "notify", "--term", "1", "--yes")
    assert "3 件送信" in sent.stdout
    recipients = sorted(r.rcpt_tos[0] for r in smtp_server.received)
    assert recipients == sorted(BY_NAME[n].form_email for n in SELECTED)
    for received in smtp_server.received:
        message, body = parse_mail(received)
        assert message["Subject"] == "【受講決定のお知らせ】外国人支援コーディネーター養成研修"
        person = next(p for p in PEOPLE if p.form_email == received.rcpt_tos[0])
        assert f"{person.kanji} 様" in body and refs[person.romaji] in body
        assert "受講が決定しました" in body and "東京ウィメンズプラザ" in body
    listed_json = listing(desk)
    assert {n: r["notice_status"] for n, r in listed_json.items()} == {
        **{n: "sent" for n in SELECTED},
        "BABA Yoko": None,
        "DOI Mika": None,
    }

    again = desk.cli("selection", "notify", "--term", "1", "--yes")
    assert "送る決定のお知らせはありません" in again.stdout
    assert len(smtp_server.received) == 3

    changes = audit(desk, "selection.decide")
    assert len(changes) == 5 and {e.details["before"] for e in changes} == {None}
    assert len(audit(desk, "selection.import")) == 1
    shown = desk.cli("selection", "show", refs["CHIBA Jun"]).stdout
    assert "決定" in shown and "送信済み" in shown and BY_NAME["CHIBA Jun"].form_email in shown
    detail = desk.json("selection", "show", refs["CHIBA Jun"])
    assert detail["notices"][0]["status"] == "sent"
    assert detail["history"][0]["details"]["after"] == "selected"


def test_a_workbook_sorted_in_excel_still_imports(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    desk = selection_desk(make_desk, smtp_server)
    path = prepare(desk, tmp_path / "選考表.xlsx")
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header, columns = header_columns(sheet)
    rows = [list(r) for r in sheet.iter_rows(min_row=header + 1, values_only=True)]
    rows.sort(key=lambda r: str(r[columns["氏名（ローマ字）"] - 1]), reverse=True)  # by name, Z-A
    for offset, values in enumerate(rows, start=header + 1):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=offset, column=column).value = value
    book.save(path)
    fill(path, decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(path))
    assert {n: r["decision"] for n, r in listing(desk).items()}["BABA Yoko"] == "waitlisted"


def test_a_crash_between_sending_and_recording_holds_the_notice(
    make_desk: Callable[..., Desk],
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = selection_desk(make_desk, smtp_server)
    path = fill(prepare(desk, tmp_path / "選考表.xlsx"), decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(path))
    real_send = SmtpSender.send

    def send_then_die(self: SmtpSender, *args: Any, **kwargs: Any) -> Any:
        real_send(self, *args, **kwargs)  # the server accepted it...
        raise KeyboardInterrupt  # ...and the process died before recording that

    monkeypatch.setattr(SmtpSender, "send", send_then_die)
    desk.cli("selection", "notify", "--term", "1", "--yes", expect=None)
    assert len(smtp_server.received) == 1
    monkeypatch.undo()
    desk.monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", desk.password)

    out = desk.cli("selection", "notify", "--term", "1", "--yes", expect=1)
    assert "送信結果不明" in out.stderr
    assert len(smtp_server.received) == 3  # the other two, and no second copy
    statuses = {n: r["notice_status"] for n, r in listing(desk).items() if n in SELECTED}
    assert sorted(statuses.values()) == ["held", "sent", "sent"]
    (held_name,) = [n for n, s in statuses.items() if s == "held"]
    assert smtp_server.received[0].rcpt_tos == [BY_NAME[held_name].form_email]

    # A third run sends nothing: the held one waits for an operator.
    third = desk.cli("selection", "notify", "--term", "1", "--yes")
    assert "送る決定のお知らせはありません" in third.stdout and len(smtp_server.received) == 3
    notice_id = listing(desk)[held_name]["notice_id"]
    desk.cli("selection", "confirm", str(notice_id), "--note", "電話で到着を確認")
    assert listing(desk)[held_name]["notice_status"] == "sent"
    assert len(smtp_server.received) == 3


def test_an_unknown_fate_is_held_and_a_failure_is_sent_on_the_next_run(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    desk = selection_desk(make_desk, smtp_server)
    path = fill(prepare(desk, tmp_path / "選考表.xlsx"), decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(path))
    smtp_server.drop_after_data_next(1)
    smtp_server.fail_next(1, 550, "5.1.1 no such user")
    first = desk.cli("selection", "notify", "--term", "1", "--yes", expect=1)
    assert "保留" in first.stderr and "送信失敗" in first.stderr and "550" in first.stderr
    statuses = sorted(r["notice_status"] for n, r in listing(desk).items() if n in SELECTED)
    assert statuses == ["failed", "held", "sent"]
    assert len(smtp_server.received) == 1 and len(smtp_server.received_unacknowledged) == 1

    second = desk.cli("selection", "notify", "--term", "1", "--yes")
    assert "1 件送信" in second.stdout  # the failed one (nothing was delivered), not the held
    statuses = sorted(r["notice_status"] for n, r in listing(desk).items() if n in SELECTED)
    assert statuses == ["held", "sent", "sent"]
    assert len(smtp_server.received) == 2


def test_a_form_without_a_usable_address_holds_the_notice_never_mails_the_sender(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    from intake.adapters.orm import Application

    desk = selection_desk(make_desk, smtp_server)
    chiba = BY_NAME["CHIBA Jun"]
    engine = make_engine(desk.settings.database_url)
    with Session(engine) as session:
        row = session.scalars(
            select(Application).where(Application.name_romaji == chiba.romaji)
        ).one()
        row.form = {**row.form, "email": "postmaster@example.jp"}
        session.commit()
    engine.dispose()
    path = fill(prepare(desk, tmp_path / "選考表.xlsx"), decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(path))
    dry = desk.cli("selection", "notify", "--term", "1", "--dry-run").stdout
    assert "送らずに保留" in dry and "メールシステムの管理用アドレス" in dry

    out = desk.cli("selection", "notify", "--term", "1", "--yes", expect=1)
    assert "保留" in out.stderr
    recipients = {r.rcpt_tos[0] for r in smtp_server.received}
    assert len(recipients) == 2
    assert chiba.sender not in recipients and "postmaster@example.jp" not in recipients
    assert listing(desk)[chiba.romaji]["notice_status"] == "held"


def test_confirmation_and_not_selected_notices(
    make_desk: Callable[..., Desk],
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = selection_desk(
        make_desk,
        smtp_server,
        term1='capacity = 3\ndecision_notice_by = "2099-05-12"\nnotify_not_selected = true',
        ack='charset = "iso-2022-jp"',  # the acknowledgement's setting holds for the notices
    )
    path = fill(prepare(desk, tmp_path / "選考表.xlsx"), decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(path))

    refused = desk.cli("selection", "notify", "--term", "1", expect=1)  # no terminal
    assert "--yes" in refused.stderr and smtp_server.received == []
    monkeypatch.setattr(selection_cli, "_can_prompt", lambda: True)

    def answer(reply: str) -> Result:
        arguments = ["--config", str(desk.config_path), "selection", "notify", "--term", "1"]
        return CliRunner().invoke(main, arguments, input=reply)

    declined = answer("n\n")
    assert declined.exit_code == 1 and "取りやめ" in declined.stdout
    assert smtp_server.received == []
    accepted = answer("y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "4 件送信" in accepted.output  # three 決定 and one 見送り; the 補欠 is told nothing
    subjects = {r.rcpt_tos[0]: parse_mail(r)[0]["Subject"] for r in smtp_server.received}
    doi = BY_NAME["DOI Mika"].form_email
    assert subjects[doi] == "【選考結果のお知らせ】外国人支援コーディネーター養成研修"
    assert BY_NAME["BABA Yoko"].form_email not in subjects
    for received in smtp_server.received:
        body = parse_mail(received)[0].get_body(preferencelist=("plain",))
        assert body is not None and body.get_content_charset() == "iso-2022-jp"
    assert (
        "受講いただけない"
        in parse_mail(next(r for r in smtp_server.received if r.rcpt_tos == [doi]))[1]
    )


def test_prepare_waits_for_the_cutoff_and_status_warns_before_the_notice_date(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from intake.domain.model import TOKYO

    tomorrow = (datetime.now(UTC).astimezone(TOKYO) + timedelta(days=1)).date()
    desk = selection_desk(
        make_desk,
        smtp_server,
        term1=f'capacity = 3\ndecision_notice_by = "{tomorrow.isoformat()}"',
        cut_off=False,
    )
    refused = desk.cli("selection", "prepare", "--term", "1", "--out", str(tmp_path / "a.xlsx"),
                       expect=1)  # fmt: skip
    assert "締切処理" in refused.stderr and "--before-cutoff" in refused.stderr
    assert not (tmp_path / "a.xlsx").exists()
    prepare(desk, tmp_path / "b.xlsx", "--before-cutoff")
    (tmp_path / "a file").write_text("not a folder")
    unwritable = tmp_path / "a file" / "c.xlsx"
    args = ("selection", "prepare", "--term", "1", "--out", str(unwritable), "--before-cutoff")
    failed = desk.cli(*args, expect=1)
    assert "に書き込めません" in failed.stderr and "Traceback" not in failed.stderr
    status = desk.cli("status").stdout
    assert "受講決定の通知期日" in status and "決定が未入力の申込 5 件" in status


def test_the_notice_date_warns_and_mails_the_operators_once(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    from intake.bootstrap import build_app
    from intake.devtools.demo import jst

    desk = selection_desk(make_desk, smtp_server, cutoff='notify = ["ops@example.jp"]')
    app = build_app(desk.settings)

    def alert_mails() -> list[Received]:
        return [r for r in smtp_server.received if "通知期日" in parse_mail(r)[0]["Subject"]]

    def alerts() -> list[str]:
        return [r.rcpt_tos[0] for r in alert_mails()]

    assert app.selection_guard(jst(2099, 4, 1)) == []  # long before the date
    (warning,) = app.selection_guard(jst(2099, 5, 11))
    assert "通知期日は 5月12日（火） 17:00" in warning and "決定が未入力の申込 5 件" in warning
    assert alerts() == []  # warned, not mailed: the day has not come

    path = fill(prepare(desk, tmp_path / "選考表.xlsx"), decisions_for(desk, FIRST_CHOICE))
    desk.cli("selection", "import", "--term", "1", str(path))
    (warning,) = app.selection_guard(jst(2099, 5, 12, 9))
    assert "未送信の受講決定のお知らせ 3 件" in warning
    assert alerts() == ["ops@example.jp"]
    body = parse_mail(alert_mails()[0])[1]
    assert references(desk)["CHIBA Jun"] in body and "千葉 純" in body
    app.selection_guard(jst(2099, 5, 12, 9, 5))
    app.selection_guard(jst(2099, 5, 12, 16, 0))
    assert alerts() == ["ops@example.jp"]  # once, not on every look

    desk.cli("selection", "notify", "--term", "1", "--yes")
    assert app.selection_guard(jst(2099, 5, 12, 16, 30)) == []
    late = app.selection_guard(jst(2099, 5, 13))
    assert late == []  # everything told: nothing to say after the date either
    app.engine.dispose()
