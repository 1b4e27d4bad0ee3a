"""Queries over the tables, so services speak in terms of messages and rejections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.adapters.orm import MailboxState, Message, Rejection
from intake.domain.model import Outcome


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- mailbox state ----------------------------------------------------------------------
    def mailbox_state(self, account: str, folder: str) -> MailboxState | None:
        return self.session.scalars(
            select(MailboxState).where(
                MailboxState.account == account, MailboxState.folder == folder
            )
        ).one_or_none()

    def mailbox_states(self) -> Sequence[MailboxState]:
        return self.session.scalars(select(MailboxState).order_by(MailboxState.id)).all()

    # -- messages ---------------------------------------------------------------------------
    def add(self, obj: object) -> None:
        self.session.add(obj)

    def find_recorded(self, message_id: str | None, sha256: str) -> Message | None:
        """The first non-duplicate record of the same message (Message-ID and bytes)."""
        query = select(Message).where(
            Message.sha256 == sha256, Message.outcome != Outcome.DUPLICATE.value
        )
        if message_id is not None:
            query = query.where(Message.message_id == message_id)
        return self.session.scalars(query.order_by(Message.id).limit(1)).first()

    def find_under_old_uidvalidity(
        self, account: str, folder: str, uidvalidity: int, message_id: str | None, sha256: str
    ) -> Message | None:
        """A row of the same message recorded under an earlier UIDVALIDITY of this folder."""
        query = select(Message).where(
            Message.account == account,
            Message.folder == folder,
            Message.uidvalidity != uidvalidity,
            Message.sha256 == sha256,
        )
        if message_id is not None:
            query = query.where(Message.message_id == message_id)
        return self.session.scalars(query.order_by(Message.id).limit(1)).first()

    def messages_at(
        self, account: str, folder: str, uidvalidity: int, uids: Iterable[int]
    ) -> dict[int, Message]:
        wanted = list(uids)
        found: dict[int, Message] = {}
        for start in range(0, len(wanted), 500):  # keep IN lists short for every backend
            chunk = wanted[start : start + 500]
            rows = self.session.scalars(
                select(Message).where(
                    Message.account == account,
                    Message.folder == folder,
                    Message.uidvalidity == uidvalidity,
                    Message.uid.in_(chunk),
                )
            )
            found.update({row.uid: row for row in rows if row.uid is not None})
        return found

    def pending_server_marks(self, account: str, folder: str, uidvalidity: int) -> list[Message]:
        return list(
            self.session.scalars(
                select(Message)
                .where(
                    Message.account == account,
                    Message.folder == folder,
                    Message.uidvalidity == uidvalidity,
                    Message.server_state == "pending",
                )
                .order_by(Message.uid)
            )
        )

    def message(self, pk: int) -> Message | None:
        return self.session.get(Message, pk)

    def messages(self, outcome: str | None = None) -> Sequence[Message]:
        query = select(Message).options(selectinload(Message.attachments)).order_by(Message.id)
        if outcome:
            query = query.where(Message.outcome == outcome)
        return self.session.scalars(query).all()

    # -- rejections -------------------------------------------------------------------------
    def rejections(self, status: str = "open") -> Sequence[Rejection]:
        query = (
            select(Rejection)
            .options(
                selectinload(Rejection.reasons),
                selectinload(Rejection.message).selectinload(Message.attachments),
            )
            .order_by(Rejection.id)
        )
        if status != "all":
            query = query.where(Rejection.status == status)
        return self.session.scalars(query).all()

    def rejection(self, pk: int) -> Rejection | None:
        return self.session.get(Rejection, pk)
