"""A term's deadline cutoff: final sweep, roster, summary to the operators — once per deadline.

Run by the daemon at each term's closes_at and by `intake cutoff` from cron. The cutoff is
recorded per (term, deadline): running it again for the same deadline does nothing more
(except retrying a summary mail that could not be sent); extending the deadline in the config
reopens the term, and its next cutoff writes a new roster version.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from intake.adapters.mailcompose import render
from intake.adapters.orm import Application, TermCutoff
from intake.adapters.roster import write_roster
from intake.adapters.smtp import SmtpSender
from intake.config import Settings
from intake.domain.eligibility import EligibilityStatus
from intake.domain.labels import REASON_LABELS
from intake.domain.lifecycle import ApplicationStatus, RejectionStatus
from intake.domain.model import TOKYO, ReasonCode, Term
from intake.services.exports import roster_row
from intake.services.operator_mail import mail_operators
from intake.services.poll import PollReport
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class UnknownTerm(Exception):
    pass


class CutoffIncomplete(Exception):
    """The final sweep did not take everything in; nothing was recorded."""


class CutoffRun(StrEnum):
    """What one call of :func:`run_cutoff` did."""

    NOT_DUE = "not_due"  # before the deadline: nothing
    ALREADY_DONE = "already_done"  # this deadline's cutoff ran before (its summary retried)
    DONE = "done"


@dataclass(frozen=True)
class CutoffResult:
    status: CutoffRun
    term: Term
    cutoff: TermCutoff | None = None
    summary_note: str | None = None


def term_by_id(settings: Settings, term_id: int) -> Term:
    for term in settings.terms:
        if term.id == term_id:
            return term
    raise UnknownTerm(f"第{term_id}期（id = {term_id}）は設定ファイルにありません")


def run_cutoff(
    settings: Settings,
    uow: UnitOfWork,
    *,
    term_id: int,
    now: datetime,
    sweep: Callable[[], PollReport],
    sender_factory: Callable[[], SmtpSender] | None,
) -> CutoffResult:
    term = term_by_id(settings, term_id)
    if now < term.closes_at:
        return CutoffResult(CutoffRun.NOT_DUE, term)
    with uow:
        existing = uow.repo.cutoff_for(term.id, term.closes_at)
        if existing is not None:
            note = _retry_summary(settings, uow, existing, term, sender_factory)
            return CutoffResult(CutoffRun.ALREADY_DONE, term, existing, note)
        previous = len(uow.repo.cutoffs(term.id))

    # Mail that reached the server before the deadline counts: take it in before closing.
    report = sweep()
    if report.failed or report.mark_failures or report.interrupted:
        # A roster without the mail that could not be recorded would be wrong, and the run
        # would count as done: stop here; the next run tries again.
        raise CutoffIncomplete(
            "締切前の最後の取り込みが完了しなかったため、締切処理を中止しました"
            f"（記録できなかったメール {len(report.failed)} 件）。"
            "原因を確かめて再実行してください。"
        )

    with uow:
        applications = [
            a for a in uow.repo.applications(term.id) if a.status is ApplicationStatus.ACCEPTED
        ]
        version = previous + 1
        path = settings.exports_dir / f"第{term.id}期_受講申込者一覧_v{version}.xlsx"
        write_roster(path, f"{term.name}（v{version}）", [roster_row(a) for a in applications])
        cutoff = TermCutoff(
            term_id=term.id,
            closes_at=term.closes_at,
            version=version,
            ran_at=datetime.now(UTC),
            roster_path=str(path),
            summary=_summary(uow, term, applications),
        )
        uow.repo.add(cutoff)
        uow.commit()
        note = _send_summary(settings, uow, cutoff, term, sender_factory)
        return CutoffResult(CutoffRun.DONE, term, cutoff, note)


def _summary(uow: UnitOfWork, term: Term, applications: list[Application]) -> dict[str, object]:
    eligibility = Counter(a.eligibility for a in applications)
    reasons: Counter[str] = Counter()

    for rejection in uow.repo.rejections(RejectionStatus.OPEN):
        if term.contains(rejection.message.received_at) or term.id in rejection.message.term_ids:
            for r in rejection.reasons:
                reasons[r.code] += 1
    return {
        "accepted": len(applications),
        "capacity": term.capacity,
        "over_capacity": len(applications) > term.capacity,
        "eligibility": {k.value: eligibility.get(k, 0) for k in EligibilityStatus},
        "rejections": [
            {"code": code, "count": count, "label": REASON_LABELS.get(ReasonCode(code), code)}
            for code, count in reasons.most_common()
        ],
    }


def _send_summary(
    settings: Settings,
    uow: UnitOfWork,
    cutoff: TermCutoff,
    term: Term,
    sender_factory: Callable[[], SmtpSender] | None,
) -> str | None:
    recipients = settings.cutoff.notify
    if not recipients:
        return "通知先（[cutoff] notify）が設定されていないため、集計メールは送っていません。"
    if settings.smtp is None or sender_factory is None:
        return "SMTP が設定されていないため、集計メールは送っていません。"
    body = render(
        "cutoff_summary.txt.j2",
        {
            "term_name": term.name,
            "opens_at": term.opens_at.astimezone(TOKYO),
            "closes_at": term.closes_at.astimezone(TOKYO),
            "ran_at": cutoff.ran_at.astimezone(TOKYO),
            "roster_path": cutoff.roster_path,
            "version": cutoff.version,
            **cutoff.summary,
        },
        custom_dir=settings.custom_templates_dir,
    )
    mailing = mail_operators(
        settings,
        sender_factory,
        recipients,
        subject=f"【intake】{term.name} 締切集計（第{cutoff.version}版）",
        body=body,
        already=[str(r) for r in cutoff.summary.get("sent_to", [])],
    )
    failures, sent_to = mailing.failures, mailing.sent_to
    cutoff.summary = {**cutoff.summary, "sent_to": sent_to}  # a new dict: JSON is saved whole
    note = "集計メールを送れませんでした: " + "; ".join(failures) if failures else None
    cutoff.summary_note = note
    if not failures:
        cutoff.summary_sent_at = datetime.now(UTC)
    uow.commit()
    return note


def _retry_summary(
    settings: Settings,
    uow: UnitOfWork,
    cutoff: TermCutoff,
    term: Term,
    sender_factory: Callable[[], SmtpSender] | None,
) -> str | None:
    if cutoff.summary_sent_at is not None or not settings.cutoff.notify:
        return None
    return _send_summary(settings, uow, cutoff, term, sender_factory)
