"""What every benchmark shares: a private Dovecot with cloned mailboxes, an intake installation
driven through its real command line, child processes timed and their memory sampled, and
the printing of figures and targets.

Memory is in MB (10**6 bytes), the unit of the issue's targets. The child and all its
descendants are sampled every 50 ms from /proc. The largest process's peak is the highest
high-water mark the kernel kept for any of them (VmHWM, so a peak between two samples is not
missed); the tree's peak is the largest sum of their RSS seen in one sample. Pages a worker
shares with its parent after a fork count once per process, as RSS does.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
from applications import TERMS_TOML

from intake.devtools.dovecot import DovecotInstance, start_dovecot

BENCH_DIR = Path(__file__).resolve().parent
PASSWORD_ENV = "BENCH_IMAP_PASSWORD"
SAMPLE_INTERVAL = 0.05
MB = 1_000_000


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM runs the `finally` blocks (the private Dovecot and temp folders go) like Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))


def intake_command() -> list[str]:
    """The installed `intake` console script (the one operators and cron run)."""
    beside = Path(sys.executable).with_name("intake")
    found = str(beside) if beside.exists() else shutil.which("intake")
    if found is None:
        sys.exit("the `intake` command is not installed (run scripts/venv.sh -e '.[bench]')")
    return [found]


# -- child processes, timed and sampled ----------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds from spawn to exit
    returncode: int
    stdout: str
    stderr: str
    largest_peak: int  # bytes: the largest single process (its kernel high-water mark)
    tree_peak: int  # bytes: the largest sampled sum over the process tree
    processes: int  # the most processes seen in the tree at once


def _high_water_mark(pid: int) -> int:
    """VmHWM: the peak RSS of the process's current program, kept by the kernel.

    Not ``ru_maxrss``: that also counts the pages a child shared with this (larger) benchmark
    process between fork and exec.
    """
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.done = threading.Event()
        self.tree_peak = 0
        self.largest_peak = 0
        self.processes = 0

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.done.is_set():
            self.sample(root)
            self.done.wait(SAMPLE_INTERVAL)

    def sample(self, root: psutil.Process) -> None:
        try:
            members = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for member in members:
            try:
                rss = member.memory_info().rss
            except psutil.Error:
                continue  # exited between the listing and the read
            total += rss
            self.largest_peak = max(self.largest_peak, rss, _high_water_mark(member.pid))
        self.tree_peak = max(self.tree_peak, total)
        self.processes = max(self.processes, len(members))


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run ``argv`` to its end; wall time, output and peak memory of it and its descendants."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd
        )
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        try:
            returncode = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait()
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        return Measured(
            wall=wall,
            returncode=returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            largest_peak=sampler.largest_peak,
            tree_peak=max(sampler.tree_peak, sampler.largest_peak),
            processes=sampler.processes,
        )


# -- the private mail server ---------------------------------------------------------------------


class MailServer:
    """A private Dovecot on loopback; one seeded template mailbox, cheap fresh copies of it."""

    def __init__(self) -> None:
        self.dovecot: DovecotInstance = start_dovecot()
        self.password = secrets.token_urlsafe(12)
        self._users = 0

    @property
    def host(self) -> str:
        return self.dovecot.host

    @property
    def port(self) -> int:
        return self.dovecot.port

    def new_user(self, prefix: str = "bench") -> str:
        self._users += 1
        user = f"{prefix}{self._users}"
        self.dovecot.add_user(user, self.password)
        return user

    def seed(self, mails: Iterable[tuple[bytes, datetime]]) -> str:
        """A new user whose INBOX holds ``mails`` (APPENDed, with their INTERNALDATE)."""
        user = self.new_user("template")
        client = self.dovecot.client(user, self.password)
        try:
            for raw, received in mails:
                client.append("INBOX", raw, msg_time=received)
            client.select_folder("INBOX")  # Dovecot settles new/ into cur/ and its index
            client.close_folder()
        finally:
            client.logout()
        return user

    def clone(self, template: str) -> str:
        """A new user with a copy of ``template``'s mailbox: same messages, UIDs, UIDVALIDITY.

        Message files are hard links (Maildir never rewrites one: flags and keywords rename
        it), Dovecot's index and uidlist files are real copies, so every contender starts from
        the same untouched mailbox at no cost.
        """
        user = self.new_user()
        source = self.dovecot.mail_root / template
        target = self.dovecot.mail_root / user
        owner = source.stat()
        for folder, dirs, files in os.walk(source):
            here = Path(folder)
            there = target / here.relative_to(source)
            there.mkdir(mode=here.stat().st_mode & 0o7777)
            os.chown(there, owner.st_uid, owner.st_gid)
            for name in files:
                if here.name in {"cur", "new", "tmp"}:
                    os.link(here / name, there / name)
                else:
                    shutil.copy2(here / name, there / name)
                    os.chown(there / name, owner.st_uid, owner.st_gid)
            dirs.sort()
        return user

    def drop(self, user: str) -> None:
        shutil.rmtree(self.dovecot.mail_root / user, ignore_errors=True)

    def stop(self) -> None:
        self.dovecot.stop()

    def env(self) -> dict[str, str]:
        return {**os.environ, PASSWORD_ENV: self.password}


# -- an intake installation ----------------------------------------------------------------------


INTAKE_CONFIG = """\
[database]
url = "sqlite:///{root}/intake.db"
[storage]
dir = "{root}/store"
[imap]
host = "{host}"
port = {port}
security = "none"
username = "{user}"
password_env = "{password_env}"
connect_attempts = 1
poll_interval = {poll_interval}
[limits]
attachment_max_bytes = {attachment_max_bytes}
{terms}"""


@dataclass(frozen=True)
class IntakeDesk:
    """A config, SQLite database and store of intake's own, for one mailbox user."""

    root: Path
    env: dict[str, str]

    @classmethod
    def create(
        cls,
        server: MailServer | None,
        user: str = "bench",
        *,
        poll_interval: int = 300,
        attachment_max_bytes: int = 20 * 1024 * 1024,
    ) -> IntakeDesk:
        """A new installation, its database upgraded (`intake db upgrade`, as operators do).

        Without a server the config names a closed loopback port (for commands that never
        connect, such as `intake status`).
        """
        root = Path(tempfile.mkdtemp(prefix="intake-bench-desk-"))
        (root / "intake.toml").write_text(
            INTAKE_CONFIG.format(
                root=root,
                host=server.host if server else "127.0.0.1",
                port=server.port if server else 9,
                user=user,
                password_env=PASSWORD_ENV,
                poll_interval=poll_interval,
                attachment_max_bytes=attachment_max_bytes,
                terms=TERMS_TOML,
            ),
            encoding="utf-8",
        )
        desk = cls(root, server.env() if server else dict(os.environ))
        desk.check("db", "upgrade")
        return desk

    @property
    def config(self) -> Path:
        return self.root / "intake.toml"

    @property
    def database(self) -> Path:
        return self.root / "intake.db"

    def argv(self, *args: str) -> list[str]:
        return [*intake_command(), "--config", str(self.config), *args]

    def check(self, *args: str) -> str:
        done = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"intake {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done.stdout

    def outcomes(self) -> dict[str, int]:
        """Recorded messages by outcome, read straight from the database."""
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT outcome, COUNT(*) FROM messages GROUP BY outcome")
            return {str(outcome): int(count) for outcome, count in rows}

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# -- figures -------------------------------------------------------------------------------------


def median_spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """``median [min-max]`` (just the value for one round)."""
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def mb(value: float) -> str:
    return f"{value / MB:.0f} MB"


@dataclass(frozen=True)
class Target:
    label: str
    passed: bool
    measured: str
    kind: str = "hard"  # the words: "hard" target, "goal", or a point's "target"


def print_targets(title: str, targets: Sequence[Target]) -> None:
    print(f"\n{title}")
    for target in targets:
        verdict = "PASS" if target.passed else "FAIL"
        print(f"  {verdict}  [{target.kind}] {target.label}: {target.measured}")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    for row in (headers, *rows):
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
