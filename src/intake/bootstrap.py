"""Wire settings to adapters: the one place that builds engines, stores and mailboxes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from intake.adapters.filestore import FileStore
from intake.adapters.imap import ImapMailbox
from intake.adapters.orm import make_engine
from intake.adapters.schema import ensure_current
from intake.config import Settings
from intake.services.unit_of_work import UnitOfWork


@dataclass
class App:
    settings: Settings
    engine: Engine

    @property
    def store(self) -> FileStore:
        return FileStore(self.settings.storage_dir)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def mailbox(self) -> ImapMailbox:
        password = self.settings.imap.read_secret("[imap]")
        return ImapMailbox(self.settings.imap, password)


def build_app(settings: Settings, *, check_schema: bool = True) -> App:
    if settings.database_url.startswith("sqlite:///"):
        # The folder of an embedded database is created on first use, as with the store.
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    engine = make_engine(settings.database_url)
    if check_schema:
        ensure_current(engine)
    return App(settings, engine)
