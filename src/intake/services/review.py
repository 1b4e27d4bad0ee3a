"""Operator actions on the rejection log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from intake.adapters.filestore import FileStore
from intake.adapters.orm import Message, Rejection, RejectionReason
from intake.config import Settings
from intake.domain.labels import RESOLUTION_LABELS, label
from intake.domain.lifecycle import RejectionStatus, Resolution, resolve
from intake.domain.model import Outcome, Term, open_terms
from intake.domain.submissions import ApplicantKey, supersession
from intake.domain.text import name_key, storable_text
from intake.services import audit
from intake.services.applications import current_snapshot, force_application, judge_application
from intake.services.errors import NotFound
from intake.services.ingest import decide_message, parse_stored, refresh_from_parsed
from intake.services.unit_of_work import UnitOfWork


def resolve_rejection(uow: UnitOfWork, rejection_id: int, *, note: str, operator: str) -> bool:
    """Close a rejection by hand. Returns False when it was already resolved (nothing changes)."""
    with uow:
        rejection = uow.repo.rejection(rejection_id)
        if rejection is None:
            raise NotFound(f"不備記録 {rejection_id} は存在しません")
        if rejection.status is RejectionStatus.RESOLVED:
            return False
        resolve(rejection, Resolution.OPERATOR, operator, note, at=datetime.now(UTC))
        audit.record(
            uow,
            operator=operator,
            action="rejection.resolve",
            target=f"rejection:{rejection.id}",
            note=note,
        )
        uow.commit()
        return True


class ReviewError(Exception):
    """An operator action that cannot be done; the message says why, in Japanese."""


class AlreadyResolved(ReviewError):
    """Nothing to do: the rejection was closed (perhaps by another action in the same batch)."""


def _get_open(uow: UnitOfWork, rejection_id: int) -> Rejection:
    rejection = uow.repo.rejection(rejection_id)
    if rejection is None:
        raise NotFound(f"不備記録 {rejection_id} は存在しません")
    if rejection.status is not RejectionStatus.OPEN:
        raise AlreadyResolved(
            f"不備記録 {rejection_id} はすでに対応済みです"
            f"（{label(RESOLUTION_LABELS, rejection.resolution)}）"
        )
    return rejection


def _refuse_if_newer_application(
    uow: UnitOfWork, message: Message, term_ids: Iterable[int]
) -> None:
    """An operator action on an older mail must not displace the applicant's newer application
    (it would not replace it either: it would be recorded as superseded at once)."""
    if message.from_address is None or message.applicant_name is None:
        return
    key = ApplicantKey(frozenset(term_ids), message.applicant_name, message.from_address)
    current = uow.repo.current_applications_named(name_key(message.applicant_name))
    newer = supersession(key, message.received_at, [current_snapshot(a) for a in current])
    if newer.superseded_by is not None:
        raise ReviewError(
            f"この申込者には、より新しい申込（申込 {newer.superseded_by.application_id}）が"
            "すでにあります。古いメールを受け付けると置き換わってしまうため、何もしていません"
        )


@dataclass(frozen=True)
class Reprocessed:
    rejection_id: int
    outcome: Outcome
    old_codes: tuple[str, ...]
    new_codes: tuple[str, ...]
    application_id: int | None


def reprocess(
    uow: UnitOfWork,
    store: FileStore,
    settings: Settings,
    rejection_id: int,
    *,
    operator: str,
    note: str | None = None,
) -> Reprocessed:
    """Run the pipeline again on the stored raw message, with today's config and rules.

    Passes → the rejection is resolved ("reprocessed") and the message gets the new outcome;
    still fails → it stays open with the new reasons. The audit trail keeps the old ones.
    """
    with uow:
        rejection = _get_open(uow, rejection_id)
        message = rejection.message
        old = [(r.code, r.message) for r in rejection.reasons]
        parsed = parse_stored(store, settings, message.raw_path, message.size)
        decision = decide_message(parsed, settings, message.received_at, message.size)
        refresh_from_parsed(message, store, parsed, decision)
        uow.session.flush()
        _refuse_if_newer_application(uow, message, message.term_ids)
        outcome, reasons, application_id = decision.outcome, list(decision.reasons), None
        if outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
            judged = judge_application(
                uow, store, settings, message, decision, [a.payload for a in parsed.attachments]
            )
            outcome, reasons = judged.outcome, judged.reasons
            application_id = judged.application.id if judged.application else None
        if outcome is Outcome.ACCEPTED and application_id is None:
            raise ReviewError("判定は通りましたが申込を作れませんでした。内容を確認してください")
        if outcome is Outcome.REJECTED:
            rejection.reasons = [
                RejectionReason(position=i, code=r.code.value, message=storable_text(r.message))
                for i, r in enumerate(reasons)
            ]
        else:
            message.outcome = outcome.value
            resolve(rejection, Resolution.REPROCESSED, operator, note, at=datetime.now(UTC))
        message.notes = [
            *message.notes,
            f"再処理（{operator}）: {', '.join(c for c, _ in old)} → "
            f"{', '.join(r.code.value for r in reasons) or outcome.value}",
        ]
        audit.record(
            uow,
            operator=operator,
            action="rejection.reprocess",
            target=f"rejection:{rejection.id}",
            note=note,
            old_reasons=[{"code": c, "message": m} for c, m in old],
            new_outcome=outcome.value,
            new_reasons=[{"code": r.code.value, "message": r.message} for r in reasons],
            application_id=application_id,
        )
        uow.commit()
        return Reprocessed(
            rejection.id,
            outcome,
            tuple(c for c, _ in old),
            tuple(r.code.value for r in reasons),
            application_id,
        )


def accept(
    uow: UnitOfWork,
    store: FileStore,
    settings: Settings,
    rejection_id: int,
    *,
    operator: str,
    note: str,
    term_id: int | None = None,
) -> int:
    """Operator override: the rejected message becomes an application with an acknowledgement."""
    with uow:
        rejection = _get_open(uow, rejection_id)
        message = rejection.message
        if message.from_address is None and message.applicant_name is None:
            # Without a usable sender the acknowledgement is refused, but the applicant needs
            # a name: the subject's, or failing that the address.
            raise ReviewError(
                "件名の氏名も差出人のアドレスも分からないため、申込として受け付けられません"
            )
        term = _term_for(settings, message.received_at, message.term_ids, term_id)
        _refuse_if_newer_application(uow, message, [term.id])
        parsed = parse_stored(store, settings, message.raw_path, message.size)
        if len(parsed.attachments) != len(message.attachments):
            decision = decide_message(parsed, settings, message.received_at, message.size)
            refresh_from_parsed(message, store, parsed, decision)
            uow.session.flush()
        name = message.applicant_name or message.from_address or ""
        application = force_application(
            uow,
            settings,
            message,
            [a.payload for a in parsed.attachments],
            name=name,
            term=term,
            original_reasons=[r.code for r in rejection.reasons],
        )
        message.outcome = Outcome.ACCEPTED.value
        resolve(rejection, Resolution.ACCEPTED, operator, note, at=datetime.now(UTC))
        audit.record(
            uow,
            operator=operator,
            action="rejection.accept",
            target=f"rejection:{rejection.id}",
            note=note,
            reasons=[r.code for r in rejection.reasons],
            application_id=application.id,
        )
        uow.commit()
        return application.id


def _term_for(
    settings: Settings, received_at: datetime, term_ids: list[int], wanted: int | None
) -> Term:
    if wanted is not None:
        for term in settings.terms:
            if term.id == wanted:
                return term
        raise ReviewError(f"第{wanted}期（id = {wanted}）は設定ファイルにありません")
    candidates = [t for t in settings.terms if t.id in term_ids] or open_terms(
        settings.terms, received_at
    )
    if len(candidates) == 1:
        return candidates[0]
    raise ReviewError("どの期の申込か決められません。--term で期を指定してください")
