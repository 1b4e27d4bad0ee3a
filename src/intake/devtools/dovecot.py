"""A private, throw-away Dovecot IMAP server for tests and ``intake demo``.

Everything (config, sockets, state, logs, Maildirs, passwd-file, certificate) lives under one
temporary folder; the system Dovecot (/etc/dovecot, /var/run/dovecot) is never read or touched.
The master runs in the foreground (``-F``) as our child process, so it is stopped by its PID.

Run ``python -m intake.devtools.dovecot`` for a server to poke at by hand.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from intake.devtools.certs import make_certificate
from intake.devtools.loopback import HOST, free_port

# Mail processes refuse to run as root, so mailboxes belong to this uid/gid (no system user needed).
MAIL_UID = 5000
MAIL_GID = 5000
START_TIMEOUT = 20.0
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_APPENDUID = re.compile(rb"APPENDUID\s+\d+\s+(\d+)", re.IGNORECASE)


def _dovecot_binary() -> str | None:
    # /usr/sbin is often missing from a non-login PATH.
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def dovecot_unavailable_reason() -> str | None:
    """Why a private Dovecot cannot be started here, or None when it can."""
    if _dovecot_binary() is None:
        return "dovecot binary not found (install dovecot-imapd)"
    if shutil.which("openssl") is None:
        return "openssl CLI not found (needed for the self-signed certificate)"
    if os.geteuid() != 0:
        # Dovecot drops privileges to dovecot/dovenull and the mail uid; that needs root.
        return "the private Dovecot must be started as root"
    return None


def dovecot_available() -> bool:
    return dovecot_unavailable_reason() is None


@dataclass(frozen=True)
class DovecotInstance:
    host: str
    port: int
    ssl_port: int
    ca_file: Path
    base: Path
    pid: int
    _process: subprocess.Popen[bytes] = field(repr=False, compare=False)
    # Where XOAUTH2/OAUTHBEARER tokens are checked (RFC 7662 introspection), None: passwords only.
    oauth2_introspection_url: str | None = None
    _remove_base: bool = field(default=False, repr=False, compare=False)

    @property
    def users_dir(self) -> Path:
        return self.base / "users"

    @property
    def mail_root(self) -> Path:
        return self.base / "mail"

    @property
    def log_file(self) -> Path:
        return self.base / "log" / "dovecot.log"

    def add_user(self, username: str, password: str) -> None:
        """Add a passwd-file user; usable at once, without a restart."""
        if not _SAFE_NAME.match(username):
            raise ValueError(f"unsupported username {username!r}")
        if any(c in password for c in ":\n\r"):
            raise ValueError("password must not contain ':' or line breaks")
        target = self.users_dir / username
        if target.exists():
            raise ValueError(f"user {username!r} already exists")
        # Write then rename, so the auth process never reads a half-written line.
        tmp = self.users_dir / f".{username}.tmp"
        tmp.write_text(f"{username}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(target)

    def client(self, username: str, password: str) -> IMAPClient:
        """A logged-in imapclient on the plain port (for test setup and inspection)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.normalise_times = False
        client.login(username, password)
        return client

    def append(
        self,
        username: str,
        password: str,
        raw: bytes,
        *,
        folder: str = "INBOX",
        internaldate: datetime | None = None,
        flags: Sequence[str] = (),
    ) -> int:
        """APPEND a message (creating the folder if needed) and return its UID (APPENDUID)."""
        client = self.client(username, password)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=internaldate)
        finally:
            client.logout()
        text = response if isinstance(response, bytes) else str(response).encode()
        match = _APPENDUID.search(text)
        if match is None:
            raise RuntimeError(f"no APPENDUID in APPEND response: {response!r}")
        return int(match.group(1))

    def maildir(self, username: str, folder: str = "INBOX") -> Path:
        """The Maildir++ folder on disk ('.' separates levels, Dovecot's default)."""
        home = self.mail_root / username / "Maildir"
        return home if folder.upper() == "INBOX" else home / f".{folder}"

    def reset_uidvalidity(self, username: str, folder: str = "INBOX") -> None:
        """Force a new UIDVALIDITY, keeping the messages (as after a server-side rebuild).

        Dropping the uidlist and the index makes Dovecot rescan the Maildir and assign a fresh
        UIDVALIDITY and new UIDs. Only call it while no session has the folder open.
        """
        path = self.maildir(username, folder)
        if not path.is_dir():
            raise FileNotFoundError(f"no Maildir for {username}/{folder} at {path}")
        removed = 0
        for name in ("dovecot-uidlist", "dovecot-uidlist.lock"):
            if (path / name).exists():
                (path / name).unlink()
                removed += 1
        for index in path.glob("dovecot.index*"):
            index.unlink()
            removed += 1
        if removed == 0:
            raise RuntimeError(f"nothing to reset in {path} (folder never opened?)")

    def stop(self) -> None:
        """Stop the master by PID (SIGTERM, then SIGKILL); safe to call twice."""
        proc = self._process
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self._remove_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> DovecotInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _oauth2_config(introspection_url: str) -> str:
    # No tokeninfo_url: with only an introspection URL every token is POSTed there ("token=..."),
    # and the answer must carry active=true and username equal to the login's user name.
    return f"""\
# OAuth2 passdb of the private Dovecot (XOAUTH2 / OAUTHBEARER).
introspection_mode = post
introspection_url = {introspection_url}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 10000
"""


