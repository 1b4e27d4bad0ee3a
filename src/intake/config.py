"""Configuration: one TOML file, validated by pydantic.

Secrets never live in the file: a section names an environment variable (``password_env``) or a
file (``password_file``) instead. Relative paths resolve against the config file's folder, so a
deployment can move the whole folder.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from intake.config_wording import describe_error
from intake.domain.model import DocumentNames, Term
from intake.resources import templates_dir as shipped_templates_dir

CONFIG_ENV = "INTAKE_CONFIG"


class ConfigError(Exception):
    """A configuration problem, told in one readable line."""


def _against_config_folder(value: Path | None, info: ValidationInfo) -> Path | None:
    """A relative path means relative to the config file's folder (never the working directory:
    under systemd that is /). load_settings passes the folder as the validation context."""
    base = info.context.get("base_dir") if isinstance(info.context, dict) else None
    if value is None or base is None or value.is_absolute():
        return value
    return Path(base) / value


# A path written in the config file.
ConfigPath = Annotated[Path, AfterValidator(_against_config_folder)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretSource(_Section):
    """Where a password comes from: an environment variable or a file, never the config itself."""

    password_env: str | None = None
    password_file: ConfigPath | None = None

    def read_secret(self, what: str) -> str | None:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    f"{what}: 環境変数 {self.password_env} が設定されていません"
                    f"（password_env で指定されたパスワードを読めません）"
                )
            return value
        if self.password_file:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"{what}: password_file {self.password_file} を読めません: {exc.strerror}"
                ) from exc
        return None


class DatabaseConfig(_Section):
    url: str = "sqlite:///data/intake.db"


class StorageConfig(_Section):
    dir: ConfigPath = Path("data/store")


class LoginConfig(SecretSource):
    """How to log in: a password (from env or file) or an OAuth2 access token (XOAUTH2)
    printed by ``token_command``, run for each connection; its output is never logged."""

    auth: Literal["password", "xoauth2", "none"] = "password"
    token_command: str | None = None
    token_timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _token_for_xoauth2(self) -> LoginConfig:
        if self.auth == "xoauth2" and not self.token_command:
            raise ValueError('auth = "xoauth2" には token_command が必要です')
        return self


class ImapConfig(LoginConfig):
    host: str
    port: int | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    verify_certificate: bool = True
    ca_file: ConfigPath | None = None
    username: str
    folder: str = "INBOX"
    # A keyword marks a message as taken in; it is never \Seen, so staff still see it as unread.
    processed_keyword: str = "$IntakeProcessed"
    # Optional MOVE per outcome (e.g. {accepted = "Intake/Accepted"}); outcomes not listed get
    # the keyword and stay in the folder. Nothing is ever deleted.
    move_to: dict[str, str] = Field(default_factory=dict)
    connect_timeout: float = 30.0
    command_timeout: float = 120.0
    fetch_batch_size: int = Field(default=20, ge=1, le=500)
    fetch_batch_bytes: int = Field(default=50 * 1024 * 1024, ge=1024 * 1024)
    poll_interval: int = Field(default=300, ge=1)
    connect_attempts: int = Field(default=4, ge=1, le=20)

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 993 if self.security == "ssl" else 143

    @field_validator("move_to")
    @classmethod
    def _known_outcomes(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"accepted", "rejected", "other", "ignored", "duplicate"}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"未知の結果 {unknown}（使えるのは {sorted(allowed)}）")
        return value


class SmtpConfig(LoginConfig):
    host: str
    port: int | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    verify_certificate: bool = True
    ca_file: ConfigPath | None = None
    # "password" needs username and a password source; "none" sends without logging in.
    auth: Literal["password", "xoauth2", "none"] = "none"
    username: str | None = None
    from_address: str
    from_name: str = "外国人支援コーディネーター養成研修事務局"
    timeout: float = 60.0
    # At most this many messages a minute (the provider's sending limits).
    max_per_minute: int = Field(default=60, ge=1, le=10_000)

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class AckConfig(_Section):
    """The 受付完了 acknowledgement sent about a week after an application is complete."""

    delay_days: int = Field(default=7, ge=0, le=60)
    # Count only weekdays that are not Japanese public holidays nor closure days.
    business_days: bool = False
    # Days the office is closed: "MM-DD" every year, or "YYYY-MM-DD" once.
    closure_days: list[str] = Field(
        default_factory=lambda: ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"]
    )
    # Office hours (JST) a due time is moved into, e.g. "09:00-18:00"; None: any time.
    send_window: str | None = None
    subject: str = "【受付完了】外国人支援コーディネーター養成研修 受講申込について"
    template: str = "ack.txt.j2"
    html_template: str | None = None
    charset: Literal["utf-8", "iso-2022-jp"] = "utf-8"
    # Temporary failures (4xx, lost connection) are retried this many times with backoff.
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_base_seconds: int = Field(default=300, ge=1)
    # How often the daemon looks for due acknowledgements (seconds).
    send_interval: int = Field(default=60, ge=1)
    # Where replies from applicants should go (Reply-To), if not the From address.
    reply_to: str | None = None

    @field_validator("closure_days")
    @classmethod
    def _closure_format(cls, value: list[str]) -> list[str]:

        bad = [d for d in value if not re.fullmatch(r"(\d{4}-)?\d{2}-\d{2}", d)]
        if bad:
            raise ValueError(f"closure_days は MM-DD か YYYY-MM-DD で書いてください: {bad}")
        return value

    @field_validator("send_window")
    @classmethod
    def _window_format(cls, value: str | None) -> str | None:

        if value is not None and not re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", value):
            raise ValueError('send_window は "09:00-18:00" の形で書いてください')
        return value


class CutoffConfig(_Section):
    """What happens when a term closes."""

    # Operators who receive the summary mail of each cutoff.
    notify: list[str] = Field(default_factory=list)
    # Where the Excel rosters are written.
    exports_dir: ConfigPath = Path("data/exports")


class LimitsConfig(_Section):
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Larger messages are stored but not parsed (parsing costs several times the size in memory).
    message_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class WebConfig(_Section):
    """The operator web console (`intake web`, or `intake run` with ``enabled = true``)."""

    enabled: bool = False
    # Loopback by default: any other address is an explicit choice (and warned about
    # unless TLS is in front of it).
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Signs the session cookies; created (0600) on first start, so sessions survive a restart.
    secret_key_file: ConfigPath = Path("data/web-secret.key")
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    login_max_failures: int = Field(default=10, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or networks).
    trusted_proxies: list[str] = Field(default_factory=list)
    # HTTPS served by intake itself (otherwise terminate TLS at the reverse proxy).
    tls_cert_file: ConfigPath | None = None
    tls_key_file: ConfigPath | None = None
    # Shown in the console's header.
    desk_name: str = Field(default="外国人支援コーディネーター養成研修 申込受付", min_length=1)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry)
            except ValueError as exc:
                raise ValueError(
                    f"trusted_proxies には IP アドレスかネットワークを書いてください: {entry!r}"
                ) from exc
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> WebConfig:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file と tls_key_file は両方とも指定してください")
        return self

    @property
    def on_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")


class Settings(_Section):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    imap: ImapConfig
    smtp: SmtpConfig | None = None
    ack: AckConfig = Field(default_factory=AckConfig)
    cutoff: CutoffConfig = Field(default_factory=CutoffConfig)
    # Folder of Jinja2 templates overriding the shipped ones (same file names).
    templates_dir: ConfigPath | None = None
    documents: DocumentNames = Field(default_factory=DocumentNames)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    # Without a term every mail would be OUTSIDE_PERIOD: at least one is required.
    terms: list[Term] = Field(min_length=1)
    timezone: Literal["Asia/Tokyo"] = "Asia/Tokyo"
    # Set by load_settings: the folder relative paths resolve against.
    base_dir: Path = Path(".")

    @field_validator("terms")
    @classmethod
    def _unique_ids(cls, terms: list[Term]) -> list[Term]:
        ids = [t.id for t in terms]
        if len(ids) != len(set(ids)):
            raise ValueError("terms の id が重複しています")
        return terms

    @property
    def database_url(self) -> str:
        return resolve_sqlite_url(self.database.url, self.base_dir)

    @property
    def storage_dir(self) -> Path:
        return _resolve(self.storage.dir, self.base_dir)

    @property
    def exports_dir(self) -> Path:
        return _resolve(self.cutoff.exports_dir, self.base_dir)

    @property
    def web_secret_key_path(self) -> Path:
        return _resolve(self.web.secret_key_file, self.base_dir)

    @property
    def web_tls_files(self) -> tuple[Path, Path] | None:
        cert, key = self.web.tls_cert_file, self.web.tls_key_file
        if cert is None or key is None:
            return None
        return _resolve(cert, self.base_dir), _resolve(key, self.base_dir)

    @property
    def custom_templates_dir(self) -> Path | None:
        return _resolve(self.templates_dir, self.base_dir) if self.templates_dir else None


def _resolve(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else (base / path)


def resolve_sqlite_url(url: str, base: Path) -> str:
    """Make a relative ``sqlite:///relative/path`` absolute against ``base``."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith(":"):
            return prefix + str((base / rest).resolve())
    return url


