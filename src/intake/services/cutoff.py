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

from intake.adapters.mailcompose import build_message, message_bytes, new_message_id, render
from intake.adapters.orm import Application, TermCutoff
from intake.adapters.roster import RosterRow, write_roster
from intake.adapters.smtp import SendOutcome, SmtpSender
from intake.config import Settings
from intake.domain.model import TOKYO, Term
from intake.services.acks import reference_number
from intake.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class UnknownTerm(Exception):
    pass


@dataclass(frozen=True)
class CutoffResult:
    status: str  # "not_due" | "already_done" | "done"
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
    sweep: Callable[[], object],
    sender_factory: Callable[[], SmtpSender] | None,
) -> CutoffResult:
    term = term_by_id(settings, term_id)
    if now < term.closes_at:
        return CutoffResult("not_due", term)
    with uow:
        existing = uow.repo.cutoff_for(term.id, term.closes_at)
        if existing is not None:
            note = _retry_summary(settings, uow, existing, term, sender_factory)
            return CutoffResult("already_done", term, existing, note)
        previous = len(uow.repo.cutoffs(term.id))

    # Mail that reached the server before the deadline counts: take it in before closing.
    sweep()

    with uow:
        applications = [a for a in uow.repo.applications(term.id) if a.status == "accepted"]
        version = previous + 1
        path = settings.exports_dir / f"第{term.id}期_受講申込者一覧_v{version}.xlsx"
        write_roster(path, f"{term.name}（v{version}）", [_roster_row(a) for a in applications])
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
        return CutoffResult("done", term, cutoff, note)


def _roster_row(application: Application) -> RosterRow:
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
    )


def _summary(uow: UnitOfWork, term: Term, applications: list[Application]) -> dict[str, object]:
    eligibility = Counter(a.eligibility for a in applications)
    reasons: Counter[str] = Counter()
    messages: dict[str, str] = {}
    for rejection in uow.repo.rejections("open"):
        if term.contains(rejection.message.received_at) or term.id in rejection.message.term_ids:
            for r in rejection.reasons:
                reasons[r.code] += 1
                messages.setdefault(r.code, r.message)
    return {
        "accepted": len(applications),
        "capacity": term.capacity,
        "over_capacity": len(applications) > term.capacity,
        "eligibility": {
            k: eligibility.get(k, 0) for k in ("eligible", "ineligible", "needs_review")
        },
        "rejections": [
            {"code": code, "count": count, "message": messages[code]}
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
    failures: list[str] = []
    try:
        with sender_factory() as sender:
            for recipient in recipients:
                message = build_message(
                    from_address=settings.smtp.from_address,
                    from_name=settings.smtp.from_name,
                    to=recipient,
                    subject=f"【intake】{term.name} 締切集計（v{cutoff.version}）",
                    text_body=body,
                    html_body=None,
                    charset="utf-8",
                    in_reply_to=None,
                    references=None,
                    reply_to=None,
                    message_id=new_message_id(settings.smtp.from_address),
                    auto_submitted=True,
                )
                result = sender.send(
                    message_bytes(message), sender=settings.smtp.from_address, recipient=recipient
                )
                if result.outcome is not SendOutcome.SENT:
                    failures.append(f"{recipient}: {result.detail}")
    except Exception as exc:  # the cutoff itself is done; the summary is retried next run
        failures.append(f"{type(exc).__name__}: {exc}")
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
