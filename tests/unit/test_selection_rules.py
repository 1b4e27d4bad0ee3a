"""The selection's pure rules: the suggested order, the checksum, reading decisions, what an
import may change, and the notice date's guard (examples and properties)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from intake.domain.labels import DECISION_LABELS, state_label
from intake.domain.lifecycle import Decision, SendStatus, reached_applicant
from intake.domain.model import TOKYO, Term
from intake.domain.schedule import is_business_day
from intake.domain.selection import (
    id_set_checksum,
    notice_due,
    notice_kind,
    read_decision,
    suggested_order,
    summarise,
)
from intake.domain.selection_deadline import (
    GUARD_BUSINESS_DAYS,
    SelectionProgress,
    alert_due,
    deadline_warning,
    guard_starts_on,
)
from intake.domain.selection_import import (
    ImportContext,
    ImportRefused,
    RecordedApplication,
    SheetRow,
    plan_import,
)

YEAR_END = ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"]


def jst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TOKYO)  # type: ignore[misc]


@dataclass(frozen=True)
class Applicant:
    application_id: int
    is_one_stop_center: bool | None
    annual_consultations: int | None
    received_at: datetime
    prefecture: str | None = None
    operator_type: str | None = None


# -- the suggested order -------------------------------------------------------------------------
def test_the_suggested_order_on_a_hand_made_set() -> None:
    day = jst(2025, 4, 1, 9, 0)
    people = [
        Applicant(1, False, 9000, day),  # busiest, but not a one-stop centre
        Applicant(2, True, 100, day),
        Applicant(3, True, None, day),  # one-stop, count unknown: after the known ones
        Applicant(4, True, 2400, day + timedelta(hours=2)),
        Applicant(5, True, 2400, day + timedelta(hours=1)),  # same count, received earlier
        Applicant(6, None, 50_000, day),  # unknown one-stop counts as not
        Applicant(7, False, None, day - timedelta(days=1)),
        Applicant(8, True, 2400, day + timedelta(hours=1)),  # same time too: by id
    ]
    order = [p.application_id for p in suggested_order(people)]
    assert order == [5, 8, 4, 2, 3, 6, 1, 7]


applicants = st.builds(
    Applicant,
    application_id=st.integers(1, 10_000),
    is_one_stop_center=st.sampled_from([True, False, None]),
    annual_consultations=st.one_of(st.none(), st.integers(0, 100_000)),
    received_at=st.datetimes(
        min_value=datetime(2025, 3, 10), max_value=datetime(2025, 5, 7), timezones=st.just(UTC)
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(applicants, max_size=30, unique_by=lambda a: a.application_id), st.randoms())
def test_the_suggested_order_is_a_permutation_that_ignores_input_order(
    people: list[Applicant], shuffle: random.Random
) -> None:
    order = suggested_order(people)
    assert sorted(p.application_id for p in order) == sorted(p.application_id for p in people)
    shuffled = list(people)
    shuffle.shuffle(shuffled)
    assert suggested_order(shuffled) == order
    flags = [p.is_one_stop_center is True for p in order]
    assert flags == sorted(flags, reverse=True)  # every one-stop applicant comes first
    for group in (True, False):
        counts = [p.annual_consultations for p in order if (p.is_one_stop_center is True) is group]
        known = [c for c in counts if c is not None]
        assert known == sorted(known, reverse=True)
        assert counts == known + [None] * (len(counts) - len(known))


@given(st.sets(st.integers(1, 10**6), max_size=40), st.randoms())
def test_the_checksum_is_of_the_set_not_the_order(ids: set[int], shuffle: random.Random) -> None:
    listed = list(ids)
    shuffle.shuffle(listed)
    assert id_set_checksum(1, listed) == id_set_checksum(1, sorted(ids))
    assert id_set_checksum(1, listed + listed) == id_set_checksum(1, ids)
    assert id_set_checksum(2, ids) != id_set_checksum(1, ids)
    assert id_set_checksum(1, ids | {10**6 + 1}) != id_set_checksum(1, ids)


def test_the_summary_counts_prefectures_operator_types_and_one_stop_staff() -> None:
    day = jst(2025, 4, 1, 9, 0)
    people = [
        Applicant(1, True, 1, day, "東京都", "地方公共団体"),
        Applicant(2, False, 1, day, "東京都", "地方公共団体"),
        Applicant(3, True, 1, day, " ", None),
        Applicant(4, None, 1, day, "大阪府", "地方公共団体の委託等を受けた機関"),
    ]
    summary = summarise(people, capacity=3)
    assert summary.candidates == 4 and summary.one_stop == 2 and summary.one_stop_share == 0.5
    assert summary.over_capacity
    assert summary.by_prefecture == (("東京都", 2), ("大阪府", 1), ("（記入なし）", 1))
    assert summary.by_operator_type[0] == ("地方公共団体", 2)
    assert summarise([], capacity=60).one_stop_share == 0.0


# -- decisions and notices -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "decision"),
    [
        ("決定", Decision.SELECTED),
        (" 補欠　", Decision.WAITLISTED),
        ("見送り", Decision.NOT_SELECTED),
        ("見 送 り", Decision.NOT_SELECTED),
        (None, None),
        ("", None),
        ("　", None),
    ],
)
def test_read_decision(cell: object, decision: Decision | None) -> None:
    assert read_decision(cell) is decision


@pytest.mark.parametrize("cell", ["合格", "決", "selected", "○", 1])
def test_anything_else_is_no_decision(cell: object) -> None:
    with pytest.raises(ValueError, match="決定・補欠・見送り のどれでもありません"):
        read_decision(cell)


def test_decisions_and_their_labels() -> None:
    assert [d.value for d in Decision] == ["selected", "waitlisted", "not_selected"]
    assert DECISION_LABELS == {
        Decision.SELECTED: "決定",
        Decision.WAITLISTED: "補欠",
        Decision.NOT_SELECTED: "見送り",
    }
    assert state_label(Decision.WAITLISTED) == "補欠"


def test_which_decisions_are_told() -> None:
    assert notice_kind(Decision.SELECTED, notify_not_selected=False) is Decision.SELECTED
    assert notice_kind(Decision.WAITLISTED, notify_not_selected=True) is None
    assert notice_kind(Decision.NOT_SELECTED, notify_not_selected=False) is None
    assert notice_kind(Decision.NOT_SELECTED, notify_not_selected=True) is Decision.NOT_SELECTED
    assert notice_kind(None, notify_not_selected=True) is None


@pytest.mark.parametrize(
    ("latest", "due"),
    [
        (None, True),
        (SendStatus.PENDING, True),
        (SendStatus.CLAIMED, True),
        (SendStatus.FAILED, True),  # nothing was delivered: asked for again
        (SendStatus.SENDING, False),
        (SendStatus.SENT, False),
        (SendStatus.HELD, False),  # an operator releases or confirms it
    ],
)
def test_a_notice_is_due_until_it_may_have_arrived(latest: SendStatus | None, due: bool) -> None:
    assert notice_due(Decision.SELECTED, latest, notify_not_selected=False) is due
    assert not notice_due(Decision.WAITLISTED, latest, notify_not_selected=True)


def test_a_notice_held_before_sending_never_reached_anyone() -> None:
    assert reached_applicant(SendStatus.SENT, started=False)  # confirmed by an operator
    assert reached_applicant(SendStatus.HELD, started=True)  # unknown fate
    assert reached_applicant(SendStatus.SENDING, started=True)
    assert not reached_applicant(SendStatus.HELD, started=False)  # no usable address
    for state in (SendStatus.PENDING, SendStatus.FAILED, SendStatus.CANCELLED):
        assert not reached_applicant(state, started=True)


# -- the import ------------------------------------------------------------------------------------
PREPARED = frozenset({1, 2, 3, 4})


def context(**changes: object) -> ImportContext:
    values: dict[str, object] = {
        "term_id": 1,
        "term_name": "第1期",
        "capacity": 2,
        "over_capacity": False,
        "prepared": PREPARED,
        "now": jst(2025, 5, 9, 10, 0),
        "deadline": jst(2025, 5, 12, 17, 0),
    }
    values.update(changes)
    return ImportContext(**values)  # type: ignore[arg-type]


def recorded(**overrides: RecordedApplication) -> dict[int, RecordedApplication]:
    base = {i: RecordedApplication(i, 1, True, None) for i in (1, 2, 3, 4, 5)}
    base[9] = RecordedApplication(9, 2, True, None)  # another term's
    base.update({int(k.removeprefix("a")): v for k, v in overrides.items()})
    return base


def sheet(*decisions: str | None, start: int = 6) -> list[SheetRow]:
    return [SheetRow(start + i, f"T1-{i + 1:05d}", d) for i, d in enumerate(decisions)]


def problems(
    rows: list[SheetRow], known: dict[int, RecordedApplication], **changes: object
) -> tuple[str, ...]:
    with pytest.raises(ImportRefused) as refused:
        plan_import(rows, known, context(**changes))
    return refused.value.problems


def test_a_complete_sheet_is_planned() -> None:
    plan = plan_import(sheet("決定", "補欠", "見送り", "決定"), recorded(), context())
    assert plan.decisions == {
        1: Decision.SELECTED,
        2: Decision.WAITLISTED,
        3: Decision.NOT_SELECTED,
        4: Decision.SELECTED,
    }
    assert len(plan.changes) == 4 and plan.unchanged == 0 and plan.selected == 2


def test_each_problem_is_one_line_and_all_are_told() -> None:
    rows = [
        SheetRow(6, "T1-00001", "合格"),
        SheetRow(7, "T1-00002", None),
        SheetRow(8, "T1-00005", "決定"),  # not on the prepared sheet
        SheetRow(9, "T1-00099", "決定"),  # no such application
        SheetRow(10, "T2-00009", "決定"),  # another term's
        SheetRow(11, "T1-00002", "補欠"),  # twice
        SheetRow(12, None, "決定"),
        SheetRow(13, "十二番", "決定"),
    ]
    assert problems(rows, recorded()) == (
        "6 行目: T1-00001 の決定「合格」は 決定・補欠・見送り のどれでもありません",
        "7 行目: T1-00002 の決定が空欄です（決定・補欠・見送りのどれか）",
        "8 行目: T1-00005 はこの選考表の選考シートになかった申込です"
        "（資格なしの申込や、あとから増えた申込には決定を書けません）",
        "9 行目: T1-00099 の申込はありません",
        "10 行目: T2-00009 は第1期の申込ではありません（第2期）",
        "11 行目: T1-00002 が7 行目と重複しています",
        "12 行目: 受付番号がありません",
        "13 行目: 受付番号「十二番」を読めません",
        "T1-00003 の行が選考シートにありません（行を消さずに、決定を書いてください）",
        "T1-00004 の行が選考シートにありません（行を消さずに、決定を書いてください）",
    )


def test_a_superseded_application_is_refused() -> None:
    known = recorded(a2=RecordedApplication(2, 1, False, None))
    (line,) = problems(sheet("決定", "補欠", "見送り", "決定"), known)
    assert line.startswith("7 行目: T1-00002 の申込は再提出により置き換えられています")


def test_capacity() -> None:
    rows = sheet("決定", "決定", "決定", "見送り")
    (line,) = problems(rows, recorded())
    assert line == (
        "決定が 3 件あり、第1期の定員 2 名を超えています"
        "（定員を超えて決定する場合は --over-capacity を付けてください）"
    )
    assert plan_import(rows, recorded(), context(over_capacity=True)).selected == 3
    # 決定 recorded for applications outside this workbook count too.
    (line,) = problems(sheet("決定", "補欠", "見送り", "見送り"), recorded(), selected_elsewhere=2)
    assert "決定が 3 件" in line


def test_a_decision_told_is_fixed_and_the_others_may_change() -> None:
    known = recorded(
        a1=RecordedApplication(1, 1, True, Decision.SELECTED, told=Decision.SELECTED),
        a2=RecordedApplication(2, 1, True, Decision.WAITLISTED),
        a3=RecordedApplication(3, 1, True, Decision.NOT_SELECTED),
        a4=RecordedApplication(4, 1, True, Decision.NOT_SELECTED),
    )
    (line,) = problems(sheet("補欠", "補欠", "見送り", "見送り"), known)
    assert line == (
        "T1-00001: 受講決定のお知らせを送信済み（または送信結果不明）のため、"
        "決定を「決定」から「補欠」に変えられません"
    )
    plan = plan_import(sheet("決定", "見送り", "決定", "見送り"), known, context())
    assert [(c.application_id, c.before, c.after) for c in plan.changes] == [
        (2, Decision.WAITLISTED, Decision.NOT_SELECTED),
        (3, Decision.NOT_SELECTED, Decision.SELECTED),
    ]
    assert plan.unchanged == 2


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (jst(2025, 5, 12, 16, 59), True),
        (jst(2025, 5, 12, 17, 0), True),  # by 17:00 that day
        (jst(2025, 5, 12, 17, 0, 1), False),
        (jst(2025, 5, 13, 9, 0), False),
    ],
)
def test_a_waitlisted_applicant_moves_up_until_the_notice_date(
    now: datetime, allowed: bool
) -> None:
    known = recorded(
        a1=RecordedApplication(1, 1, True, Decision.SELECTED, told=Decision.SELECTED),
        a2=RecordedApplication(2, 1, True, Decision.WAITLISTED),
        a3=RecordedApplication(3, 1, True, Decision.SELECTED),
        a4=RecordedApplication(4, 1, True, Decision.NOT_SELECTED),
    )
    rows = sheet("決定", "決定", "見送り", "見送り")  # 補欠 → 決定 in place of the third
    if allowed:
        plan = plan_import(rows, known, context(now=now))
        assert {c.application_id: c.after for c in plan.changes} == {
            2: Decision.SELECTED,
            3: Decision.NOT_SELECTED,
        }
    else:
        (line,) = problems(rows, known, now=now)
        assert line.startswith("T1-00002: 通知期日（2025-05-12 17:00）を過ぎたため")
        # Moving down, or keeping a decision, stays possible after the date.
        plan_import(sheet("決定", "補欠", "見送り", "見送り"), known, context(now=now))


decisions = st.sampled_from(["決定", "補欠", "見送り"])


@settings(max_examples=100, deadline=None)
@given(st.lists(decisions, min_size=4, max_size=4), st.randoms())
def test_sorting_the_sheet_changes_nothing(chosen: list[str], shuffle: random.Random) -> None:
    rows = sheet(*chosen)
    known = recorded()
    moved = [
        SheetRow(6 + i, r.reference, r.decision)
        for i, r in enumerate(shuffle.sample(rows, len(rows)))
    ]
    ctx = context(over_capacity=True)
    assert plan_import(moved, known, ctx) == plan_import(rows, known, ctx)


# -- the notice date -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("notice_by", "starts"),
    [
        (date(2025, 5, 12), date(2025, 5, 7)),  # Mon: Fri 9, Thu 8, Wed 7 (after Golden Week)
        (date(2025, 7, 8), date(2025, 7, 3)),  # Tue: Mon 7, Fri 4, Thu 3
        (date(2025, 5, 8), date(2025, 5, 1)),  # Thu: Wed 7, then 5/3-5/6 are holidays, Fri 2, Thu 1
        (date(2026, 1, 6), date(2025, 12, 25)),  # the year-end closure is skipped
    ],
)
def test_the_guard_starts_three_business_days_before(notice_by: date, starts: date) -> None:
    assert guard_starts_on(notice_by, YEAR_END) == starts


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)))
def test_the_guard_window_holds_three_business_days(notice_by: date) -> None:
    start = guard_starts_on(notice_by, YEAR_END)
    assert is_business_day(start, YEAR_END)
    days = [start + timedelta(n) for n in range((notice_by - start).days)]
    assert sum(is_business_day(d, YEAR_END) for d in days) == GUARD_BUSINESS_DAYS


def term(**changes: object) -> Term:
    values: dict[str, object] = {
        "id": 1,
        "name": "第1期",
        "opens_at": "2025-03-10T10:00:00+09:00",
        "closes_at": "2025-05-07T17:00:00+09:00",
        "training_starts_on": "2025-06-02",
        "decision_notice_by": "2025-05-12",
    }
    values.update(changes)
    return Term.model_validate(values)


def test_the_notice_date_is_17_00_tokyo_and_not_before_the_deadline() -> None:
    assert term().decision_deadline == jst(2025, 5, 12, 17, 0)
    assert term(decision_notice_by=None).decision_deadline is None
    with pytest.raises(ValidationError, match="decision_notice_by"):
        term(decision_notice_by="2025-05-06")


MISSING = SelectionProgress(candidates=5, undecided=2, selected=3, selected_unsent=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (jst(2025, 5, 6, 23, 59), None),  # before the window (5/7)
        (
            jst(2025, 5, 7, 0, 0),
            "第1期: 受講決定の通知期日は 5月12日（月） 17:00 です。"
            "決定が未入力の申込 2 件、未送信の受講決定のお知らせ 1 件があります",
        ),
        (
            jst(2025, 5, 12, 18, 0),
            "第1期: 受講決定の通知期日（5月12日（月） 17:00）を過ぎましたが、受講決定のお知らせが"
            "相手に届いていない申込が 1 件あります（intake selection list で確認してください）",
        ),
    ],
)
def test_the_deadline_warning(now: datetime, expected: str | None) -> None:
    assert deadline_warning(term(), MISSING, now, YEAR_END) == expected


def test_no_warning_when_nothing_is_missing_or_no_date_is_set() -> None:
    done = SelectionProgress(candidates=5, selected=3, waitlisted=1, not_selected=1)
    assert deadline_warning(term(), done, jst(2025, 5, 12, 9, 0), YEAR_END) is None
    assert deadline_warning(term(decision_notice_by=None), MISSING, jst(2025, 5, 12), []) is None
    undecided_only = SelectionProgress(candidates=5, undecided=5)
    assert deadline_warning(term(), undecided_only, jst(2025, 5, 13), YEAR_END) is None
    told_not = SelectionProgress(not_selected=2, not_selected_unsent=2)
    assert "未送信の選考結果のお知らせ 2 件" in str(
        deadline_warning(term(), told_not, jst(2025, 5, 9), YEAR_END)
    )


def test_the_operators_are_mailed_on_the_day_itself() -> None:
    assert alert_due(term(), MISSING, jst(2025, 5, 12, 0, 5))
    assert alert_due(term(), MISSING, jst(2025, 5, 12, 23, 0))
    assert not alert_due(term(), MISSING, jst(2025, 5, 11, 23, 59))
    assert not alert_due(term(), SelectionProgress(undecided=3), jst(2025, 5, 12, 9, 0))
    assert not alert_due(term(decision_notice_by=None), MISSING, jst(2025, 5, 12, 9, 0))


def test_the_daemon_logs_a_warning_once_a_day(caplog: pytest.LogCaptureFixture) -> None:
    from intake.entrypoints.daemon import Daemon

    class Desk:
        def selection_guard(self, now: datetime) -> list[str]:
            return ["第1期: 受講決定の通知期日は 5月12日（月） 17:00 です。"]

    daemon = Daemon(Desk())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="intake.daemon"):
        daemon.selection_guard()
        daemon.selection_guard()
    assert [r.getMessage() for r in caplog.records] == [
        "selection: 第1期: 受講決定の通知期日は 5月12日（月） 17:00 です。"
    ]
