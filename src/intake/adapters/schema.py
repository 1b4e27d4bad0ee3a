"""Schema management through Alembic, and the guard that refuses an outdated database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from intake.resources import migrations_dir


class SchemaOutdated(Exception):
    """The database is not at the latest revision; the message says what to run."""


def _alembic_config() -> Config:
    # No URL here: the connection is handed over (a "%" in a password would break the ini).
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_current(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "未作成" if current is None else f"リビジョン {current}"
        raise SchemaOutdated(
            f"データベースが最新の構成ではありません（{state}、最新 {head}）。"
            "先に `intake db upgrade` を実行してください。"
        )
