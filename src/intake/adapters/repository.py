"""Queries over the tables, so services speak in terms of messages and rejections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from intake.adapters.orm import (
    Acknowledgement,
    Applicant,
    Application,
    MailboxState,
    Message,
    Rejection,
    TermCutoff,
)
from intake.adapters.selectionrepo import SelectionRepository
from intake.domain.lifecycle import (
    CANCELLABLE,
    ApplicationStatus,
    RejectionStatus,
    SendStatus,
    ServerState,
)
from intake.domain.model import Outcome


class Repository(SelectionRepository):
    """Queries by concept; the selection's are :class:`SelectionRepository`'s."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- mailbox state ----------------------------------------------------------------------
    def mailbox_state(self, account: str, folder: str) -> MailboxState | None:
        return self.session.scalars(
            select(MailboxState).where(
                MailboxState.account == account, MailboxState.folder == folder
            )
        ).one_or_none()

    # -- messages ---------------------------------------------------------------------------
    def add(self, obj: object) -> None:
        self.session.add(obj)

    def recorded_with_body(
        self, message_id: str | None, content_sha256: str, limit: int = 20
    ) -> Sequence[Message]:
        """Earlier records (not duplicates themselves) with this body and this Message-ID, or
        without any Message-ID when ``message_id`` is None; the oldest first."""
        query = select(Message).where(
            Message.content_sha256 == content_sha256,
            Message.outcome != Outcome.DUPLICATE.value,
        )
        if message_id is not None:
            query = query.where(Message.message_id == message_id)
        else:
            query = query.where(Message.message_id.is_(None))
        return self.session.scalars(query.order_by(Message.id).limit(limit)).all()

    def first_with_message_id(self, message_id: str) -> Message | None:
        """The oldest record (not a duplicate) carrying ``message_id``."""
        query = select(Message).where(
            Message.message_id == message_id, Message.outcome != Outcome.DUPLICATE.value
        )
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
                    Message.server_state == ServerState.PENDING,
                )
                .order_by(Message.uid)
            )
        )

    def message(self, pk: int) -> Message | None:
        return self.session.get(Message, pk)

    # -- rejections -------------------------------------------------------------------------
    def rejections(
        self, status: RejectionStatus | None = RejectionStatus.OPEN
    ) -> Sequence[Rejection]:
        """Rejections in ``status`` (None: all), oldest first."""
        query = (
            select(Rejection)
            .options(
                selectinload(Rejection.reasons),
                selectinload(Rejection.message).selectinload(Message.attachments),
            )
            .order_by(Rejection.id)
        )
        if status is not None:
            query = query.where(Rejection.status == status)
        return self.session.scalars(query).all()

    def rejection(self, pk: int) -> Rejection | None:
        return self.session.get(Rejection, pk)

    def open_rejections_from(self, sender: str) -> Sequence[Rejection]:
        """Open rejections of mail from this address, newest first."""
        return self.session.scalars(
            select(Rejection)
            .join(Rejection.message)
            .where(Rejection.status == RejectionStatus.OPEN, Message.from_address == sender)
            .order_by(Message.received_at.desc(), Rejection.id.desc())
        ).all()

    # -- applications -----------------------------------------------------------------------
    def applicant(self, key: str, email: str) -> Applicant | None:
        return self.session.scalars(
            select(Applicant).where(Applicant.name_key == key, Applicant.email == email)
        ).one_or_none()

    def current_applications_named(
        self, name_key: str, term_id: int | None = None
    ) -> Sequence[Application]:
        """Current applications of every applicant with this name key (any address)."""
        query = (
            select(Application)
            .join(Application.applicant)
            .where(Applicant.name_key == name_key, Application.status == ApplicationStatus.ACCEPTED)
        )
        if term_id is not None:
            query = query.where(Application.term_id == term_id)
        return self.session.scalars(query).all()

    def applications(self, term_id: int | None = None) -> Sequence[Application]:
        query = select(Application).order_by(Application.id)
        if term_id is not None:
            query = query.where(Application.term_id == term_id)
        return self.session.scalars(query).all()

    def application(self, pk: int) -> Application | None:
        return self.session.get(Application, pk)

    # -- acknowledgements -------------------------------------------------------------------
    def acknowledgement(self, pk: int) -> Acknowledgement | None:
        return self.session.get(Acknowledgement, pk)

    def acknowledgements(self, status: SendStatus | None = None) -> Sequence[Acknowledgement]:
        query = select(Acknowledgement).order_by(Acknowledgement.due_at, Acknowledgement.id)
        if status:
            query = query.where(Acknowledgement.status == status)
        return self.session.scalars(query).all()

    def acknowledgements_in(self, status: SendStatus) -> Sequence[Acknowledgement]:
        return self.acknowledgements(status)

    def due_acknowledgements(self, now: datetime) -> Sequence[Acknowledgement]:
        query = (
            select(Acknowledgement)
            .where(
                Acknowledgement.status == SendStatus.PENDING,
                Acknowledgement.due_at <= now,
                or_(
                    Acknowledgement.next_attempt_at.is_(None),
                    Acknowledgement.next_attempt_at <= now,
                ),
            )
            .order_by(Acknowledgement.due_at, Acknowledgement.id)
        )
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return self.session.scalars(query).all()

    def unsent_acknowledgements_of_superseded(
        self, by_application: int
    ) -> Sequence[Acknowledgement]:
        return self.session.scalars(
            select(Acknowledgement)
            .join(Acknowledgement.application)
            .where(
                Application.superseded_by_id == by_application,
                Acknowledgement.status.in_(sorted(CANCELLABLE)),
            )
        ).all()

    # -- cutoffs ----------------------------------------------------------------------------
    def cutoffs(self, term_id: int | None = None) -> Sequence[TermCutoff]:
        query = select(TermCutoff).order_by(TermCutoff.term_id, TermCutoff.version)
        if term_id is not None:
            query = query.where(TermCutoff.term_id == term_id)
        return self.session.scalars(query).all()

    def cutoff_for(self, term_id: int, closes_at: datetime) -> TermCutoff | None:
        return self.session.scalars(
            select(TermCutoff).where(
                TermCutoff.term_id == term_id, TermCutoff.closes_at == closes_at
            )
        ).one_or_none()
