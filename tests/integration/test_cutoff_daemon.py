"""Deadline cutoffs and the `intake run` daemon, against Dovecot, aiosmtpd and the database."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from intake.devtools.demo import demo_mails, jst
from intake.devtools.smtpserver import SmtpTestServer

from support import Desk, wait_until

pytestmark = pytest.mark.dovecot


@pytest.fixture
def cutoff_desk(make_desk: Callable[..., Desk], smtp_server: SmtpTestServer) -> Desk:
    desk = make_desk(
        smtp_port=smtp_server.port,
        cutoff='notify = ["ops@example.jp"]\nexports_dir = "exports"',
    )
    for mail in demo_mails():
        desk.append(mail.raw, mail.received_at)
    return desk


def test_cutoff_sweeps_writes_the_roster_and_summary_once(
    cutoff_desk: Desk, smtp_server: SmtpTestServer
) -> None:
    desk = cutoff_desk
    early = desk.cli("cutoff", "--term", "2", "--now", jst(2025, 7, 1, 16).isoformat()).stdout
    assert "締切前" in early
    assert desk.json("messages", "list") == []  # nothing was done, not even the sweep

    done = desk.cli("cutoff", "--term", "2", "--now", jst(2025, 7, 1, 17, 5).isoformat()).stdout
    assert "締め切りました" in done
    # The final sweep took the mailbox in before closing.
    assert len(desk.json("messages", "list")) == len(demo_mails())
    roster = desk.root / "exports" / "第2期_受講申込者一覧_v1.xlsx"
    book = load_workbook(roster)
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["申込番号", "受付番号", "氏名", "氏名（ローマ字）"]
    assert "受講資格" in headers and "受信日時" in headers
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[3] for r in rows) == ["MORI Ken", "NGUYEN Thi Lan"]
    received = rows[0][headers.index("受信日時")]
    assert isinstance(received, datetime)
    consultations = rows[0][headers.index("年間相談件数")]
    assert isinstance(consultations, int)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None

    (summary,) = smtp_server.received
    assert summary.rcpt_tos == ["ops@example.jp"]
    message = email.message_from_bytes(summary.data, policy=email.policy.default)
    assert "第2期" in str(message["Subject"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "60" in body.get_content()

    again = desk.cli("cutoff", "--term", "2", "--now", jst(2025, 7, 2).isoformat()).stdout
    assert "実行済み" in again
    assert len(smtp_server.received) == 1
    assert sorted(p.name for p in (desk.root / "exports").glob("*.xlsx")) == [roster.name]

    # Extending the deadline reopens the term; its next cutoff writes version 2.
    text = desk.config_path.read_text(encoding="utf-8")
    desk.config_path.write_text(
        text.replace("2025-07-01T17:00:00+09:00", "2025-07-08T17:00:00+09:00"), "utf-8"
    )
    status = desk.cli("status").stdout
    assert "受付中" in status or "締切を過ぎています" in status
    desk.cli("cutoff", "--term", "2", "--now", jst(2025, 7, 8, 17, 1).isoformat())
    assert (desk.root / "exports" / "第2期_受講申込者一覧_v2.xlsx").exists()
    assert len(smtp_server.received) == 2


def test_status_reports_the_desk(cutoff_desk: Desk) -> None:
    cutoff_desk.cli("poll", "--once")
    out = cutoff_desk.cli("status").stdout
    assert "最後に取り込んだ日時" in out
    assert "未対応の不備: 4 件" in out
    assert "第1期" in out and "第2期" in out


INTAKE = str(Path(sys.executable).with_name("intake"))


def daemon_env(desk: Desk) -> dict[str, str]:
    return {**os.environ, "INTAKE_TEST_IMAP_PASSWORD": desk.password}


def start_daemon(desk: Desk, log_path: Path) -> subprocess.Popen[bytes]:
    """`intake run` as systemd would start it, its log in ``log_path``."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [INTAKE, "--config", str(desk.config_path), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=daemon_env(desk),
        )


