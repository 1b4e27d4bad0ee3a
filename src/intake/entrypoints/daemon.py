"""`intake run`: the scheduler that keeps the desk going unattended.

Jobs (APScheduler 3, one worker each, never overlapping, missed runs coalesced):
- poll the mailbox every ``[imap] poll_interval`` seconds;
- send due acknowledgements every ``[ack] send_interval`` seconds (when [smtp] is set);
- run each term's cutoff once its ``closes_at`` has passed (checked every minute; a failed
  one is tried again; one missed by more than a week is left to `intake cutoff`);
- guard each term's ``decision_notice_by`` (every five minutes): from three business days
  before it, log a warning (once a day per state) while decisions or notices are missing; on
  the day itself mail ``[cutoff] notify`` once if a 受講決定のお知らせ is unsent.
With ``[web] enabled = true`` it also serves the operator console (see entrypoints.web).
SIGTERM/SIGINT stop it cleanly: the message in hand is finished, nothing new is started.
An edited config is taken in within seconds (or at once on SIGHUP), so extending a deadline
needs no restart.
A daemon lock keeps a second `intake run` on the same store from starting; the poll and
send locks keep it and cron jobs (`intake poll --once`, `intake acks send-due`) apart.
"""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from intake.bootstrap import App, ConfigWatcher, LockBusy
from intake.domain.model import TOKYO
from intake.entrypoints.web.server import ConsoleServer, console_url

log = logging.getLogger("intake.daemon")

# Cutoffs the daemon runs by itself; older missed ones wait for an operator.
AUTO_CUTOFF_WITHIN = timedelta(days=7)
# How often the notice dates are looked at (the warning mail is sent once regardless).
SELECTION_GUARD_SECONDS = 300


