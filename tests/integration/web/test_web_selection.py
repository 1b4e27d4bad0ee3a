"""The console's dashboard warns about the notice date like `intake status` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from intake.domain.model import TOKYO
from intake.entrypoints.cli import main

from selection_support import PEOPLE, application_mail
from web_support import OPERATOR, log_in, write_console_config


@pytest.fixture
def console_config(tmp_path: Path, database_url: str) -> Path:
    """The console's config, its first term with a notice date tomorrow."""
    path = write_console_config(tmp_path / "intake.toml", database_url)
    tomorrow = (datetime.now(UTC).astimezone(TOKYO) + timedelta(days=1)).date()
    text = path.read_text(encoding="utf-8").replace(
        "capacity = 60\n", f'capacity = 3\ndecision_notice_by = "{tomorrow.isoformat()}"\n', 1
    )
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_dashboard_warns_while_decisions_are_missing(
    client: TestClient, console_config: Path, tmp_path: Path
) -> None:
    log_in(client, *OPERATOR)
    assert "selection-warning" not in client.get("/").text  # no candidate yet: nothing missing
    person = PEOPLE[0]
    eml = tmp_path / "mail.eml"
    eml.write_bytes(application_mail(person, 1))
    args = ["--config", str(console_config), "ingest", str(eml)]
    result = CliRunner().invoke(main, [*args, "--received-at", person.received.isoformat()])
    assert result.exit_code == 0, result.output
    html = client.get("/").text
    assert 'class="flash flash-error selection-warning"' in html
    assert "受講決定の通知期日" in html and "決定が未入力の申込 1 件" in html