def test_daemon_takes_in_new_mail_and_stops_cleanly_on_sigterm(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    desk = make_desk(
        smtp_port=smtp_server.port, imap_extra="poll_interval = 1", ack="send_interval = 1"
    )
    log_path = tmp_path / "daemon.log"
    daemon = start_daemon(desk, log_path)
    try:
        mail = demo_mails()[0]
        desk.append(mail.raw, mail.received_at)
        assert wait_until(lambda: len(desk.json("messages", "list")) == 1)
        # A second daemon on the same store refuses to start.
        second = subprocess.run(
            [INTAKE, "--config", str(desk.config_path), "run"],
            env=daemon_env(desk),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 6
        assert "すでに" in second.stderr
        # Its due acknowledgement (7 days after 2025-04-14) is long past: it goes out.
        assert wait_until(lambda: len(smtp_server.received) == 1)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    log_text = log_path.read_text(encoding="utf-8")
    assert "intake run stopped" in log_text
    assert desk.password not in log_text
    assert json.loads(desk.cli("acks", "list", "--json").stdout)[0]["status"] == "sent"


def test_cutoff_is_not_recorded_when_the_sweep_is_incomplete(
    cutoff_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intake.services import poll as poll_service

    real = poll_service.record_message

    def disk_full(*args: object, **kwargs: object) -> object:
        if kwargs["source"].uid == 2:  # type: ignore[attr-defined]
            raise OSError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(poll_service, "record_message", disk_full)
    now = jst(2025, 7, 1, 17, 5).isoformat()
    result = cutoff_desk.cli("cutoff", "--term", "2", "--now", now, expect=1)
    assert "締切処理を中止" in result.stderr
    assert not (cutoff_desk.root / "exports").exists()
    monkeypatch.setattr(poll_service, "record_message", real)
    assert "締め切りました" in cutoff_desk.cli("cutoff", "--term", "2", "--now", now).stdout


def test_daemon_takes_in_an_extended_deadline_without_a_restart(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    from intake.devtools.demo import pdf, xlsx
    from intake.devtools.samplemail import build_mail

    def late(n: int, day: int) -> bytes:
        name = "TANAKA Ken"
        return build_mail(
            subject=f"受講申込_{name}",
            message_id=f"late-{n}@example.jp",
            date=jst(2025, 7, day),
            from_addr=f"late{n}@example.jp",
            attachments=[
                xlsx("受講申込書", name, "受講申込書_NGUYEN Thi Lan.xlsx"),
                xlsx("実務経験申告書", name, "実務経験申告書_NGUYEN Thi Lan.xlsx"),
                pdf("在職証明書", name),
            ],
        )

    desk = make_desk(smtp_port=smtp_server.port, imap_extra="poll_interval = 1")
    log_path = tmp_path / "daemon.log"
    daemon = start_daemon(desk, log_path)
    try:
        desk.append(late(1, 3), jst(2025, 7, 3, 10))
        assert wait_until(lambda: len(desk.json("messages", "list")) == 1)
        assert desk.json("messages", "list")[0]["outcome"] == "rejected"
        text = desk.config_path.read_text(encoding="utf-8")
        desk.config_path.write_text(
            text.replace("2025-07-01T17:00:00+09:00", "2025-07-08T17:00:00+09:00"), "utf-8"
        )
        daemon.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "config reloaded" in log_path.read_text(encoding="utf-8"))
        desk.append(late(2, 4), jst(2025, 7, 4, 10))
        assert wait_until(lambda: len(desk.json("messages", "list")) == 2)
        assert desk.json("messages", "list")[1]["outcome"] == "accepted"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_a_failed_summary_is_retried_only_to_those_who_missed_it(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer
) -> None:
    desk = make_desk(
        smtp_port=smtp_server.port,
        cutoff='notify = ["a@example.jp", "b@example.jp"]\nexports_dir = "exports"',
    )
    smtp_server.fail_next(1, 451, "4.3.0 try again later")
    now = jst(2025, 5, 8).isoformat()
    first = desk.cli("cutoff", "--term", "1", "--now", now)
    assert "集計メールを送れませんでした" in first.stderr
    assert [r.rcpt_tos for r in smtp_server.received] == [["b@example.jp"]]
    again = desk.cli("cutoff", "--term", "1", "--now", now)
    assert "実行済み" in again.stdout and again.stderr == ""
    assert [r.rcpt_tos for r in smtp_server.received] == [["b@example.jp"], ["a@example.jp"]]
    desk.cli("cutoff", "--term", "1", "--now", now)
    assert len(smtp_server.received) == 2
