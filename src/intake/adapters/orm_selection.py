"""The selection's tables (受講生の決定): prepared workbooks, decisions, decision notices and
the notice date's alert mail. Registered on :class:`intake.adapters.orm.Base`, which imports
this module, so the metadata (and Alembic) always has them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.adapters.orm import Application, Base, EnumString, utcnow
from intake.domain.lifecycle import Decision, SendStatus


class SelectionWorkbook(Base):
    """A workbook `intake selection prepare` wrote: the hidden id in it names this row, and the
    checksum of its application ids (a set, so sorting in Excel does not matter)."""

    __tablename__ = "selection_workbooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    term_id: Mapped[int] = mapped_column(Integer, index=True)
    checksum: Mapped[str] = mapped_column(String(64))
    application_ids: Mapped[list[Any]] = mapped_column(default=list)
    path: Mapped[str] = mapped_column(Text)
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    prepared_by: Mapped[str] = mapped_column(String(255))


class DecisionRecord(Base):
    """The agency's decision on one application, as last imported (the audit trail keeps
    every change)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    term_id: Mapped[int] = mapped_column(Integer, index=True)
    decision: Mapped[Decision] = mapped_column(EnumString(Decision))
    workbook_id: Mapped[int | None] = mapped_column(ForeignKey("selection_workbooks.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(255))

    application: Mapped[Application] = relationship()


class DecisionNotice(Base):
    """A 受講決定のお知らせ or 選考結果のお知らせ: an outbox row under the acknowledgements'
    lifecycle (never sent twice; unknown fate → held), to the 受講申込書's address."""

    __tablename__ = "decision_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    term_id: Mapped[int] = mapped_column(Integer, index=True)
    decision: Mapped[Decision] = mapped_column(EnumString(Decision))  # what it tells
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)  # as sent (composed just before sending)
    message_id: Mapped[str | None] = mapped_column(String(998))  # recorded before sending
    status: Mapped[SendStatus] = mapped_column(EnumString(SendStatus), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    application: Mapped[Application] = relationship()


class SelectionAlert(Base):
    """The mail to the operators on a term's notice date while a 決定 is unsent: once per term
    and date (a failed recipient is tried again; who got it is kept)."""

    __tablename__ = "selection_alerts"
    __table_args__ = (UniqueConstraint("term_id", "notice_by"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term_id: Mapped[int] = mapped_column(Integer)
    notice_by: Mapped[date] = mapped_column(Date)
    sent_to: Mapped[list[Any]] = mapped_column(default=list)
    sent_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
