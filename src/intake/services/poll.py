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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from intake.adapters.filestore import FileStore
from intake.adapters.imap import ImapMailbox, MessageMeta
from intake.adapters.orm import MailboxState
from intake.config import Settings
from intake.services.ingest import Recorded, Source, record_message
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
) -> PollReport:
    """Run one cycle on an already connected mailbox."""
    report = PollReport()
    account, folder = account_key(settings), settings.imap.folder
    uidvalidity = mailbox.select(folder)
    report.uidvalidity_changed = _note_uidvalidity(uow, account, folder, uidvalidity)

    # 1. Rows committed by an earlier cycle that never got their server-side mark.
    with uow:
        pending = uow.repo.pending_server_marks(account, folder, uidvalidity)
        pending_marks = [(m.id, m.uid, m.outcome) for m in pending if m.uid is not None]
    if pending_marks:
        still_there = mailbox.existing(uid for _, uid, _ in pending_marks)
        report.marked += _apply_marks(
            settings, uow, mailbox, [(pk, uid, o) for pk, uid, o in pending_marks], still_there
        )

    # 2. Everything not yet marked on the server.
    candidates = mailbox.search_unprocessed()
    with uow:
        known = uow.repo.messages_at(account, folder, uidvalidity, candidates)
        # Known but unmarked (e.g. the keyword was removed by hand): mark again, record nothing.
        remark = [(m.id, uid, m.outcome) for uid, m in known.items()]
    if remark:
        report.marked += _apply_marks(settings, uow, mailbox, remark, {u for _, u, _ in remark})
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
        try:
            result: Recorded = record_message(
                uow,
                store,
                settings,
                raw=fetched.raw,
                source=source,
                received_at=fetched.internaldate,
            )
        except Exception as exc:  # the rest of the batch goes on; this one is retried next cycle
            log.exception("UID %s could not be recorded", fetched.uid)
            report.failed.append(f"UID {fetched.uid}: {type(exc).__name__}: {exc}")
        else:
            if result.already_known:
                report.already_known += 1
            else:
                report.recorded[result.outcome.value] += 1
            to_mark.append((result.message_pk, fetched.uid, result.outcome.value))
            log.info(
                "UID %s → %s (記録番号 %s)", fetched.uid, result.outcome.value, result.message_pk
            )
        if len(to_mark) >= settings.imap.fetch_batch_size:
            report.marked += _apply_marks(settings, uow, mailbox, to_mark, None)
            to_mark = []
        if progress:
            progress(done, total)
    if to_mark:
        report.marked += _apply_marks(settings, uow, mailbox, to_mark, None)

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


def _apply_marks(
    settings: Settings,
    uow: UnitOfWork,
    mailbox: ImapMailbox,
    rows: Sequence[tuple[int, int, str]],
    present: set[int] | None,
) -> int:
    """Mark messages on the server by outcome, then note it in the database."""
    by_action: dict[str | None, list[int]] = {}
    for _, uid, outcome in rows:
        if present is not None and uid not in present:
            continue  # already moved away by an earlier, interrupted cycle
        by_action.setdefault(settings.imap.move_to.get(outcome), []).append(uid)
    for target, uids in by_action.items():
        # The keyword goes on first even when moving, so an interrupted move still reads as done.
        mailbox.mark_processed(uids)
        if target:
            mailbox.move(uids, target)
    now = datetime.now(UTC)
    with uow:
        for pk, _, _ in rows:
            message = uow.repo.message(pk)
            if message is not None and message.server_state == "pending":
                message.server_state = "done"
                message.server_marked_at = now
        uow.commit()
    return sum(len(u) for u in by_action.values())


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
