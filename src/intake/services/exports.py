"""Exports for the secretariat: a term's applications and the rejection log as .xlsx or CSV.

The roster rows are built here for both the cutoff's roster and `intake export applications`.
Every export is recorded in the audit trail: the files hold applicants' personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from intake.adapters.exports import Column, Format, guess_format, write_table
from intake.adapters.orm import Application, Rejection
from intake.adapters.roster import RosterRow, write_roster_table
from intake.domain.labels import REJECTION_STATUS_LABELS, RESOLUTION_LABELS, label
from intake.domain.lifecycle import ApplicationStatus, RejectionStatus
from intake.domain.model import Term
from intake.services import audit
from intake.services.acks import reference_number
from intake.services.unit_of_work import UnitOfWork

REJECTION_COLUMNS: tuple[Column, ...] = (
    Column("番号", 8, "id"),
    Column("受信日時", 18, "datetime"),
    Column("差出人", 28),
    Column("件名", 36),
    Column("理由コード", 30, "wrap"),
    Column("理由", 60, "wrap"),
    Column("状態", 10),
    Column("対応区分", 18),
    Column("対応日時", 18, "datetime"),
    Column("対応者", 14),
    Column("対応メモ", 40, "wrap"),
)


def resolve_format(path: Path, asked: str | None) -> Format:
    """The format asked for (``xlsx`` or ``csv``), else the one the file name suggests."""
    if asked == "csv":
        return "csv"
    if asked == "xlsx":
        return "xlsx"
    return guess_format(path)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    fmt: Format
    rows: int


def roster_row(application: Application) -> RosterRow:
    """One application as a roster row (the cutoff's roster and the applications export)."""
    form = application.form
    acks = sorted(application.acknowledgements, key=lambda a: a.id)
    latest = acks[-1] if acks else None
    return RosterRow(
        application_id=application.id,
        reference=reference_number(application),
        name_kanji=application.name_kanji,
        name_romaji=application.name_romaji,
        email=application.email,
        org_name=form.get("org_name"),
        window_name=form.get("window_name"),
        prefecture=form.get("prefecture"),
        operator_type=form.get("operator_type"),
        is_one_stop_center=form.get("is_one_stop_center"),
        annual_consultations=form.get("annual_consultations"),
        annual_open_days=form.get("annual_open_days"),
        role=form.get("role"),
        eligibility=application.eligibility,
        received_at=application.received_at,
        completed_at=application.completed_at,
        ack_status=latest.status if latest else None,
        ack_sent_at=latest.sent_at if latest else None,
        status=application.status,
    )


def rejection_cells(rejection: Rejection) -> list[object]:
    message = rejection.message
    return [
        rejection.id,
        message.received_at,
        message.from_address,
        message.subject,
        "\n".join(r.code for r in rejection.reasons),
        "\n".join(r.message for r in rejection.reasons),
        label(REJECTION_STATUS_LABELS, rejection.status),
        label(RESOLUTION_LABELS, rejection.resolution) or None,
        rejection.resolved_at,
        rejection.resolved_by,
        rejection.note,
    ]


def export_applications(
    uow: UnitOfWork,
    term: Term,
    path: Path,
    fmt: Format,
    *,
    include_superseded: bool,
    operator: str,
) -> ExportResult:
    """Write the term's applications (current ones; with ``include_superseded``, all)."""
    with uow:
        applications: Sequence[Application] = uow.repo.applications(term.id)
        if not include_superseded:
            applications = [a for a in applications if a.status is ApplicationStatus.ACCEPTED]
        title = f"{term.name} 受講申込者一覧"
        count = write_roster_table(
            path,
            title,
            (roster_row(a) for a in applications),
            fmt,
            with_status=True,
        )
        audit.record(
            uow,
            operator=operator,
            action="export.applications",
            target=f"term:{term.id}",
            path=str(path),
            format=fmt,
            rows=count,
            include_superseded=include_superseded,
        )
        uow.commit()
    return ExportResult(path, fmt, count)


def export_rejections(
    uow: UnitOfWork, path: Path, fmt: Format, *, status: RejectionStatus | None, operator: str
) -> ExportResult:
    """Write the rejection log (``status``: open or resolved; None: all)."""
    scope = status.value if status is not None else "all"
    with uow:
        rejections = uow.repo.rejections(status)
        count = write_table(
            path, "不備ログ", REJECTION_COLUMNS, (rejection_cells(r) for r in rejections), fmt
        )
        audit.record(
            uow,
            operator=operator,
            action="export.rejections",
            target=f"rejections:{scope}",
            path=str(path),
            format=fmt,
            rows=count,
            status=scope,
        )
        uow.commit()
    return ExportResult(path, fmt, count)
