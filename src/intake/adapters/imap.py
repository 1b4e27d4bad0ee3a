"""IMAP adapter over imapclient: read-only intake of a mailbox, marked by a keyword.

Messages are fetched with BODY.PEEK[] so staff still see them as unread, marked with a keyword
(never \\Seen, never \\Deleted) and optionally moved. Nothing is ever deleted or expunged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from intake.adapters.imapsession import ImapError, ImapLoginError, ImapSession
from intake.config import ImapConfig

__all__ = [
    "FetchedMessage",
    "ImapError",
    "ImapLoginError",
    "ImapMailbox",
    "MessageMeta",
    "uid_set",
]

log = logging.getLogger(__name__)

# UIDs per metadata/search/store command: keeps command lines well below server limits.
COMMAND_BATCH = 300
# Hierarchy separator used in folder names in the config (translated to the server's one).
CONFIG_SEPARATOR = "/"


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


def _uids_text(uids: Sequence[int]) -> str:
    text = uid_set(uids)
    return text if len(text) <= 60 else f"{text[:60]}…（{len(set(uids))} 件）"


def _flag_text(flag: bytes | str) -> str:
    return flag.decode("utf-8", "replace") if isinstance(flag, bytes) else str(flag)


class ImapMailbox(ImapSession):
    """One IMAP session on one folder. Use as a context manager::

    with ImapMailbox(config, password) as mailbox:
        uidvalidity = mailbox.select()
        for message in mailbox.fetch_messages(mailbox.fetch_meta(mailbox.search_unprocessed())):
            ...
    """

    def __init__(self, config: ImapConfig, password: str | None) -> None:
        super().__init__(config, password)
        self._folder: str | None = None
        self._delimiter: str | None = None
        # From the last SELECT: flags the folder keeps (None when the server sent none).
        self._permanent_flags: frozenset[str] | None = None
        self._flags: frozenset[str] = frozenset()
        # Server folder names known to exist in this session (see ensure_folder).
        self._known_folders: set[str] = set()

    def close(self) -> None:
        """Log out and forget the selected folder; safe to call more than once, never raises."""
        self._folder = None
        self._permanent_flags = None
        self._known_folders.clear()
        super().close()

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
