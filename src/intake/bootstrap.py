"""Wire settings to adapters: the one place that builds engines, stores, mailboxes and senders,
and runs the use cases with the locks they need (shared by the CLI and the daemon)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from intake.adapters.filestore import FileStore
from intake.adapters.imap import ImapError, ImapMailbox
from intake.adapters.lock import exclusive
from intake.adapters.orm import make_engine
from intake.adapters.schema import ensure_current
from intake.adapters.smtp import SmtpSender
from intake.config import ConfigError, Settings
from intake.services.acks import SendReport, send_due
from intake.services.cutoff import CutoffResult, run_cutoff
from intake.services.poll import PollReport, ProgressCallback, poll_once, record_poll_error
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
        imap = self.settings.imap
        password = imap.read_secret("[imap]") if imap.auth == "password" else None
        return ImapMailbox(imap, password)

    def smtp_sender(self) -> SmtpSender:
        smtp = self.settings.smtp
        if smtp is None:
            raise ConfigError("設定ファイルに [smtp] がないため、メールを送れません")
        password = smtp.read_secret("[smtp]") if smtp.auth == "password" else None
        return SmtpSender(smtp, password=password)

    def poll(
        self,
        *,
        progress: ProgressCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
        wait: float = 0.0,
    ) -> PollReport:
        """One poll cycle under the poll lock (LockBusy when another poll is running)."""
        with exclusive(self.engine, self.settings.storage_dir, "poll", wait=wait):
            try:
                with self.mailbox() as mailbox:
                    return poll_once(
                        self.settings,
                        self.uow(),
                        self.store,
                        mailbox,
                        progress=progress,
                        should_stop=should_stop,
                    )
            except ImapError as exc:
                record_poll_error(self.uow(), self.settings, str(exc))
                raise

    def send_due_acks(
        self, now: datetime, *, should_stop: Callable[[], bool] | None = None
    ) -> SendReport:
        with exclusive(self.engine, self.settings.storage_dir, "send", wait=60.0):
            return send_due(
                self.uow(), self.settings, self.smtp_sender, now=now, should_stop=should_stop
            )

    def cutoff(self, term_id: int, now: datetime) -> CutoffResult:
        with exclusive(self.engine, self.settings.storage_dir, "cutoff", wait=60.0):
            return run_cutoff(
                self.settings,
                self.uow(),
                term_id=term_id,
                now=now,
                sweep=lambda: self.poll(wait=600.0),
                sender_factory=self.smtp_sender if self.settings.smtp else None,
            )


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
