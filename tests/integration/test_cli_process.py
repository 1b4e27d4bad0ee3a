"""The installed `intake` console script, as cron or an operator runs it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from support import ONE_TERM, run_intake


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_intake(*args, env=env)


def test_help_is_japanese_and_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("db", "poll", "messages", "rejections", "demo"):
        assert command in result.stdout
    assert "終了コード" in result.stdout
    assert "受講申込メール" in result.stdout


def test_missing_config_is_exit_2(tmp_path: Path) -> None:
    env = {"INTAKE_CONFIG": ""}
    result = run("messages", "list", env=env)
    assert result.returncode == 2
    assert "設定ファイルが指定されていません" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_config_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[imap]\nhost = "x"\nusername = "u"\nbogus = 1\n', encoding="utf-8")
    result = run("--config", str(config), "db", "upgrade")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "未知のキー imap.bogus" in result.stderr


def test_config_from_environment_and_db_upgrade(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('[imap]\nhost = "127.0.0.1"\nusername = "u"\n' + ONE_TERM, encoding="utf-8")
    result = run("db", "upgrade", env={"INTAKE_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "intake.db").exists()
    assert "最新" in run("db", "upgrade", env={"INTAKE_CONFIG": str(config)}).stdout
    listed = run("--config", str(config), "messages", "list", "--json")
    assert listed.returncode == 0
    assert listed.stdout.strip() == "[]"


# Lines a library may write through logging (alembic's INFO, mail-parser's warnings, Python
# warnings): none may reach stderr, where cron mails everything to the operators.
LIBRARY_LINE = re.compile(r"alembic|mailparser|py\.warnings|not handled|Context impl|Warning")

CALENDAR_MAIL = (
    b"From: taro@example.jp\r\nSubject: =?UTF-8?B?5Y+X6Kyb55Sz6L68X1lBTUFEQSBUYXJv?=\r\n"
    b"Date: Mon, 14 Apr 2025 09:30:00 +0900\r\nMessage-ID: <cal@example.jp>\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BB"\r\n\r\n'
    b"--BB\r\nContent-Type: text/calendar; charset=utf-8\r\n\r\n"
    b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    b"--BB\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=x.pdf\r\n"
    b"\r\n%PDF\r\n--BB--\r\n"
)


def test_library_chatter_never_reaches_stderr(tmp_path: Path) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('[imap]\nhost = "127.0.0.1"\nusername = "u"\n' + ONE_TERM, encoding="utf-8")
    mail = tmp_path / "calendar.eml"
    mail.write_bytes(CALENDAR_MAIL)
    quiet = [("db", "upgrade"), ("ingest", str(mail)), ("messages", "list")]
    for args in quiet:
        result = run("--config", str(config), *args)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", (args, result.stderr)
    # With -v intake says what it does, and still nothing of its libraries.
    for args in [("db", "upgrade"), ("ingest", str(mail)), ("rejections", "list")]:
        result = run("--config", str(config), "-v", *args)
        assert result.returncode == 0, result.stderr
        assert not LIBRARY_LINE.search(result.stderr), (args, result.stderr)
