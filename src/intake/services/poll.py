"""One poll cycle: take every unprocessed message from the mailbox into the store.

Per message: fetch (BODY.PEEK, so \\Seen is never set) → record (bytes fsynced, row committed)
→ mark on the server (keyword, or MOVE per outcome). Marks are sent in groups after the rows
they cover are committed; rows committed but not yet marked (a crash in between) are marked
at the start of the next cycle.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import OperationalError

from intake.adapters.filestore import FileStore
from intake.adapters.imap import ImapError, ImapMailbox, MessageMeta
from intake.adapters.orm import MailboxState
from intake.config import Settings
from intake.domain.lifecycle import marked
from intake.domain.model import Outcome
from intake.services.ingest import Recorded, Source, record_message, record_unprocessable
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (done, total)


@dataclass
class PollReport:
    fetched: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    already_known: int = 0
    marked: int = 0
    failed: list[str] = field(default_factory=list)
    mark_failures: list[str] = field(default_factory=list)
    interrupted: bool = False
    uidvalidity_changed: bool = False

    @property
    def new_records(self) -> int:
        return sum(self.recorded.values())


def account_key(settings: Settings) -> str:
    imap = settings.imap
    return f"{imap.username}@{imap.host}:{imap.effective_port}"


def poll_once(
    settings: Settings,
    uow: UnitOfWork,
    store: FileStore,
    mailbox: ImapMailbox,
    *,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PollReport:
    """Run one cycle on an already connected mailbox.

    ``should_stop`` is asked after each message: a daemon being stopped finishes the message
    in hand (recorded and marked) and leaves the rest for the next start.
    """
    report = PollReport()
    account, folder = account_key(settings), settings.imap.folder
    uidvalidity = mailbox.select(folder)
    _check_marking_possible(settings, mailbox)
    report.uidvalidity_changed = _note_uidvalidity(uow, account, folder, uidvalidity)

    # 1. Rows committed by an earlier cycle that never got their server-side mark.
    with uow:
        pending = uow.repo.pending_server_marks(account, folder, uidvalidity)
        pending_marks = [(m.id, m.uid, m.outcome) for m in pending if m.uid is not None]
    if pending_marks:
        still_there = mailbox.existing(uid for _, uid, _ in pending_marks)
        _apply_marks(settings, uow, mailbox, pending_marks, still_there, report)

    # 2. Everything not yet marked on the server.
    candidates = mailbox.search_unprocessed()
    with uow:
        known = uow.repo.messages_at(account, folder, uidvalidity, candidates)
        # Known but unmarked (e.g. the keyword was removed by hand): mark again, record nothing.
        remark = [(m.id, uid, m.outcome) for uid, m in known.items()]
    if remark:
        _apply_marks(settings, uow, mailbox, remark, None, report)
    new_uids = [uid for uid in candidates if uid not in known]
    metas: Sequence[MessageMeta] = mailbox.fetch_meta(new_uids) if new_uids else []
    total = len(metas)
    if progress:
        progress(0, total)

    to_mark: list[tuple[int, int, str]] = []
    highest = 0
    for done, fetched in enumerate(mailbox.fetch_messages(metas), start=1):
        report.fetched += 1
        highest = max(highest, fetched.uid)
        source = Source(account, folder, uidvalidity, fetched.uid)
        result = _record(settings, uow, store, fetched.raw, source, fetched.internaldate, report)
        if result is not None:
            if result.already_known:
                report.already_known += 1
            else:
                report.recorded[result.outcome.value] += 1
            to_mark.append((result.message_pk, fetched.uid, result.outcome.value))
            log.info(
                "UID %s → %s (記録番号 %s)", fetched.uid, result.outcome.value, result.message_pk
            )
        if len(to_mark) >= settings.imap.fetch_batch_size:
            _apply_marks(settings, uow, mailbox, to_mark, None, report)
            to_mark = []
        if progress:
            progress(done, total)
        if should_stop is not None and should_stop():
            report.interrupted = True
            break
    if to_mark:
        _apply_marks(settings, uow, mailbox, to_mark, None, report)

    _finish(uow, account, folder, highest)
    return report


def _note_uidvalidity(uow: UnitOfWork, account: str, folder: str, uidvalidity: int) -> bool:
    with uow:
        state = uow.repo.mailbox_state(account, folder)
        if state is None:
            uow.repo.add(
                MailboxState(account=account, folder=folder, uidvalidity=uidvalidity, highest_uid=0)
            )
            uow.commit()
            return False
        if state.uidvalidity == uidvalidity:
            return False
        log.warning(
            "%s %s: UIDVALIDITY changed %s → %s; recorded messages are matched by Message-ID "
            "and content",
            account,
            folder,
            state.uidvalidity,
            uidvalidity,
        )
        state.uidvalidity = uidvalidity
        state.highest_uid = 0
        uow.commit()
        return True


def _record(
    settings: Settings,
    uow: UnitOfWork,
    store: FileStore,
    raw: bytes,
    source: Source,
    received_at: datetime,
    report: PollReport,
) -> Recorded | None:
    """Record one message; None when it must wait for the next cycle (left unmarked)."""
    try:
        return record_message(uow, store, settings, raw=raw, source=source, received_at=received_at)
    except (OSError, OperationalError) as exc:
        # Disk or database unavailable: nothing about this message is wrong; try again later.
        log.exception("UID %s could not be recorded", source.uid)
        report.failed.append(f"UID {source.uid}: {type(exc).__name__}: {exc}")
        return None
    except Exception as exc:  # something in this message trips us: log it for a person
        log.exception("UID %s could not be recorded normally", source.uid)
        try:
            return record_unprocessable(
                uow, store, raw=raw, source=source, received_at=received_at, error=exc
            )
        except Exception as fallback:
            log.exception("UID %s could not be recorded at all", source.uid)
            report.failed.append(f"UID {source.uid}: {type(fallback).__name__}: {fallback}")
            return None


def _check_marking_possible(settings: Settings, mailbox: ImapMailbox) -> None:
    """Refuse to poll when processed mail could not be marked: it would be taken in again
    and again. Folders for MOVE are created once, here."""
    moved = set(settings.imap.move_to)
    every_outcome = {o.value for o in Outcome}
    if not mailbox.keyword_supported() and moved != every_outcome:
        raise ImapError(
            f"フォルダー {settings.imap.folder} ではキーワード {settings.imap.processed_keyword} "
            "を保存できないため、処理済みの印を付けられません。[imap.move_to] ですべての判定結果"
            "の移動先フォルダーを設定してください。"
        )
    for target in sorted(set(settings.imap.move_to.values())):
        mailbox.ensure_folder(target)


def _apply_marks(
    settings: Settings,
    uow: UnitOfWork,
    mailbox: ImapMailbox,
    rows: Sequence[tuple[int, int, str]],
    present: set[int] | None,
    report: PollReport,
) -> None:
    """Mark messages on the server by outcome, then note it in the database.

    A group the server refuses stays pending (and is tried again next cycle) without
    stopping the others.
    """
    groups: dict[str | None, list[tuple[int, int]]] = {}
    gone: list[int] = []
    for pk, uid, outcome in rows:
        if present is not None and uid not in present:
            gone.append(pk)  # already moved away by an earlier, interrupted cycle
            continue
        groups.setdefault(settings.imap.move_to.get(outcome), []).append((pk, uid))
    done: list[int] = list(gone)
    for target, members in groups.items():
        uids = [uid for _, uid in members]
        try:
            if target:
                # Keyword first, so an interrupted move still reads as done; but the move is
                # what counts, so a server that refuses the keyword does not stop it.
                with suppress(ImapError):
                    mailbox.mark_processed(uids)
                mailbox.move(uids, target)
            else:
                mailbox.mark_processed(uids)
        except ImapError as exc:
            log.error("marking UIDs %s failed: %s", uids, exc)
            report.mark_failures.append(str(exc))
            continue
        done.extend(pk for pk, _ in members)
        report.marked += len(members)
    now = datetime.now(UTC)
    with uow:
        for pk in done:
            message = uow.repo.message(pk)
            if message is not None:
                message.server_state = marked(message.server_state)
                message.server_marked_at = now
        uow.commit()


def _finish(uow: UnitOfWork, account: str, folder: str, highest: int) -> None:
    with uow:
        state = uow.repo.mailbox_state(account, folder)
        if state is not None:
            state.highest_uid = max(state.highest_uid, highest)
            state.last_poll_at = datetime.now(UTC)
            state.last_error = None
            uow.commit()


def record_poll_error(uow: UnitOfWork, settings: Settings, error: str) -> None:
    with uow:
        state = uow.repo.mailbox_state(account_key(settings), settings.imap.folder)
        if state is not None:
            state.last_error = error
            uow.commit()
