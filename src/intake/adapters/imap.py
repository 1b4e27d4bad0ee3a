"""IMAP adapter over imapclient: read-only intake of a mailbox, marked by a keyword.

Messages are fetched with BODY.PEEK[] so staff still see them as unread, marked with a keyword
(never \\Seen, never \\Deleted) and optionally moved. Nothing is ever deleted or expunged.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from intake.adapters.oauth import TokenError, fetch_token
from intake.config import ImapConfig

log = logging.getLogger(__name__)

# UIDs per metadata/search/store command: keeps command lines well below server limits.
COMMAND_BATCH = 300
# Hierarchy separator used in folder names in the config (translated to the server's one).
CONFIG_SEPARATOR = "/"


class ImapError(Exception):
    """An IMAP problem; str() is a Japanese message for the operator."""


class ImapLoginError(ImapError):
    """The server rejected the credentials, or no access token could be had (not retried)."""


class _XOAuth2:
    """SASL XOAUTH2 client (Google, Microsoft 365), for ``IMAPClient.sasl_login``.

    The first response is what ``IMAPClient.oauth2_login`` sends. When the server refuses the
    token it sends a JSON error as a challenge, which the client must answer with an empty
    response (as Google and Microsoft document); ``oauth2_login`` would send the token again.

    The token never reaches a log: imaplib logs only the size of a continuation response, and
    imapclient redacts the ``AUTHENTICATE`` command line (``IMAPlibLoggerAdapter``).
    """

    def __init__(self, username: str, token: str) -> None:
        self._response = f"user={username}\x01auth=Bearer {token}\x01\x01".encode()
        self.sent = False
        self.error: bytes | None = None  # the server's JSON error challenge, if any

    def __call__(self, challenge: bytes) -> bytes:
        if not self.sent:
            self.sent = True
            return self._response
        self.error = challenge
        return b""

    def __repr__(self) -> str:
        return "<_XOAuth2 (token hidden)>"


@dataclass(frozen=True)
class MessageMeta:
    uid: int
    size: int
    internaldate: datetime  # aware, with the offset the server reported


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    size: int
    internaldate: datetime
    raw: bytes


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def uid_set(uids: Iterable[int]) -> str:
    """Compact IMAP sequence set, e.g. [1, 2, 3, 7] -> "1:3,7" (never uses "*")."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    parts: list[str] = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, TimeoutError):
        return "タイムアウト"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text or type(exc).__name__


# imapclient: "store failed: [CANNOT] ..." (the server said NO).
_NO_ANSWER_RE = re.compile(r"\w+ failed: (.*)", re.DOTALL)
# imaplib: "UID command error: BAD [b'Error in IMAP command ...']".
_BAD_ANSWER_RE = re.compile(r"\w+ command error: (BAD|NO) \[b(['\"])(.*)\2\]", re.DOTALL)
# Dovecot appends its timing to every answer, e.g. " (0.001 + 0.000 secs)."
_TIMING_RE = re.compile(r"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)\.?$")


