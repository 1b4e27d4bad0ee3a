"""`intake web`, `intake run` with [web] enabled, and `intake demo --web` as real processes:
they serve the console, see an edited config, and stop cleanly on SIGTERM / Ctrl+C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from intake.devtools.demo import demo_mails
from intake.devtools.smtpserver import SmtpTestServer
from intake.entrypoints.cli import main

from support import Desk, wait_until
from web_support import (
    INTAKE,
    OPERATOR,
    ConsoleProcess,
    free_port,
    log_in,
    write_console_config,
)


def add_operator(config: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "users", "add", OPERATOR[0], "--role", "operator",
         "--password-stdin"],
        input=OPERATOR[1] + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def healthy(url: str) -> bool:
    try:
        return httpx2.get(url + "healthz", timeout=2).status_code == 200
    except httpx2.HTTPError:
        return False


def test_intake_web_serves_sees_config_edits_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = write_console_config(tmp_path / "intake.toml", f"sqlite:///{tmp_path}/intake.db")
    assert CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    add_operator(config)
    console = ConsoleProcess(["--config", str(config), "web", "--port", "0"])
    try:
        url = console.wait_for(r"操作画面: (http://127\.0\.0\.1:\d+/)").group(1)
        assert healthy(url)
        with httpx2.Client(base_url=url) as browser:
            assert log_in(browser, *OPERATOR).status_code == 303
            assert "第2期" in browser.get("/").text
            text = config.read_text(encoding="utf-8")
            config.write_text(text.replace('name = "第2期"', 'name = "第2期（延長）"'), "utf-8")
            assert wait_until(lambda: "第2期（延長）" in browser.get("/").text, timeout=15)
        assert console.stop(signal.SIGTERM) == 0
    finally:
        console.stop(signal.SIGKILL)
    assert "Traceback" not in console.output
    assert OPERATOR[1] not in console.output


def test_a_port_in_use_is_one_japanese_line(tmp_path: Path) -> None:
    config = write_console_config(tmp_path / "intake.toml", f"sqlite:///{tmp_path}/intake.db")
    assert CliRunner().invoke(main, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [INTAKE, "--config", str(config), "web", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "開始できません" in result.stderr
    assert "Traceback" not in result.stderr
    assert "まだ利用者がいません" in result.stderr


@pytest.mark.dovecot
def test_intake_run_serves_the_console_with_the_settings_it_reloads(
    make_desk: Callable[..., Desk], smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    desk = make_desk(smtp_port=smtp_server.port, imap_extra="poll_interval = 1")
    for mail in demo_mails()[:3]:
        desk.append(mail.raw, mail.received_at)
    port = free_port()
    with desk.config_path.open("a", encoding="utf-8") as config:
        config.write(f"\n[web]\nenabled = true\nport = {port}\n")
    add_operator(desk.config_path)
    url = f"http://127.0.0.1:{port}/"
    daemon = ConsoleProcess(
        ["--config", str(desk.config_path), "run"],
        env={"INTAKE_TEST_IMAP_PASSWORD": desk.password},
    )
    try:
        assert wait_until(lambda: healthy(url)), daemon.output
        with httpx2.Client(base_url=url) as browser:
            log_in(browser, *OPERATOR)
            # The daemon's first poll shows on the dashboard.
            assert wait_until(lambda: "まだ一度も" not in browser.get("/").text), daemon.output
            assert "2025/07/01（火）17:00" in browser.get("/").text
            text = desk.config_path.read_text(encoding="utf-8")
            desk.config_path.write_text(
                text.replace("2025-07-01T17:00:00+09:00", "2025-07-08T17:00:00+09:00"), "utf-8"
            )
            daemon.process.send_signal(signal.SIGHUP)
            assert wait_until(lambda: "2025/07/08（火）17:00" in browser.get("/").text)
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.stop(signal.SIGKILL)
    assert "web console at" in daemon.output
    assert "intake run stopped" in daemon.output
    assert "Traceback" not in daemon.output


@pytest.mark.dovecot
def test_demo_web_prints_the_url_and_a_one_time_password(tmp_path: Path) -> None:
    demo = ConsoleProcess(["demo", "--web", "--port", "0", "--dir", str(tmp_path / "demo")])
    try:
        url = demo.wait_for(r"URL:\s+(http://127\.0\.0\.1:\d+/)", timeout=180).group(1)
        user = demo.wait_for(r"利用者名:\s+(\S+)").group(1)
        password = demo.wait_for(r"パスワード:\s+([^（\s]+)").group(1)
        assert user == "demo"
        with httpx2.Client(base_url=url) as browser:
            assert log_in(browser, user, password).status_code == 303
            home = browser.get("/").text
        found = re.search(r'id="count-open-rejections".*?card-value">(\d+)<', home, re.S)
        assert found is not None
        assert int(found.group(1)) == sum(1 for m in demo_mails() if m.outcome == "rejected")
        assert demo.stop(signal.SIGINT) == 0
    finally:
        demo.stop(signal.SIGKILL)
    assert "デモは終わりです" in demo.output
    assert "Traceback" not in demo.output