def config_path_from(option: str | None) -> Path:
    value = option or os.environ.get(CONFIG_ENV)
    if not value:
        raise ConfigError(
            f"設定ファイルが指定されていません（--config または環境変数 {CONFIG_ENV}）"
        )
    return Path(value)


def load_settings(path: Path) -> Settings:
    """Read and validate the config; every problem becomes one readable ConfigError line."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"設定ファイル {path} が見つかりません") from exc
    except OSError as exc:
        raise ConfigError(f"設定ファイル {path} を読めません: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"設定ファイル {path} の TOML 構文エラー: {exc}") from exc
    if "base_dir" in raw:
        raise ConfigError("設定ファイル: 未知のキー base_dir があります")
    base = path.resolve().parent
    raw["base_dir"] = base
    try:
        settings = Settings.model_validate(raw, context={"base_dir": base})
    except ValidationError as exc:
        lines = [describe_error(e, raw) for e in exc.errors()]
        raise ConfigError("; ".join(lines)) from exc
    problems = missing_input_files(settings)
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


def missing_input_files(settings: Settings) -> list[str]:
    """Files intake reads but never creates must exist when the config is loaded, so a wrong
    path is named at start-up rather than surfacing later as "cannot connect". Folders that
    intake creates itself (store, exports, the database's) are not checked."""
    problems: list[str] = []

    def need_file(key: str, path: Path | None) -> None:
        if path is not None and not path.is_file():
            problems.append(f"設定ファイル: {key} のファイル {path} が見つかりません")

    need_file("[imap] ca_file", settings.imap.ca_file)
    if settings.imap.auth == "password":
        need_file("[imap] password_file", settings.imap.password_file)
    if settings.smtp is not None:
        need_file("[smtp] ca_file", settings.smtp.ca_file)
        if settings.smtp.auth == "password":
            need_file("[smtp] password_file", settings.smtp.password_file)
    need_file("[web] tls_cert_file", settings.web.tls_cert_file)
    need_file("[web] tls_key_file", settings.web.tls_key_file)
    custom = settings.custom_templates_dir
    if custom is not None and not custom.is_dir():
        problems.append(f"設定ファイル: templates_dir のフォルダー {custom} が見つかりません")
        return problems
    for key, name in (
        ("[ack] template", settings.ack.template),
        ("[ack] html_template", settings.ack.html_template),
    ):
        if name is None:
            continue
        places = [p for p in (custom, shipped_templates_dir()) if p is not None]
        if not any((place / name).is_file() for place in places):
            where = "・".join(str(p) for p in places)
            problems.append(f"設定ファイル: {key} のテンプレート {name} が {where} にありません")
    return problems
