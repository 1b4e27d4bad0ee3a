"""Who is the same applicant, and what a new submission does to the earlier ones.

Pure rules over small snapshots of the records (the service layer builds them from rows and
applies the answers):

- the **applicant key**: when two submissions come from the same person;
- which open rejection a mail carrying only documents completes (a *supplement*);
- which application supersedes which, so a submission begun earlier but completed later
  never replaces a newer application;
- which incomplete submissions a complete application closes, never a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from intake.domain.model import DocType, ReasonCode
from intake.domain.text import name_key, normalize

# Reasons a later mail with the missing documents can cure.
MISSING_CODES = frozenset(
    {
        ReasonCode.MISSING_APPLICATION_FORM,
        ReasonCode.MISSING_EXPERIENCE_SHEET,
        ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE,
        ReasonCode.MISSING_QUALIFICATION_PROOF,
    }
)
# The document each missing-document reason asks for. A qualification proof, which stands in
# for the experience sheet and is what MISSING_QUALIFICATION_PROOF asks for, is a supporting
# document: those are welcome in any supplement, so they need no entry here.
_ASKS_FOR: dict[ReasonCode, DocType] = {
    ReasonCode.MISSING_APPLICATION_FORM: DocType.APPLICATION_FORM,
    ReasonCode.MISSING_EXPERIENCE_SHEET: DocType.EXPERIENCE_SHEET,
    ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE: DocType.EMPLOYMENT_CERTIFICATE,
}
SUPPORTING = frozenset({DocType.EXPERIENCE_PROOF, DocType.QUALIFICATION_PROOF})


def address_key(address: str | None) -> str | None:
    """An e-mail address as compared: width-folded, trimmed, case-insensitive; "" is none."""
    if address is None:
        return None
    folded = normalize(address).casefold()
    return folded or None


@dataclass(frozen=True)
class ApplicantKey:
    """What tells one applicant from another, for one submission.

    Two submissions are the same applicant's (:func:`same_applicant`) when they are for the
    same term, carry the same romaji name (:func:`intake.domain.text.name_key`), and were sent
    from the same address *or* give the same e-mail address in the 受講申込書. People apply
    from the office and again from home, or the other way round; the form's address is the one
    they chose to be reached at. A key only matches: it is not an identity (A may match B by
    sender and B match C by form address while A and C do not match).
    """

    term_ids: frozenset[int]  # a rejected mail may fit more than one term; an application one
    name: str  # the romaji name as written
    sender: str | None  # the From address
    form_email: str | None = None  # the 受講申込書's e-mail field, when a form was read

    @property
    def name_key(self) -> str:
        return name_key(self.name)


def same_applicant(a: ApplicantKey, b: ApplicantKey) -> bool:
    """Same term, same normalised romaji name, and the same sender or the same form e-mail."""
    if not a.term_ids & b.term_ids or a.name_key != b.name_key:
        return False
    return _same_address(a.sender, b.sender) or _same_address(a.form_email, b.form_email)


def same_name_only(a: ApplicantKey, b: ApplicantKey) -> bool:
    """Same term and romaji name, but neither address agrees: perhaps the same person applying
    twice, perhaps two people of one name. A person must look; intake merges nothing."""
    return bool(a.term_ids & b.term_ids) and a.name_key == b.name_key and not same_applicant(a, b)


def _same_address(a: str | None, b: str | None) -> bool:
    first, second = address_key(a), address_key(b)
    return first is not None and first == second


# -- snapshots ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenSubmission:
    """An open rejection: what was received, from whom, and why it was not accepted."""

    rejection_id: int
    message_id: int  # the record of the rejected mail
    key: ApplicantKey
    received_at: datetime
    codes: frozenset[str]  # reason codes as stored (a future version may know more)

    @property
    def incomplete(self) -> bool:
        """Only documents are missing: a later mail can complete it."""
        return bool(self.codes) and self.codes <= MISSING_CODES


@dataclass(frozen=True)
class CurrentApplication:
    application_id: int
    key: ApplicantKey
    received_at: datetime  # when the first mail of the submission arrived


# -- supplements --------------------------------------------------------------------------------
def documents_a_supplement_may_bring(codes: Iterable[str]) -> frozenset[DocType]:
    """What a mail completing a rejection with these reasons may carry: the documents asked
    for, and supporting documents (proofs) at any time."""
    asked = {_ASKS_FOR[ReasonCode(c)] for c in codes if c in _ASKS_FOR}
    return frozenset(asked) | SUPPORTING


def completed_submission(
    mail: ApplicantKey,
    message_id: int,
    documents: Iterable[DocType],
    open_submissions: Iterable[OpenSubmission],
) -> OpenSubmission | None:
    """The applicant's latest incomplete submission that a mail carrying ``documents`` (and
    missing documents only) completes; None when it is a submission of its own.

    A mail never completes itself (a reprocessed one), nor a submission of another term.
    """
    brought = frozenset(documents)
    if not brought:
        return None
    candidates = [
        s
        for s in open_submissions
        if s.message_id != message_id
        and s.incomplete
        and same_applicant(mail, s.key)
        and brought <= documents_a_supplement_may_bring(s.codes)
    ]
    return max(candidates, key=lambda s: (s.received_at, s.rejection_id), default=None)


# -- applications -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Supersession:
    """What a new application does to the same term's current applications."""

    # A newer current application of the same applicant: the new one is superseded by it at
    # once (a submission begun earlier but completed later never replaces a newer one).
    superseded_by: CurrentApplication | None
    # The same applicant's current applications the new one replaces (none if superseded_by).
    replaces: tuple[CurrentApplication, ...]
    # Same name and term but neither address agrees: flagged for a person, not merged.
    same_name_elsewhere: tuple[CurrentApplication, ...]


def supersession(
    new: ApplicantKey, received_at: datetime, current: Sequence[CurrentApplication]
) -> Supersession:
    """Decide between a new application (its first mail ``received_at``) and the current ones.

    The application whose submission began last is the applicant's current one; between two
    that began at the same instant, the one recorded later wins.
    """
    mine = [a for a in current if same_applicant(new, a.key)]
    elsewhere = tuple(a for a in current if same_name_only(new, a.key))
    newer = [a for a in mine if a.received_at > received_at]
    if newer:
        latest = max(newer, key=lambda a: (a.received_at, a.application_id))
        return Supersession(latest, (), elsewhere)
    return Supersession(None, tuple(mine), elsewhere)


def closed_by(
    application: ApplicantKey,
    own_messages: Iterable[int],
    completed_at: datetime,
    open_submissions: Iterable[OpenSubmission],
) -> list[OpenSubmission]:
    """The incomplete submissions a complete application makes moot, so a late supplement
    cannot revive an older one.

    ``own_messages`` are the mails the application was made from; ``completed_at`` is when
    its last document arrived. A submission received after that is newer than the application
    and stays open: it may yet become the applicant's current application.
    """
    own = set(own_messages)
    return [
        s
        for s in open_submissions
        if s.message_id not in own
        and s.incomplete
        and same_applicant(application, s.key)
        and s.received_at <= completed_at
    ]
