from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import ConfigError, load_settings

MINIMAL = """
[database]
url = "sqlite:///data/intake.db"      # relative paths resolve against the config file's folder
[storage]
dir = "data/store"
[imap]
host = "127.0.0.1"
port = 10143
security = "none"                      # "ssl" (default) | "starttls" | "none"
username = "scfn"
password_env = "INTAKE_IMAP_PASSWORD"
folder = "INBOX"
[smtp]
host = "127.0.0.1"
port = 10025
security = "none"
from_address = "scfn@example.jp"
[ack]
delay_days = 7
[[terms]]
id = 1
name = "第1期"
opens_at = "2025-03-10T10:00:00+09:00"
closes_at = "2025-05-07T17:00:00+09:00"
capacity = 60
training_starts_on = "2025-06-02"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intake.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_from_the_issue(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/data/intake.db"
    assert settings.storage_dir == tmp_path.resolve() / "data/store"
    assert settings.imap.effective_port == 10143
    assert settings.terms[0].opens_at.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert settings.limits.attachment_max_bytes == 20 * 1024 * 1024


def test_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example)
    assert settings.imap.security == "ssl"
    assert [t.id for t in settings.terms] == [1, 2]


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    monkeypatch.setenv("INTAKE_IMAP_PASSWORD", "s3cret")
    assert settings.imap.read_secret("[imap]") == "s3cret"
    monkeypatch.delenv("INTAKE_IMAP_PASSWORD")
    with pytest.raises(ConfigError, match="INTAKE_IMAP_PASSWORD"):
        settings.imap.read_secret("[imap]")


def test_secret_from_file_relative_to_config(tmp_path: Path) -> None:
    (tmp_path / "imap.secret").write_text("from-file\n", encoding="utf-8")
    text = MINIMAL.replace('password_env = "INTAKE_IMAP_PASSWORD"', 'password_file = "imap.secret"')
    settings = load_settings(write(tmp_path, text))
    assert settings.imap.read_secret("[imap]") == "from-file"


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda t: t + "\n[extra]\nfoo = 1\n", "未知のキー extra"),
        (lambda t: t.replace("port = 10143", 'port = "many"'), "imap.port の値が不正"),
        (lambda t: t.replace('username = "scfn"\n', ""), "必須のキー imap.username"),
        (lambda t: t.replace('security = "none"  ', 'security = "tls"  '), "imap.security"),
        (lambda t: t.replace("[ack]", "[ack]\ndelay = 3"), "未知のキー ack.delay"),
        (lambda t: t + "password = 'x'\n", "未知のキー terms.0.password"),
        (lambda t: t.replace("[database]", "[database"), "TOML 構文エラー"),
    ],
)
def test_errors_are_one_readable_line(tmp_path: Path, mutation: object, expected: str) -> None:
    text = mutation(MINIMAL)  # type: ignore[operator]
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="見つかりません"):
        load_settings(tmp_path / "nope.toml")


def test_closing_before_opening_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace("2025-05-07T17:00:00+09:00", "2025-03-01T17:00:00+09:00")
    with pytest.raises(ConfigError, match="closes_at"):
        load_settings(write(tmp_path, text))
