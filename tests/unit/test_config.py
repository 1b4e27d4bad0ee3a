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
    # The recruitment page's notice dates: 5/12 and 7/8, by 17:00.
    assert [str(t.decision_deadline) for t in settings.terms] == [
        "2025-05-12 17:00:00+09:00",
        "2025-07-08 17:00:00+09:00",
    ]
    assert not settings.terms[0].notify_not_selected and settings.terms[0].venue


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
        (lambda t: t + "password = 'x'\n", "未知のキー [[terms]] 第1期（id = 1）の password"),
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


def test_relative_ca_file_resolves_against_the_config_folder_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", "ascii")
    text = MINIMAL.replace('folder = "INBOX"', 'folder = "INBOX"\nca_file = "certs/ca.pem"')
    text = text.replace("from_address =", 'ca_file = "certs/ca.pem"\nfrom_address =')
    monkeypatch.chdir("/")  # as under systemd
    settings = load_settings(write(tmp_path, text))
    assert settings.imap.ca_file == tmp_path.resolve() / "certs" / "ca.pem"
    assert settings.smtp is not None
    assert settings.smtp.ca_file == tmp_path.resolve() / "certs" / "ca.pem"


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            lambda t: t.replace('folder = "INBOX"', 'folder = "INBOX"\nca_file = "certs/ca.pem"'),
            "[imap] ca_file のファイル {base}/certs/ca.pem が見つかりません",
        ),
        (
            lambda t: t.replace("from_address =", 'ca_file = "ca.pem"\nfrom_address ='),
            "[smtp] ca_file のファイル {base}/ca.pem が見つかりません",
        ),
        (
            lambda t: t.replace(
                'password_env = "INTAKE_IMAP_PASSWORD"', 'password_file = "imap.secret"'
            ),
            "[imap] password_file のファイル {base}/imap.secret が見つかりません",
        ),
        (
            lambda t: 'templates_dir = "my-templates"\n' + t,
            "templates_dir のフォルダー {base}/my-templates が見つかりません",
        ),
        (
            lambda t: t.replace("delay_days = 7", 'delay_days = 7\ntemplate = "nai.txt.j2"'),
            "[ack] template のテンプレート nai.txt.j2 が",
        ),
    ],
)
def test_missing_input_files_are_named_at_load_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mutation: object, expected: str
) -> None:
    monkeypatch.chdir("/")
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, mutation(MINIMAL)))  # type: ignore[operator]
    assert expected.format(base=tmp_path.resolve()) in str(info.value)


def test_folders_intake_creates_itself_need_not_exist(tmp_path: Path) -> None:
    text = MINIMAL.replace('dir = "data/store"', 'dir = "not/yet/here"')
    text += '[cutoff]\nexports_dir = "exports/later"\n'
    settings = load_settings(write(tmp_path, text))
    assert settings.storage_dir == tmp_path.resolve() / "not/yet/here"
    assert settings.exports_dir == tmp_path.resolve() / "exports/later"


@pytest.mark.parametrize(
    "written",
    ['closes_at = "2025-05-07"', "closes_at = 2025-05-07", 'closes_at = " 2025-5-7 "'],
)
def test_a_date_only_deadline_is_refused_with_the_time_to_write(
    tmp_path: Path, written: str
) -> None:
    text = MINIMAL.replace('closes_at = "2025-05-07T17:00:00+09:00"', written)
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    message = str(info.value)
    assert "[[terms]] 第1期（id = 1）の closes_at" in message
    assert "時刻まで書いてください" in message and "T17:00:00+09:00" in message


def test_a_date_only_opening_is_refused_too(tmp_path: Path) -> None:
    text = MINIMAL.replace('opens_at = "2025-03-10T10:00:00+09:00"', "opens_at = 2025-03-10")
    with pytest.raises(ConfigError, match="opens_at の値が不正です: 日付だけ"):
        load_settings(write(tmp_path, text))


