"""Database tables (SQLAlchemy 2, typed declarative). Alembic migrations mirror this module."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect, Engine, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from intake.domain.eligibility import EligibilityStatus
from intake.domain.lifecycle import (
    ApplicationStatus,
    RejectionStatus,
    Resolution,
    SendStatus,
    ServerState,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite keeps no offset, so normalise on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumString(TypeDecorator[E]):
    """A lifecycle state stored as its plain string value (the column stays VARCHAR, so the
    stored values are what they always were) and read back as the enum."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 20) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class MailboxState(Base):
    """Per account+folder: the UIDVALIDITY in force and the highest UID taken in."""

    __tablename__ = "mailbox_states"
    __table_args__ = (UniqueConstraint("account", "folder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    highest_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_poll_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Message(Base):
    """One received message, stored before anything is done to it on the server."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account", "folder", "uidvalidity", "uid"),
        Index("ix_messages_message_id_sha256", "message_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Where it came from: an IMAP account+folder, or "file" for `intake ingest`.
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # sha256 of the body alone: the same mail delivered twice differs in its Received headers.
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    raw_path: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_display: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    applicant_name: Mapped[str | None] = mapped_column(String(255))
    # The names the 受講申込書 gave, where it could be read: found by the search box.
    name_kanji: Mapped[str | None] = mapped_column(String(255))
    name_kana: Mapped[str | None] = mapped_column(String(255))
    term_ids: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[list[Any]] = mapped_column(default=list)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    # The application this message created, superseded or supplemented.
    # use_alter: messages and applications refer to each other.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", use_alter=True), index=True
    )
    # pending: stored, not yet marked on the server; done: keyword set or moved.
    server_state: Mapped[ServerState] = mapped_column(
        EnumString(ServerState), default=ServerState.PENDING, index=True
    )
    server_marked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.position", cascade="all, delete-orphan"
    )
    rejection: Mapped[Rejection | None] = relationship(
        back_populates="message", cascade="all, delete-orphan", foreign_keys="Rejection.message_pk"
    )


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(Text)  # decoded, as sent; never used as a path
    content_type: Mapped[str] = mapped_column(String(255))
    doc_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(255))
    # The application this document belongs to (a supplement adds documents to an earlier one).
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)

    message: Mapped[Message] = relationship(back_populates="attachments")


class Rejection(Base):
    """The rejection log entry for a rejected message, reviewed by operators."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    status: Mapped[RejectionStatus] = mapped_column(
        EnumString(RejectionStatus), default=RejectionStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[Resolution | None] = mapped_column(EnumString(Resolution))
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    # The later mail that completed this submission (resolution "supplemented").
    supplemented_by_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    message: Mapped[Message] = relationship(back_populates="rejection", foreign_keys=[message_pk])
    reasons: Mapped[list[RejectionReason]] = relationship(
        back_populates="rejection",
        order_by="RejectionReason.position",
        cascade="all, delete-orphan",
    )


class RejectionReason(Base):
    __tablename__ = "rejection_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rejection_pk: Mapped[int] = mapped_column(ForeignKey("rejections.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)

    rejection: Mapped[Rejection] = relationship(back_populates="reasons")


class Applicant(Base):
    """A person, recognised by the normalised romaji name and the sender address."""

    __tablename__ = "applicants"
    __table_args__ = (UniqueConstraint("name_key", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_key: Mapped[str] = mapped_column(String(255))
    name_romaji: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Application(Base):
    """One application for one term; a resubmission supersedes the earlier one."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    term_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[ApplicationStatus] = mapped_column(EnumString(ApplicationStatus), index=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id"))  # the first mail
    received_at: Mapped[datetime]  # when the first mail of the submission arrived
    completed_at: Mapped[datetime]  # when its last missing document arrived
    name_romaji: Mapped[str] = mapped_column(String(255))
    name_kanji: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))  # the sender: acknowledgements go here
    eligibility: Mapped[EligibilityStatus] = mapped_column(EnumString(EligibilityStatus))
    eligibility_explanation: Mapped[str] = mapped_column(Text)
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)  # 様式1 as FORMS.md field names
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    applicant: Mapped[Applicant] = relationship()
    source_message: Mapped[Message] = relationship(foreign_keys=[message_pk])
    experience: Mapped[list[ExperienceRow]] = relationship(
        back_populates="application",
        order_by="ExperienceRow.position",
        cascade="all, delete-orphan",
    )
    attachments: Mapped[list[Attachment]] = relationship(
        foreign_keys="Attachment.application_id", order_by="Attachment.id"
    )
    acknowledgements: Mapped[list[Acknowledgement]] = relationship(
        back_populates="application", order_by="Acknowledgement.id"
    )


class ExperienceRow(Base):
    """One row of the 実務経験申告書 as read."""

    __tablename__ = "experience_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sheet_row: Mapped[int] = mapped_column(Integer)
    no: Mapped[int | None] = mapped_column(Integer)
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    ongoing: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation: Mapped[str | None] = mapped_column(Text)
    window_name: Mapped[str | None] = mapped_column(Text)
    employment_type: Mapped[str | None] = mapped_column(String(40))
    days_worked: Mapped[int | None] = mapped_column(Integer)
    duties: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="experience")


class Acknowledgement(Base):
    """The 受付完了 mail of one application: the outbox row that makes sending exactly-once
    where SMTP allows it, and never silent where it does not."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    due_at: Mapped[datetime] = mapped_column(index=True)
    # pending → claimed → sending → sent; or held / failed / cancelled (domain.lifecycle).
    status: Mapped[SendStatus] = mapped_column(EnumString(SendStatus), index=True)
    message_id: Mapped[str | None] = mapped_column(String(998))  # recorded before sending
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="acknowledgements")


class TermCutoff(Base):
    """One run of a term's deadline cutoff, for the deadline in force when it ran.

    Running again for the same deadline does nothing; an extended deadline gets its own run
    and a new roster version.
    """

    __tablename__ = "term_cutoffs"
    __table_args__ = (UniqueConstraint("term_id", "closes_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term_id: Mapped[int] = mapped_column(Integer, index=True)
    closes_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    roster_path: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary_sent_at: Mapped[datetime | None]
    summary_note: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Who did what to which record, when, and why: every operator action leaves one."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    operator: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "rejection.reprocess"
    target: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "rejection:12"
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Notice(Base):
    """A deficiency notice (不備のご連絡) sent to an applicant about a rejection."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rejection_id: Mapped[int] = mapped_column(ForeignKey("rejections.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(998))
    # sending → sent | failed | held (result unknown), as acknowledgements (domain.lifecycle)
    status: Mapped[SendStatus] = mapped_column(EnumString(SendStatus), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class User(Base):
    """Someone who logs in to the web console: an operator (acts) or a viewer (reads)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # normalised, lower case
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """A login: the cookie carries a random token, only its sha256 is stored here.

    Idle expiry is enforced from ``last_seen_at`` on the server, so a cookie kept by a browser
    is worthless once the session ended, expired or its user was disabled.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    # logout | expired | disabled | password_changed
    end_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Every login attempt, kept so that lockouts hold across restarts and processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(255), index=True)  # as typed, normalised
    client_address: Mapped[str] = mapped_column(String(64), index=True)
    result: Mapped[str] = mapped_column(String(20))  # success | failure | refused


# The selection's tables live in a module of their own, registered on Base by this import.
from intake.adapters import orm_selection  # noqa: E402, F401


def make_engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL + synchronous=FULL: a committed row survives a power cut, which the
    # "stored before marked on the server" promise depends on.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
