"""Wire settings to adapters: the one place that builds engines, stores, mailboxes and senders,
and runs the use cases with the locks they need (shared by the CLI, the daemon and the web
console). Entrypoints import adapters only through this module: the errors they turn into
exit codes are named here too."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from intake.adapters.documents import StoredDocuments
from intake.adapters.filestore import FileStore
from intake.adapters.imap import ImapError, ImapMailbox
from intake.adapters.lock import LockBusy, exclusive
from intake.adapters.orm import make_engine
from intake.adapters.passwords import Argon2Passwords
from intake.adapters.queries import SqlQueries
from intake.adapters.queryselection import SqlSelectionQueries
from intake.adapters.schema import SchemaOutdated, current_revision, ensure_current, upgrade
from intake.adapters.secretkey import load_or_create_secret_key
from intake.adapters.smtp import SmtpError, SmtpSender
from intake.config import ConfigError, Settings, load_settings
from intake.services import decision_notices
from intake.services import notices as notice_service
from intake.services.acks import SendReport, send_due
from intake.services.cutoff import CutoffResult, run_cutoff
from intake.services.poll import PollReport, ProgressCallback, poll_once, record_poll_error
from intake.services.selection import ImportResult, import_decisions
from intake.services.selection_guard import send_deadline_alert
from intake.services.unit_of_work import UnitOfWork
from intake.services.views import selection as selection_views
from intake.services.views.ports import ReadQueries, SelectionQueries

__all__ = [
    "App",
    "DatabaseUnreachable",
    "ImapError",
    "LockBusy",
    "SchemaOutdated",
    "SmtpError",
    "build_app",
]

# The database server cannot be reached (or refused the connection): exit code 3.
DatabaseUnreachable = OperationalError


@dataclass
class App:
    settings: Settings
    engine: Engine

    @property
    def store(self) -> FileStore:
        return FileStore(self.settings.storage_dir)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def passwords(self) -> Argon2Passwords:
        return _passwords()

    @contextmanager
    def read(self) -> Iterator[ReadQueries]:
        """The read side's queries, in one session that never writes."""
        with Session(self.engine) as session:
            yield SqlQueries(session)

    @contextmanager
    def read_selection(self) -> Iterator[SelectionQueries]:
        """The selection's read-side queries, in one session that never writes."""
        with Session(self.engine) as session:
            yield SqlSelectionQueries(session)

    @property
    def documents(self) -> StoredDocuments:
        return StoredDocuments()

    def database_reachable(self) -> bool:
        """Whether the database answers a trivial query (the console's /healthz)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def console_secret_key(self) -> bytes:
        """The console's signing key ([web] secret_key_file), created 0600 when missing."""
        return load_or_create_secret_key(self.settings.web_secret_key_path)

    def upgrade_database(self) -> tuple[str | None, str | None]:
        """Create or migrate the database; the revisions before and after."""
        before = current_revision(self.engine)
        upgrade(self.engine)
        return before, current_revision(self.engine)

    def send_notice(self, draft: notice_service.NoticeDraft, *, operator: str, again: bool) -> int:
        """Send a deficiency notice under the send lock (LockBusy after a minute's wait);
        the notice's id (its state is read back through the read side)."""
        with exclusive(self.engine, self.settings.storage_dir, "send", wait=60.0):
            row = notice_service.send_notice(
                self.uow(), self.settings, self.smtp_sender, draft, operator=operator, again=again
            )
            return row.id

    def import_decisions(
        self, term_id: int, data: bytes, *, operator: str, over_capacity: bool
    ) -> ImportResult:
        """Record a filled selection workbook under the send lock (no notice goes out while
        the decisions it tells change); LockBusy after a minute's wait."""
        with exclusive(self.engine, self.settings.storage_dir, "send", wait=60.0):
            return import_decisions(
                self.uow(), self.settings, term_id, data, operator=operator,
                over_capacity=over_capacity,
            )  # fmt: skip

    def send_decision_notices(
        self, term_id: int, *, operator: str, after_deadline: bool
    ) -> decision_notices.NotifyReport:
        """Send a term's due decision notices under the send lock (LockBusy after a minute)."""
        with exclusive(self.engine, self.settings.storage_dir, "send", wait=60.0):
            return decision_notices.send_decision_notices(
                self.uow(), self.settings, self.smtp_sender, term_id, operator=operator,
                after_deadline=after_deadline,
            )  # fmt: skip

    def selection_guard(self, now: datetime) -> list[str]:
        """The notice dates' warnings at ``now``; on a notice date with a 決定 unsent, the
        operators' mail (once per term and date) and what kept it from going out."""
        settings = self.settings
        notes: list[str] = []
        with self.read_selection() as q:
            warnings = selection_views.deadline_warnings(
                q, settings.terms, now, settings.ack.closure_days
            )
            due = [
                (term, unsent)
                for term in settings.terms
                if term.decision_notice_by is not None
                and (unsent := selection_views.alert_rows(q, term, now))
            ]
        for term, unsent in due:
            note = send_deadline_alert(
                self.uow(), settings, self.smtp_sender if settings.smtp else None, term, unsent
            )
            if note:
                notes.append(f"{term.name}: {note}")
        return warnings + notes

    @contextmanager
    def daemon_lock(self) -> Iterator[None]:
        """Held by `intake run` for its lifetime: one daemon per store (LockBusy otherwise)."""
        with exclusive(self.engine, self.settings.storage_dir, "daemon"):
            yield

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


_hasher: Argon2Passwords | None = None


def _passwords() -> Argon2Passwords:
    # One hasher per process: it hashes its decoy password once, on first use.
    global _hasher
    if _hasher is None:
        _hasher = Argon2Passwords()
    return _hasher


log = logging.getLogger("intake.config")


class ConfigWatcher:
    """Takes an edited config file into ``app.settings`` without a restart (an extended
    deadline, a new term, a changed login limit). Used by `intake run` (every few seconds and
    on SIGHUP) and by `intake web` (before a request, at most every ``min_interval`` seconds).

    An invalid file is logged and the old settings stay; a change of database or store needs a
    restart and is refused.
    """

    def __init__(self, app: App, path: Path, *, min_interval: float = 0.0) -> None:
        self.app = app
        self.path = path
        self.min_interval = min_interval
        self._mtime = path.stat().st_mtime
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def check(self, *, force: bool = False) -> bool:
        """True when new settings were taken in."""
        with self._lock:
            if not force and time.monotonic() - self._checked < self.min_interval:
                return False
            self._checked = time.monotonic()
            try:
                mtime = self.path.stat().st_mtime
            except OSError as exc:
                log.error("config %s: %s", self.path, exc)
                return False
            if not force and mtime == self._mtime:
                return False
            self._mtime = mtime
            try:
                settings = load_settings(self.path)
            except ConfigError as exc:
                log.error("config not reloaded (the old one stays in force): %s", exc)
                return False
            old = self.app.settings
            if (settings.database_url, settings.storage_dir) != (
                old.database_url,
                old.storage_dir,
            ):
                log.error("config not reloaded: [database] or [storage] changed; restart intake")
                return False
            self.app.settings = settings
            log.info("config reloaded from %s", self.path)
            return True


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
