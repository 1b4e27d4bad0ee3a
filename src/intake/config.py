"""Configuration: one TOML file, validated by pydantic.

Secrets never live in the file: a section names an environment variable (``password_env``) or a
file (``password_file``) instead. Relative paths resolve against the config file's folder, so a
deployment can move the whole folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from intake.domain.model import DocumentNames, Term

CONFIG_ENV = "INTAKE_CONFIG"


class ConfigError(Exception):
    """A configuration problem, told in one readable line."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretSource(_Section):
    """Where a password comes from: an environment variable or a file, never the config itself."""

    password_env: str | None = None
    password_file: Path | None = None

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
    dir: Path = Path("data/store")


class ImapConfig(SecretSource):
    host: str
    port: int | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    verify_certificate: bool = True
    ca_file: Path | None = None
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
    poll_interval: int = Field(default=300, ge=10)
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


class SmtpConfig(SecretSource):
    host: str
    port: int | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    verify_certificate: bool = True
    username: str | None = None
    from_address: str
    timeout: float = 60.0


class AckConfig(_Section):
    delay_days: int = Field(default=7, ge=0, le=60)


class LimitsConfig(_Section):
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Larger messages are stored but not parsed (parsing costs several times the size in memory).
    message_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)


class Settings(_Section):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    imap: ImapConfig
    smtp: SmtpConfig | None = None
    ack: AckConfig = Field(default_factory=AckConfig)
    documents: DocumentNames = Field(default_factory=DocumentNames)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    terms: list[Term] = Field(default_factory=list)
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


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(ルート)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"設定ファイル: 未知のキー {where} があります"
    if kind == "missing":
        return f"設定ファイル: 必須のキー {where} がありません"
    return f"設定ファイル: {where} の値が不正です（{error['msg']}）"


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
    for section in ("imap", "smtp"):
        table = raw.get(section)
        pw_file = table.get("password_file") if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(pw_file, str):
            raw[section]["password_file"] = str(_resolve(Path(pw_file), base))
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors()]
        raise ConfigError("; ".join(lines)) from exc