def test_a_config_without_terms_is_refused(tmp_path: Path) -> None:
    text = MINIMAL[: MINIMAL.index("[[terms]]")]
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert "[[terms]] がありません" in str(info.value)
    assert "募集期間外" in str(info.value)


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda t: t.replace("port = 10143", 'port = "many"'), "整数で書いてください"),
        (lambda t: t.replace("capacity = 60", "capacity = 0"), "1 以上にしてください"),
        (
            lambda t: t.replace('training_starts_on = "2025-06-02"', 'training_starts_on = "6/2"'),
            '日付は "2025-08-01" の形で書いてください',
        ),
        (
            lambda t: t.replace('security = "none"  ', 'security = "tls"  '),
            "使える値は 'ssl', 'starttls' or 'none' のどれかです",
        ),
        (
            lambda t: t.replace("2025-05-07T17:00:00+09:00", "2025-03-01T17:00:00+09:00"),
            "第1期: closes_at が opens_at 以前です",
        ),
        (
            lambda t: t.replace("capacity = 60", 'capacity = 60\ndecision_notice_by = "5/12"'),
            '日付は "2025-08-01" の形で書いてください',
        ),
        (
            lambda t: t.replace(
                "capacity = 60", 'capacity = 60\ndecision_notice_by = "2025-05-01"'
            ),
            "第1期: decision_notice_by（2025-05-01）が締切日（2025-05-07）より前です",
        ),
        (
            lambda t: t.replace("capacity = 60", 'capacity = 60\nnotify_not_selected = "はい"'),
            "notify_not_selected の値が不正です: true か false で書いてください",
        ),
    ],
)
def test_errors_are_told_in_japanese_naming_the_term(
    tmp_path: Path, mutation: object, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, mutation(MINIMAL)))  # type: ignore[operator]
    message = str(info.value)
    assert expected in message
    for english in ("Input should", "Value error", "valid integer", "at least"):
        assert english not in message


def test_web_defaults_are_loopback_and_the_issue_s_limits(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    web = settings.web
    assert (web.enabled, web.host, web.port) == (False, "127.0.0.1", 8080)
    assert web.on_loopback
    assert (web.session_idle_minutes, web.login_max_failures) == (30, 10)
    assert (web.login_window_minutes, web.login_lockout_minutes) == (15, 15)
    assert web.trusted_proxies == []
    assert settings.web_secret_key_path == tmp_path.resolve() / "data/web-secret.key"
    assert settings.web_tls_files is None


def test_web_section_is_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    for name in ("console.pem", "console.key"):
        (tmp_path / "certs" / name).write_text("-----BEGIN-----\n", "ascii")
    text = MINIMAL + (
        '\n[web]\nenabled = true\nhost = "0.0.0.0"\nport = 8443\n'
        'trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\nsession_idle_minutes = 10\n'
        'tls_cert_file = "certs/console.pem"\ntls_key_file = "certs/console.key"\n'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.web.enabled and not settings.web.on_loopback
    assert settings.web.trusted_proxies == ["127.0.0.1", "10.0.0.0/8"]
    assert settings.web_tls_files == (
        tmp_path.resolve() / "certs/console.pem",
        tmp_path.resolve() / "certs/console.key",
    )


@pytest.mark.parametrize(
    ("web", "expected"),
    [
        ('trusted_proxies = ["proxy.example"]', "trusted_proxies"),
        ('trusted_proxies = ["10.0.0.1/8"]', "trusted_proxies"),
        ('tls_cert_file = "c.pem"', "tls_key_file"),
        ("port = 0", "web.port"),
        ("session_idle_minutes = 0", "web.session_idle_minutes"),
        ("login_max_failure = 3", "未知のキー web.login_max_failure"),
        ('tls_cert_file = "no.pem"\ntls_key_file = "no.key"', "tls_cert_file のファイル"),
    ],
)
def test_web_mistakes_are_one_readable_line(tmp_path: Path, web: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL + f"\n[web]\n{web}\n"))
    assert expected in str(info.value)
