"""`intake users …`: the contract scripts rely on, and the Japanese refusals."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from intake.entrypoints.cli import main

from web_support import INTAKE, write_console_config

pytestmark = pytest.mark.postgres


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = write_console_config(tmp_path / "intake.toml", database_url)
    assert CliRunner().invoke(main, ["--config", str(path), "db", "upgrade"]).exit_code == 0
    return path


def cli(config: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], input=stdin)


def installed(config: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """The console script as a provisioning script runs it."""
    return subprocess.run(
        [INTAKE, "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_add_reads_one_line_from_stdin_and_refuses_a_taken_name(config: Path) -> None:
    added = installed(
        config, "users", "add", "Tanaka", "--role", "operator", "--password-stdin",
        stdin="correct horse battery\nignored second line\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "tanaka" in added.stdout and "担当者" in added.stdout
    again = installed(
        config, "users", "add", "tanaka", "--role", "viewer", "--password-stdin",
        stdin="another long password\n",
    )  # fmt: skip
    assert again.returncode != 0
    assert "すでに登録されています" in again.stderr and "Traceback" not in again.stderr
    listed = json.loads(cli(config, "users", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [("tanaka", "operator", True)]


@pytest.mark.parametrize("password", ["short", "elevenchars", ""])
def test_a_short_password_is_refused(config: Path, password: str) -> None:
    result = cli(
        config,
        "users",
        "add",
        "sato",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert result.exit_code != 0
    assert "12 文字以上" in result.stderr
    assert json.loads(cli(config, "users", "list", "--json").stdout) == []


def test_role_is_required_and_checked(config: Path) -> None:
    assert cli(config, "users", "add", "sato", "--password-stdin", stdin="x" * 12).exit_code == 2
    wrong = cli(config, "users", "add", "sato", "--role", "admin", "--password-stdin")
    assert wrong.exit_code == 2


def test_without_password_stdin_a_pipe_is_refused(config: Path) -> None:
    result = cli(config, "users", "add", "sato", "--role", "viewer", stdin="long password 12\n")
    assert result.exit_code == 2
    assert "--password-stdin" in result.stderr


def test_passwd_disable_enable_and_list(config: Path) -> None:
    cli(config, "users", "add", "sato", "--role", "viewer", "--password-stdin", stdin="x" * 12)
    changed = cli(config, "users", "passwd", "SATO", "--password-stdin", stdin="y" * 12)
    assert changed.exit_code == 0 and "変更しました" in changed.stdout
    assert cli(config, "users", "passwd", "sato", "--password-stdin", stdin="y").exit_code != 0
    assert "無効にしました" in cli(config, "users", "disable", "sato").stdout
    assert json.loads(cli(config, "users", "list", "--json").stdout)[0]["active"] is False
    table = cli(config, "users", "list").stdout
    assert "sato" in table and "閲覧のみ" in table and "無効" in table
    assert "有効にしました" in cli(config, "users", "enable", "sato").stdout
    missing = cli(config, "users", "disable", "nobody")
    assert missing.exit_code == 5 and "登録されていません" in missing.stderr


def test_users_need_db_upgrade_like_every_command(tmp_path: Path) -> None:
    path = write_console_config(tmp_path / "intake.toml", f"sqlite:///{tmp_path}/fresh.db")
    result = cli(
        path, "users", "add", "sato", "--role", "viewer", "--password-stdin", stdin="x" * 12
    )
    assert result.exit_code == 3
    assert "intake db upgrade" in result.stderr
