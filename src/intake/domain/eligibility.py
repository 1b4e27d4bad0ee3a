"""Eligibility for the training (受講資格): current post, role and recent experience.

The published rule: an applicant is eligible when

1. they currently work at a foreign-resident consultation window run by a local government
   or by an organisation commissioned by one (``operator_type`` in ELIGIBLE_OPERATOR_TYPES);
2. they do so as a consultant or as someone advising consultants (``role`` in ROLES);
3. within the 5 years before the training start date they were consultants for at least
   1 year of tenure, with at least 180 days actually worked during that tenure.

Holders of one of the EXEMPTING_QUALIFICATIONS need no experience, provided the qualification
is declared on the form (Mark.CHECKED) *and* a qualification proof is attached.

Everything here is pure: dates are parameters, nothing is read or written. The judgement is
three-valued (eligible / ineligible / needs review) and comes with a Japanese explanation that
shows the arithmetic, so that an operator can check it by hand against the forms.

The experience requirement is counted by :mod:`intake.domain.experience` (definitions of the
window, tenure, worked days and the bounds are there); this module judges requirements (1)-(3)
from those figures and writes the explanation.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from intake.domain.experience import (
    LOOKBACK_YEARS,
    MIN_TENURE_DAYS,
    MIN_WORKED_DAYS,
    count_experience,
    experience_window,
)
from intake.domain.experience_text import explain_experience
from intake.domain.forms import (
    ELIGIBLE_OPERATOR_TYPES,
    EXEMPTING_QUALIFICATIONS,
    OPERATOR_TYPES,
    ROLES,
    ApplicationForm,
    ExperienceDeclaration,
    ExperienceEntry,
    Mark,
)

__all__ = [
    "LOOKBACK_YEARS",
    "MIN_TENURE_DAYS",
    "MIN_WORKED_DAYS",
    "Eligibility",
    "EligibilityStatus",
    "experience_window",
    "judge_eligibility",
]


class EligibilityStatus(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    NEEDS_REVIEW = "needs_review"  # the data cannot decide it: a person must look


_VERDICT: dict[EligibilityStatus, str] = {
    EligibilityStatus.ELIGIBLE: "受講資格あり",
    EligibilityStatus.INELIGIBLE: "受講資格なし",
    EligibilityStatus.NEEDS_REVIEW: "要確認（担当者が確認してください）",
}


@dataclass(frozen=True)
class Eligibility:
    """The judgement on one application.

    ``tenure_days`` is the merged, clipped tenure of the rows whose dates could be read (a lower
    bound when some rows' dates are missing); 0 when there is no experience sheet.
    ``worked_days`` is the worked-day total inside the counting range, or None when it cannot be
    determined exactly (no sheet, missing or impossible counts, straddling rows).
    """

    status: EligibilityStatus
    explanation: str  # Japanese, one fact per line, for the operator
    exempt_by: str | None  # the qualification that waived the experience requirement
    tenure_days: int
    worked_days: int | None


def _canon(text: str) -> str:
    """Comparison key for a form value: NFKC, no white space."""
    return "".join(unicodedata.normalize("NFKC", text).split())


# --------------------------------------------------------------------------------------------
# The current post: requirements (1) and (2)
# --------------------------------------------------------------------------------------------

_OPERATOR_KEYS = {_canon(value): value for value in OPERATOR_TYPES}
_ROLE_KEYS = {_canon(value): value for value in ROLES}
_QUALIFICATION_KEYS = {_canon(value): value for value in EXEMPTING_QUALIFICATIONS}


def _judge_post(application: ApplicationForm) -> tuple[EligibilityStatus, list[str]]:
    """Requirements (1) and (2).

    An operator type from the form's list but not an eligible one is INELIGIBLE. A blank
    operator type or role, or text that is not one of the form's choices, is NEEDS_REVIEW: the
    form offers a fixed list, so anything else means a person has to read what was written.
    """
    lines: list[str] = []
    status = EligibilityStatus.ELIGIBLE

    operator = application.operator_type
    known_operator = _OPERATOR_KEYS.get(_canon(operator)) if operator else None
    if not operator or not operator.strip():
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append("窓口の運営主体: 記入がありません … 要確認")
    elif known_operator is None:
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append(f"窓口の運営主体: 「{operator}」は選択肢にない記入です … 要確認")
    elif known_operator not in ELIGIBLE_OPERATOR_TYPES:
        lines.append(
            f"窓口の運営主体: 「{known_operator}」… 満たさない"
            "（地方公共団体または地方公共団体の委託等を受けた機関が運営する窓口が対象です）"
        )
        return EligibilityStatus.INELIGIBLE, lines
    else:
        lines.append(f"窓口の運営主体: 「{known_operator}」… 満たす")

    role = application.role
    known_role = _ROLE_KEYS.get(_canon(role)) if role else None
    if not role or not role.strip():
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append("現在の立場: 記入がありません … 要確認")
    elif known_role is None:
        status = EligibilityStatus.NEEDS_REVIEW
        lines.append(
            f"現在の立場: 「{role}」は選択肢（相談対応者／相談対応者に対して助言・指導する立場）"
            "にない記入です … 要確認"
        )
    else:
        lines.append(f"現在の立場: 「{known_role}」… 満たす")
    return status, lines


# --------------------------------------------------------------------------------------------
# Qualifications
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Qualifications:
    exempt_by: str | None  # declared, recognised and proven
    declared: tuple[str, ...]  # declared and recognised, in form order
    unclear: tuple[str, ...]  # recognised, with a mark nobody could read
    unknown_names: tuple[str, ...]  # declared but not one of the exempting qualifications


def _read_qualifications(application: ApplicationForm, proof_attached: bool) -> _Qualifications:
    declared: set[str] = set()
    unclear: set[str] = set()
    unknown: list[str] = []
    for item in application.qualifications:
        name = _QUALIFICATION_KEYS.get(_canon(item.name))
        if item.mark is Mark.CHECKED:
            if name is None:
                unknown.append(item.name)
            else:
                declared.add(name)
        elif item.mark is Mark.UNKNOWN and name is not None:
            unclear.add(name)
    in_order = tuple(q for q in EXEMPTING_QUALIFICATIONS if q in declared)
    return _Qualifications(
        exempt_by=in_order[0] if in_order and proof_attached else None,
        declared=in_order,
        unclear=tuple(q for q in EXEMPTING_QUALIFICATIONS if q in unclear and q not in declared),
        unknown_names=tuple(unknown),
    )


# --------------------------------------------------------------------------------------------
# Experience: requirement (3)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Experience:
    status: EligibilityStatus
    tenure_days: int
    worked_days: int | None
    lines: list[str]


def _judge_experience(
    entries: Sequence[ExperienceEntry],
    notes: Sequence[str],
    *,
    window: tuple[date, date],
    training_starts_on: date,
    received_on: date,
) -> _Experience:
    """Requirement (3) from the experience rows, by lower and upper bounds."""
    count = count_experience(entries, window=window, received_on=received_on)
    status = {
        True: EligibilityStatus.ELIGIBLE,
        False: EligibilityStatus.INELIGIBLE,
        None: EligibilityStatus.NEEDS_REVIEW,
    }[count.requirement_met]
    lines = explain_experience(
        count, notes, window=window, training_starts_on=training_starts_on, received_on=received_on
    )
    return _Experience(status, count.tenure_lo, count.worked_days, lines)


# --------------------------------------------------------------------------------------------
# The judgement
# --------------------------------------------------------------------------------------------


def judge_eligibility(
    application: ApplicationForm,
    experience: ExperienceDeclaration | None,
    *,
    training_starts_on: date,
    received_on: date,
    qualification_proof_attached: bool,
) -> Eligibility:
    """Judge requirements (1)-(3) for one application.

    Order and combination:

    * The current post first. An operator type on the form's list that is not eligible makes
      the applicant INELIGIBLE and nothing else is looked at. A blank or unrecognised operator
      type or role is NEEDS_REVIEW, never INELIGIBLE by itself; experience is still judged, and
      if experience clearly fails the result is INELIGIBLE (a person need not look then).
    * Exemption: a recognised exempting qualification marked CHECKED, with
      ``qualification_proof_attached``, waives the experience requirement (``exempt_by`` is its
      name, the first in form order). Declared without proof: experience is judged and the
      explanation says the proof is missing. A qualification whose mark is UNKNOWN, with proof
      attached, makes a result that experience alone does not make ELIGIBLE into NEEDS_REVIEW
      (without proof it could not exempt anyway).
    * Experience (see the module docstring for tenure, worked days and bounds). No experience
      sheet and no exemption is INELIGIBLE.

    The overall status is ELIGIBLE when every requirement is met, INELIGIBLE when any is
    clearly not met, and NEEDS_REVIEW otherwise.
    """
    window = experience_window(training_starts_on)
    entries = experience.entries if experience is not None else ()
    notes = experience.table_notes if experience is not None else ()
    assessed = _judge_experience(
        entries,
        notes,
        window=window,
        training_starts_on=training_starts_on,
        received_on=received_on,
    )

    def result(status: EligibilityStatus, lines: list[str], exempt_by: str | None) -> Eligibility:
        lines.append(f"判定: {_VERDICT[status]}")
        return Eligibility(
            status=status,
            explanation="\n".join(lines),
            exempt_by=exempt_by,
            tenure_days=assessed.tenure_days,
            worked_days=assessed.worked_days if experience is not None else None,
        )

    post_status, lines = _judge_post(application)
    if post_status is EligibilityStatus.INELIGIBLE:
        return result(post_status, lines, None)

    quals = _read_qualifications(application, qualification_proof_attached)
    if quals.unknown_names:
        names = "、".join(f"「{name}」" for name in quals.unknown_names)
        lines.append(f"資格: {names}は免除の対象となる資格ではありません")
    if quals.exempt_by is not None:
        lines.append(
            f"資格: {quals.exempt_by}（申告あり・資格証明書の添付あり）により、"
            "実務経験の要件は免除されます"
        )
        if post_status is EligibilityStatus.NEEDS_REVIEW:
            return result(EligibilityStatus.NEEDS_REVIEW, lines, quals.exempt_by)
        return result(EligibilityStatus.ELIGIBLE, lines, quals.exempt_by)
    if quals.declared:
        lines.append(
            f"資格: {'、'.join(quals.declared)}の申告がありますが、資格証明書が添付されていないため"
            "免除は適用せず、実務経験で判断します"
        )
    unclear = quals.unclear if qualification_proof_attached else ()
    if unclear:
        lines.append(
            f"資格: {'、'.join(unclear)}のチェック欄の記号が読み取れません（資格証明書の添付あり）"
        )

    if experience is None:
        lines.append(
            "実務経験申告書がなく、実務経験の要件を満たしません"
            + ("" if unclear else "（資格による免除もありません）")
        )
        experience_status = EligibilityStatus.INELIGIBLE
    else:
        lines.extend(assessed.lines)
        experience_status = assessed.status

    if unclear and experience_status is not EligibilityStatus.ELIGIBLE:
        lines.append(
            f"要確認: {'、'.join(unclear)}の保有が確認できれば実務経験は不要となるため、"
            "資格欄と資格証明書を確認してください"
        )
        experience_status = EligibilityStatus.NEEDS_REVIEW

    if experience_status is EligibilityStatus.INELIGIBLE:
        status = EligibilityStatus.INELIGIBLE
    elif post_status is EligibilityStatus.NEEDS_REVIEW:
        status = EligibilityStatus.NEEDS_REVIEW
    else:
        status = experience_status
    return result(status, lines, None)