def _config(
    base: Path, port: int, ssl_port: int, cert: Path, key: Path, *, oauth2: bool = False
) -> str:
    mechanisms = "plain login xoauth2 oauthbearer" if oauth2 else "plain login"
    # With OAuth2 each passdb only sees its own mechanisms: a token is never compared with the
    # passwd-file passwords, nor a password sent to the introspection endpoint.
    password_mechanisms = "\n  mechanisms = plain login" if oauth2 else ""
    oauth2_passdb = (
        f"""
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {base}/dovecot-oauth2.conf.ext
}}"""
        if oauth2
        else ""
    )
    return f"""\
# Private Dovecot for intake tests/demo. Nothing from /etc/dovecot is included.
instance_name = intake-{base.name}
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/log/dovecot.log
info_log_path = {base}/log/dovecot.log
debug_log_path = {base}/log/dovecot.log
protocols = imap
listen = {HOST}
default_internal_user = dovecot
default_login_user = dovenull
# ssl = no would forbid the imaps listener, so TLS is on and plaintext allowed on the plain port.
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
auth_cache_size = 0
mail_location = maildir:~/Maildir
mail_uid = {MAIL_UID}
mail_gid = {MAIL_GID}
first_valid_uid = {MAIL_UID}
last_valid_uid = {MAIL_UID}
first_valid_gid = {MAIL_GID}
last_valid_gid = {MAIL_GID}
mail_max_userip_connections = 100
namespace inbox {{
  inbox = yes
}}
passdb {{
  driver = passwd-file{password_mechanisms}
  # One file per user: a shared file is re-read at most once a second, so a user added right
  # after another one's login would be unknown for up to a second.
  args = scheme=PLAIN username_format=%u {base}/users/%u
}}{oauth2_passdb}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_GID} home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {ssl_port}
    ssl = yes
  }}
}}
# No auth penalty: after a wrong-password test, anvil would delay every later login from
# 127.0.0.1 by 2-15 s (auth_failure_delay does not cover it). Mode 0 = auth cannot ask anvil.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


def _greets(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            sock.settimeout(2.0)
            return sock.recv(256).startswith(b"* OK")
    except OSError:
        return False


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _prepare(base: Path) -> tuple[Path, Path]:
    base.chmod(0o755)  # login/auth processes run as dovenull/dovecot and must traverse it
    for sub in ("run", "state", "log", "ssl"):
        (base / sub).mkdir(mode=0o755, exist_ok=True)
    mail = base / "mail"
    mail.mkdir(mode=0o755, exist_ok=True)
    os.chown(mail, MAIL_UID, MAIL_GID)
    (base / "users").mkdir(mode=0o755, exist_ok=True)  # read by the auth process
    return make_certificate(base / "ssl")


def _launch(
    binary: str, base: Path, cert: Path, key: Path, *, oauth2: bool = False
) -> tuple[subprocess.Popen[bytes], int, int]:
    port, ssl_port = free_port(), free_port()
    while ssl_port == port:
        ssl_port = free_port()
    conf = base / "dovecot.conf"
    conf.write_text(_config(base, port, ssl_port, cert, key, oauth2=oauth2), encoding="utf-8")
    log = base / "log" / "dovecot.log"
    with (base / "log" / "stderr.log").open("ab") as stderr:
        proc = subprocess.Popen(
            [binary, "-F", "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not Dovecot directly
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"dovecot exited with {proc.returncode}:\n"
                f"{_log_tail(base / 'log' / 'stderr.log')}\n{_log_tail(log)}"
            )
        if _greets(port) and _accepts(ssl_port):
            return proc, port, ssl_port
        time.sleep(0.05)
    _terminate(proc)
    raise RuntimeError(f"dovecot did not greet on {HOST}:{port} in time:\n{_log_tail(log)}")


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _check_introspection_url(url: str) -> None:
    # The URL goes into a Dovecot config line: no whitespace, no line breaks, http(s) only.
    if not re.fullmatch(r"https?://\S+", url):
        raise ValueError(f"unsupported OAuth2 introspection URL {url!r}")


def start_dovecot(
    base: Path | None = None, *, oauth2_introspection_url: str | None = None
) -> DovecotInstance:
    """Start a private Dovecot under ``base`` (a new temp folder if None, removed on stop).

    With ``oauth2_introspection_url``, users may also log in with XOAUTH2 or OAUTHBEARER: Dovecot
    POSTs ``token=<token>`` to that URL and accepts the login when the JSON answer holds
    ``"active": true`` and ``"username"`` equal to the user name. Passwords keep working.
    """
    if oauth2_introspection_url is not None:
        _check_introspection_url(oauth2_introspection_url)
    reason = dovecot_unavailable_reason()
    binary = _dovecot_binary()
    if reason is not None or binary is None:
        raise RuntimeError(f"cannot start Dovecot: {reason}")
    created = base is None
    base = Path(tempfile.mkdtemp(prefix="intake-dovecot-")) if base is None else base.resolve()
    try:
        base.mkdir(parents=True, exist_ok=True)
        cert, key = _prepare(base)
        oauth2 = oauth2_introspection_url is not None
        if oauth2_introspection_url is not None:
            ext = base / "dovecot-oauth2.conf.ext"
            ext.write_text(_oauth2_config(oauth2_introspection_url), encoding="utf-8")
            ext.chmod(0o644)  # read by the auth process (user dovecot)
        last_error: RuntimeError | None = None
        # Free ports are picked before Dovecot binds them; retry if someone else was faster.
        for _ in range(3):
            try:
                proc, port, ssl_port = _launch(binary, base, cert, key, oauth2=oauth2)
            except RuntimeError as exc:
                last_error = exc
                continue
            return DovecotInstance(
                host=HOST,
                port=port,
                ssl_port=ssl_port,
                ca_file=cert,
                base=base,
                pid=proc.pid,
                _process=proc,
                oauth2_introspection_url=oauth2_introspection_url,
                _remove_base=created,
            )
        assert last_error is not None
        raise last_error
    except BaseException:
        if created:
            shutil.rmtree(base, ignore_errors=True)
        raise


def main() -> None:
    instance = start_dovecot()
    password = secrets.token_urlsafe(8)
    instance.add_user("demo", password)
    print(f"Dovecot pid {instance.pid}, base {instance.base}")
    print(f"  IMAP   {instance.host}:{instance.port}  (plaintext allowed)")
    print(f"  IMAPS  {instance.host}:{instance.ssl_port}  (CA file {instance.ca_file})")
    print(f"  user   demo / {password}")
    print("Ctrl-C stops it.", flush=True)
    try:
        while instance._process.poll() is None:
            time.sleep(0.5)
        print(f"dovecot exited unexpectedly:\n{_log_tail(instance.log_file)}")
    except KeyboardInterrupt:
        pass
    finally:
        instance.stop()


if __name__ == "__main__":
    main()