class Daemon:
    def __init__(self, app: App, config_path: Path | None = None) -> None:
        self.app = app
        self.config_path = config_path
        self.config_watcher = ConfigWatcher(app, config_path) if config_path else None
        self.stopping = threading.Event()
        self._warned: set[int] = set()
        self._guard_logged: set[tuple[date, str]] = set()
        self.scheduler = BackgroundScheduler(
            timezone=TOKYO,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    # -- jobs --------------------------------------------------------------------------------
    def poll(self) -> None:
        if self.stopping.is_set():
            return
        try:
            report = self.app.poll(should_stop=self.stopping.is_set)
        except LockBusy:
            log.info("poll skipped: another poll is running")
            return
        log.info(
            "poll: %d new (%s), %d marked%s",
            report.new_records,
            ", ".join(f"{k} {v}" for k, v in sorted(report.recorded.items())) or "-",
            report.marked,
            ", stopped early" if report.interrupted else "",
        )
        for failure in report.failed + report.mark_failures:
            log.error("poll: %s", failure)

    def send_acks(self) -> None:
        if self.stopping.is_set():
            return
        try:
            report = self.app.send_due_acks(datetime.now(UTC), should_stop=self.stopping.is_set)
        except LockBusy:
            return
        if report.sent or report.held or report.failed or report.retrying:
            log.info(
                "acks: %d sent, %d retrying, %d held, %d failed",
                len(report.sent),
                len(report.retrying),
                len(report.held) + len(report.recovered_unknown),
                len(report.failed),
            )

    def cutoff(self, term_id: int) -> None:
        result = self.app.cutoff(term_id, datetime.now(UTC))
        log.info("cutoff term %s: %s", term_id, result.status)
        if result.summary_note:
            log.warning("cutoff term %s: %s", term_id, result.summary_note)

    def selection_guard(self) -> None:
        if self.stopping.is_set():
            return
        now = datetime.now(UTC)
        today = now.astimezone(TOKYO).date()
        for line in self.app.selection_guard(now):
            if (today, line) not in self._guard_logged:
                log.warning("selection: %s", line)
                self._guard_logged.add((today, line))

    # -- lifecycle ---------------------------------------------------------------------------
    def schedule(self) -> None:
        now = datetime.now(UTC)
        settings = self.app.settings
        self.scheduler.add_job(
            self.poll,
            IntervalTrigger(seconds=settings.imap.poll_interval),
            id="poll",
            next_run_time=now,
        )
        if settings.smtp is not None:
            self.scheduler.add_job(
                self.send_acks,
                IntervalTrigger(seconds=settings.ack.send_interval),
                id="acks",
                next_run_time=now,
            )
        else:
            log.warning("no [smtp] in the config: acknowledgements are not sent")
        # Checked every minute rather than scheduled once: a cutoff that failed (mailbox down)
        # is tried again, and a deadline passes even if the daemon was restarted around it.
        self.scheduler.add_job(
            self.due_cutoffs, IntervalTrigger(seconds=60), id="cutoffs", next_run_time=now
        )
        self.scheduler.add_job(
            self.selection_guard,
            IntervalTrigger(seconds=SELECTION_GUARD_SECONDS),
            id="selection",
            next_run_time=now,
        )
        self.scheduler.add_job(self.reload_config, IntervalTrigger(seconds=5), id="config")
        self.scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)

    def due_cutoffs(self) -> None:
        now = datetime.now(UTC)
        with self.app.read() as q:
            done = {(c.term_id, c.closes_at) for c in q.cutoffs(None)}
        due = [
            t
            for t in self.app.settings.terms
            if t.closes_at <= now and (t.id, t.closes_at) not in done
        ]
        for term in due:
            if self.stopping.is_set():
                return
            if now - term.closes_at > AUTO_CUTOFF_WITHIN:
                # A term that closed long before this daemon ran (e.g. a fresh install with
                # last year's terms in its config) is left to an operator: `intake cutoff`.
                if term.id not in self._warned:
                    log.warning(
                        "cutoff term %s: its deadline passed more than %s days ago; "
                        "run `intake cutoff --term %s` if it is still wanted",
                        term.id,
                        AUTO_CUTOFF_WITHIN.days,
                        term.id,
                    )
                    self._warned.add(term.id)
                continue
            try:
                self.cutoff(term.id)
            except LockBusy:
                log.info("cutoff term %s: busy, trying again shortly", term.id)

    def reload_config(self, *, force: bool = False) -> bool:
        """Take in an edited config (an extended deadline, a new term) without a restart.

        Checked every few seconds and on SIGHUP (see ConfigWatcher for what is refused).
        """
        if self.config_watcher is None:
            return False
        old = self.app.settings
        if not self.config_watcher.check(force=force):
            return False
        settings = self.app.settings
        if settings.imap.poll_interval != old.imap.poll_interval:
            self.scheduler.reschedule_job(
                "poll", trigger=IntervalTrigger(seconds=settings.imap.poll_interval)
            )
        self._warned.clear()
        return True

    def _on_error(self, event: JobExecutionEvent) -> None:
        # A job's failure is logged and the daemon carries on; its next run tries again.
        log.error("job %s failed: %s", event.job_id, event.exception)

    def _reload(self, _signum: int, _frame: FrameType | None) -> None:
        self.reload_config(force=True)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the work in hand", signal.Signals(signum).name)
        self.stopping.set()

    def run(self, *, install_signals: bool = True) -> None:
        with ExitStack() as stack:
            stack.enter_context(self.app.daemon_lock())
            if install_signals:
                signal.signal(signal.SIGTERM, self._stop)
                signal.signal(signal.SIGINT, self._stop)
                signal.signal(signal.SIGHUP, self._reload)
            if self.app.settings.web.enabled:
                stack.callback(self._start_console().stop)  # stopped after the scheduler
            self.schedule()
            self.scheduler.start()
            log.info("intake run started")
            self.stopping.wait()
            self.scheduler.shutdown(wait=True)  # the job in hand finishes first
            log.info("intake run stopped")

    def _start_console(self) -> ConsoleServer:
        """The web console ([web] enabled): it reads ``self.app.settings``, which this daemon
        replaces when the config file changes, so it needs no watcher of its own."""
        from intake.entrypoints.cli.web import build_console_server

        web = self.app.settings.web
        server = build_console_server(self.app, web.host, web.port)
        server.start()
        log.info("web console at %s", console_url(self.app.settings, web.host, server.port))
        return server
