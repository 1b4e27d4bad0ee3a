"""What in the terms' configuration needs a person's attention (``terms check``).

A pure function over the configured terms, the form versions and the cutoffs recorded; where a
term stands at a given time is :func:`intake.domain.lifecycle.term_state`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from intake.domain.model import Term, odd_deadline
from intake.domain.timefmt import short_jst


def in_order(terms: Sequence[Term]) -> list[Term]:
    return sorted(terms, key=lambda t: (t.opens_at, t.id))


def term_warnings(
    terms: Sequence[Term],
    *,
    form_terms: Collection[int],
    last_cutoff_deadlines: Mapping[int, datetime],
) -> list[str]:
    """Warnings about the terms (Japanese sentences for an operator): deadlines off the
    office hour, terms without a form version of their own, ambiguous overlaps, deadlines
    moved after a cutoff.

    ``form_terms``: the terms that have a form version of their own (the form tells
    overlapping terms apart); ``last_cutoff_deadlines``: per term, the deadline its latest
    cutoff ran for.
    """
    warnings: list[str] = []
    ordered = in_order(terms)
    warnings.extend(w for w in map(odd_deadline, ordered) if w)
    for term in ordered:
        if term.id not in form_terms:
            warnings.append(
                f"{term.name}（id = {term.id}）用の受講申込書の様式が登録されていません"
                f"（FORM_SPECS に第{term.id}期の版がありません）。申込書の様式で期を判別するため、"
                "この期の募集期間に届いた申込は受け付けられません（TERM_MISMATCH）。"
            )
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            start = max(first.opens_at, second.opens_at)
            end = min(first.closes_at, second.closes_at)
            if start > end:
                continue
            missing = [t.name for t in (first, second) if t.id not in form_terms]
            if not missing:
                continue  # the forms tell the terms apart
            warnings.append(
                f"{first.name}と{second.name}の募集期間が重なっています"
                f"（{short_jst(start)}〜{short_jst(end)}）。重なる期間の申込は申込書の様式で"
                f"期を判別しますが、{'・'.join(missing)}用の様式がないため判別できません。"
            )
    for term in ordered:
        deadline = last_cutoff_deadlines.get(term.id)
        if deadline is not None and deadline != term.closes_at:
            warnings.append(
                f"{term.name}の締切が締切処理後に変更されています"
                f"（処理時 {short_jst(deadline)}、現在 {short_jst(term.closes_at)}）。"
                "次回の締切処理で新しい版の名簿を作ります。"
            )
    return warnings