def _hide(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (a server could echo what it was sent)."""
    return text.replace(secret, "***") if secret else text


def _server_answer(exc: BaseException) -> str | None:
    """The server's refusal (e.g. "NO [TRYCREATE] ...") if ``exc`` reports one."""
    if isinstance(exc, OSError | IMAPClientAbortError) or not isinstance(exc, IMAPClientError):
        return None
    text = str(exc).strip()
    if m := _NO_ANSWER_RE.fullmatch(text):
        answer = f"NO {m.group(1)}"
    elif m := _BAD_ANSWER_RE.fullmatch(text):
        answer = f"{m.group(1)} {m.group(3).replace(chr(92) * 2, chr(92))}"
    else:
        return None
    return _TIMING_RE.sub("", answer).strip()


def _uids_text(uids: Sequence[int]) -> str:
    text = uid_set(uids)
    return text if len(text) <= 60 else f"{text[:60]}…（{len(set(uids))} 件）"


def _flag_text(flag: bytes | str) -> str:
    return flag.decode("utf-8", "replace") if isinstance(flag, bytes) else str(flag)


def _is_retryable(exc: BaseException) -> bool:
    # A bad certificate will not fix itself; refusals, resets and timeouts might.
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False
    return isinstance(exc, OSError | imaplib.IMAP4.abort)


class ImapMailbox:
    """One IMAP session on one folder. Use as a context manager::

    with ImapMailbox(config, password) as mailbox:
        uidvalidity = mailbox.select()
        for message in mailbox.fetch_messages(mailbox.fetch_meta(mailbox.search_unprocessed())):
            ...
    """

    # Seconds for the first retry pause (doubles each time, capped at retry_wait_max).
    retry_wait_base: float = 1.0
    retry_wait_max: float = 30.0

    def __init__(self, config: ImapConfig, password: str | None) -> None:
        self.config = config
        self._password = password
        self._client: IMAPClient | None = None
        self._folder: str | None = None
        self._delimiter: str | None = None
        # From the last SELECT: flags the folder keeps (None when the server sent none).
        self._permanent_flags: frozenset[str] | None = None
        self._flags: frozenset[str] = frozenset()
        # Server folder names known to exist in this session (see ensure_folder).
        self._known_folders: set[str] = set()

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _where(self) -> str:
        return f"{self.config.host}:{self.config.effective_port}"

    def _ssl_context(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        context = ssl.create_default_context(cafile=cafile)
        if not self.config.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self) -> IMAPClient:
        cfg = self.config
        timeout = SocketTimeout(connect=cfg.connect_timeout, read=cfg.command_timeout)
        use_ssl = cfg.security == "ssl"
        context = self._ssl_context() if cfg.security != "none" else None
        client = IMAPClient(
            cfg.host,
            port=cfg.effective_port,
            ssl=use_ssl,
            ssl_context=context if use_ssl else None,
            timeout=timeout,
        )
        try:
            if cfg.security == "starttls":
                client.starttls(context)
        except BaseException:
            client.shutdown()
            raise
        return client

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "IMAP %s: connection attempt %d failed (%s); retrying in %.1fs",
            self._where,
            state.attempt_number,
            _reason(exc) if exc else "?",
            pause,
        )

    def connect(self) -> None:
        """Connect (retrying connection errors with exponential backoff) and log in."""
        if self._client is not None:
            return
        cfg = self.config
        # A fresh token for every connection (reconnects too): one from an earlier one may have
        # expired. Fetched before connecting, so the server never waits on the token command.
        token = self._fetch_token() if cfg.auth == "xoauth2" else None
        retrying = Retrying(
            stop=stop_after_attempt(cfg.connect_attempts),
            wait=wait_exponential(multiplier=self.retry_wait_base, max=self.retry_wait_max),
            retry=retry_if_exception(_is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            client = retrying(self._open)
        except ssl.SSLCertVerificationError as exc:
            raise ImapError(
                f"IMAP サーバー {self._where} の証明書を検証できません（{_reason(exc)}）"
            ) from exc
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise ImapError(
                f"IMAP サーバー {self._where} に接続できません（{_reason(exc)}）"
            ) from exc
        client.normalise_times = False  # keep INTERNALDATE's own offset (aware datetimes)
        try:
            if token is not None:
                self._xoauth2_login(client, token)
            else:
                client.login(cfg.username, self._password or "")
        except ImapLoginError:
            client.shutdown()
            raise
        except LoginError as exc:
            client.shutdown()
            raise ImapLoginError(f"IMAP ログインに失敗しました（ユーザー {cfg.username}）") from exc
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            client.shutdown()
            raise ImapError(
                f"IMAP サーバー {self._where} でログイン中にエラーが発生しました"
                f"（{_hide(_reason(exc), token)}）"
            ) from exc
        self._client = client
        method = " (XOAUTH2)" if token is not None else ""
        log.info("IMAP %s: logged in as %s%s", self._where, cfg.username, method)

    def _fetch_token(self) -> str:
        cfg = self.config
        if not cfg.token_command:  # LoginConfig requires it; checked again for type safety
            raise ImapLoginError('IMAP: auth = "xoauth2" には token_command が必要です')
        try:
            return fetch_token(cfg.token_command, timeout=cfg.token_timeout)
        except TokenError as exc:
            raise ImapLoginError(
                f"IMAP ログイン用のアクセストークンを取得できません"
                f"（ユーザー {cfg.username}）: {exc}"
            ) from exc

    def _xoauth2_login(self, client: IMAPClient, token: str) -> None:
        cfg = self.config
        mechanism = _XOAuth2(cfg.username, token)
        try:
            client.sasl_login("XOAUTH2", mechanism)
        except LoginError as exc:
            answer = _hide(_TIMING_RE.sub("", str(exc)).strip(), token)
            if mechanism.error:
                log.info(
                    "IMAP %s: XOAUTH2 refused, server said %s",
                    self._where,
                    _hide(mechanism.error.decode("utf-8", "replace")[:300], token),
                )
            raise ImapLoginError(
                f"IMAP の XOAUTH2 ログインに失敗しました（ユーザー {cfg.username}、"
                f"{self._where} の応答: {answer or '不明'}）。アクセストークンの期限切れ・"
                "権限（スコープ）不足や、アカウントで IMAP が無効になっていないか確認してください"
            ) from exc

    def close(self) -> None:
        """Log out; safe to call more than once, never raises."""
        client, self._client = self._client, None
        self._folder = None
        self._permanent_flags = None
        self._known_folders.clear()
        if client is None:
            return
        try:
            client.logout()
        except Exception as exc:  # the session is over either way
            log.debug("IMAP %s: logout failed (%s)", self._where, exc)
            with suppress(Exception):
                client.shutdown()

    # -- helpers -------------------------------------------------------------------------------

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ImapError("IMAP サーバーに接続していません")
        return self._client

    @contextmanager
    def _command(self, what: str) -> Iterator[IMAPClient]:
        """Turn library/socket errors of one command into an ImapError for the operator."""
        client = self.client
        try:
            yield client
        except ImapError:
            raise
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            answer = _server_answer(exc)
            detail = (
                f"{self._where}: {_reason(exc)}"
                if answer is None
                else f"{self._where} の応答: {answer}"
            )
            space = "" if what.endswith("）") else " "
            raise ImapError(f"IMAP {what}{space}に失敗しました（{detail}）") from exc

    def _require_folder(self) -> str:
        if self._folder is None:
            raise ImapError("IMAP フォルダーが選択されていません（select を先に呼んでください）")
        return self._folder

    def server_folder(self, name: str) -> str:
        """The config's folder name ("/" separated) with the server's hierarchy separator."""
        if CONFIG_SEPARATOR not in name:
            return name
        if self._delimiter is None:
            with self._command("LIST") as client:
                listing: list[tuple[Any, bytes | str | None, str]] = client.list_folders("", "")
            raw = listing[0][1] if listing else None
            delimiter = raw.decode() if isinstance(raw, bytes) else raw
            self._delimiter = delimiter or CONFIG_SEPARATOR
        return name.replace(CONFIG_SEPARATOR, self._delimiter)

    # -- operations ----------------------------------------------------------------------------

    def select(self, folder: str | None = None) -> int:
        """Select the folder read-write and return its UIDVALIDITY."""
        name = self.server_folder(folder or self.config.folder)
        with self._command(f"SELECT {name}") as client:
            response = client.select_folder(name, readonly=False)
        self._folder = name
        permanent = response.get(b"PERMANENTFLAGS")
        self._permanent_flags = (
            None if permanent is None else frozenset(_flag_text(f) for f in permanent)
        )
        self._flags = frozenset(_flag_text(f) for f in response.get(b"FLAGS") or ())
        return int(response[b"UIDVALIDITY"])

    def keyword_supported(self) -> bool:
        """Whether the selected folder keeps the processed keyword (its PERMANENTFLAGS hold
        ``\\*`` or the keyword). Without PERMANENTFLAGS, RFC 3501 says all flags are kept."""
        self._require_folder()
        if self._permanent_flags is None:
            return True
        allowed = {flag.lower() for flag in self._permanent_flags}
        return "\\*" in allowed or self.config.processed_keyword.lower() in allowed

    def search_unprocessed(self) -> list[int]:
        """UIDs without the processed keyword, ascending."""
        self._require_folder()
        with self._command("SEARCH") as client:
            found = client.search(["UNKEYWORD", self.config.processed_keyword])
        return sorted(int(uid) for uid in found)

    def existing(self, uids: Iterable[int]) -> set[int]:
        """Which of these UIDs still exist in the selected folder."""
        self._require_folder()
        wanted = sorted(set(uids))
        present: set[int] = set()
        for chunk in _chunks(wanted, COMMAND_BATCH):
            with self._command("SEARCH") as client:
                present.update(int(uid) for uid in client.search(["UID", uid_set(chunk)]))
        # A UID set never matches others, but guard against servers that answer loosely.
        return present & set(wanted)

    def fetch_meta(self, uids: Sequence[int]) -> list[MessageMeta]:
        """RFC822.SIZE and INTERNALDATE of the UIDs that still exist, ascending by UID."""
        self._require_folder()
        metas: list[MessageMeta] = []
        for chunk in _chunks(sorted(set(uids)), COMMAND_BATCH):
            with self._command("FETCH") as client:
                response = client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"])
            for uid in chunk:
                data = response.get(uid)
                # No such UID; or only an unsolicited FETCH (a flag change by someone else).
                if not data or (b"RFC822.SIZE" not in data and b"INTERNALDATE" not in data):
                    continue
                meta = self._meta(uid, data)
                if meta is not None:
                    metas.append(meta)
        return metas

    def _meta(self, uid: int, data: dict[bytes, Any]) -> MessageMeta | None:
        """Metadata of one message, or None (logged) when the server's answer is unusable:
        the message stays unprocessed and is tried again at the next poll."""
        raw_size: Any = data.get(b"RFC822.SIZE")
        size: int | None = None
        with suppress(TypeError, ValueError):
            size = int(raw_size)
        when = data.get(b"INTERNALDATE")  # imapclient gives None when it cannot parse it
        problems: list[str] = []
        if size is None or size < 0:
            problems.append(f"RFC822.SIZE={raw_size!r}")
        if not isinstance(when, datetime) or when.tzinfo is None:
            problems.append(f"INTERNALDATE={when!r}")
        if problems or size is None or not isinstance(when, datetime):
            log.warning(
                "IMAP %s: UID %d in %s has no usable %s; skipped (it stays unprocessed and "
                "is tried again at the next poll)",
                self._where,
                uid,
                self._folder,
                ", ".join(problems),
            )
            return None
        return MessageMeta(uid=uid, size=size, internaldate=when)

    def _batches(self, metas: Sequence[MessageMeta]) -> Iterator[list[MessageMeta]]:
        limit_count, limit_bytes = self.config.fetch_batch_size, self.config.fetch_batch_bytes
        batch: list[MessageMeta] = []
        total = 0
        for meta in sorted(metas, key=lambda m: m.uid):
            if batch and (len(batch) >= limit_count or total + meta.size > limit_bytes):
                yield batch
                batch, total = [], 0
            batch.append(meta)  # a message larger than the byte limit goes alone
            total += meta.size
        if batch:
            yield batch

    def fetch_messages(self, metas: Sequence[MessageMeta]) -> Iterator[FetchedMessage]:
        """Full messages via BODY.PEEK[] (never sets \\Seen), one round trip per batch."""
        self._require_folder()
        for batch in self._batches(metas):
            with self._command("FETCH") as client:
                response = client.fetch([m.uid for m in batch], ["BODY.PEEK[]"])
            for meta in batch:
                raw = response.get(meta.uid, {}).get(b"BODY[]")
                if raw is None:
                    log.warning(
                        "IMAP %s: UID %d vanished from %s before it could be fetched; skipped",
                        self._where,
                        meta.uid,
                        self._folder,
                    )
                    continue
                yield FetchedMessage(
                    uid=meta.uid, size=len(raw), internaldate=meta.internaldate, raw=bytes(raw)
                )

    def mark_processed(self, uids: Sequence[int]) -> None:
        """Add the processed keyword (never \\Seen, never \\Deleted).

        Raises :class:`ImapError` (naming the server's answer) when the server refuses.
        """
        self._require_folder()
        keyword = self.config.processed_keyword
        for chunk in _chunks(sorted(set(uids)), COMMAND_BATCH):
            what = f"STORE（処理済みキーワード {keyword} の付与、UID {_uids_text(chunk)}）"
            with self._command(what) as client:
                client.add_flags(chunk, [keyword], silent=True)

    def ensure_folder(self, folder: str) -> None:
        """Create ``folder`` (config name, "/" separated) unless it exists already.

        Checked once per session; :meth:`move` calls it too.
        """
        target = self.server_folder(folder)
        if target in self._known_folders:
            return
        with self._command(f"CREATE（フォルダー {target} の作成）") as client:
            if not self._folder_exists(client, target):
                try:
                    client.create_folder(target)
                except IMAPClientError as exc:
                    # Another session may have created it meanwhile; otherwise it is refused.
                    if isinstance(exc, IMAPClientAbortError) or not self._folder_exists(
                        client, target
                    ):
                        raise
                else:
                    log.info("IMAP %s: created folder %s", self._where, target)
        self._known_folders.add(target)

    @staticmethod
    def _folder_exists(client: IMAPClient, target: str) -> bool:
        # LIST takes a pattern ("*" and "%" are wildcards): compare the names exactly.
        listing: list[tuple[Any, Any, str]] = client.list_folders("", target)
        if target.upper() == "INBOX":
            return any(str(name).upper() == "INBOX" for _, _, name in listing)
        return any(name == target for _, _, name in listing)

    def move(self, uids: Sequence[int], folder: str) -> None:
        """Move to ``folder`` (created if missing). Without MOVE: COPY + keyword, no expunge.

        Raises :class:`ImapError` (naming the server's answer) when the server refuses.
        """
        self._require_folder()
        self.ensure_folder(folder)
        target = self.server_folder(folder)
        with self._command("CAPABILITY") as client:
            can_move = client.has_capability("MOVE")
        try:
            for chunk in _chunks(sorted(set(uids)), COMMAND_BATCH):
                if can_move:
                    what = f"MOVE（フォルダー {target} への移動、UID {_uids_text(chunk)}）"
                    with self._command(what) as client:
                        client.move(chunk, target)
                else:
                    # Deleting from the source would need EXPUNGE; we never delete: mark instead.
                    what = f"COPY（フォルダー {target} へのコピー、UID {_uids_text(chunk)}）"
                    with self._command(what) as client:
                        client.copy(chunk, target)
                    self.mark_processed(chunk)
        except ImapError:
            # E.g. the folder was deleted meanwhile ([TRYCREATE]): check it again next time.
            self._known_folders.discard(target)
            raise
