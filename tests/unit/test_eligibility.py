"""Eligibility: current post, role, qualifications and the 5-year experience arithmetic."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain.eligibility import (
    MIN_TENURE_DAYS,
    MIN_WORKED_DAYS,
    Eligibility,
    EligibilityStatus,
    experience_window,
    judge_eligibility,
)
from intake.domain.forms import (
    ELIGIBLE_OPERATOR_TYPES,
    EXEMPTING_QUALIFICATIONS,
    OPERATOR_TYPES,
    ROLES,
    ApplicationForm,
    ExperienceDeclaration,
    ExperienceEntry,
    Mark,
    Qualification,
)

ELIGIBLE = EligibilityStatus.ELIGIBLE
INELIGIBLE = EligibilityStatus.INELIGIBLE
REVIEW = EligibilityStatus.NEEDS_REVIEW

TERM1_STARTS = date(2025, 6, 2)
RECEIVED = date(2025, 4, 14)  # YAMADA's application date
WINDOW = (date(2020, 6, 2), date(2025, 6, 1))
COMMISSIONED = "地方公共団体の委託等を受けた機関"
CONSULTANT = "相談対応者"


def application(
    operator_type: str | None = COMMISSIONED,
    role: str | None = CONSULTANT,
    qualifications: tuple[Qualification, ...] = (),
) -> ApplicationForm:
    return ApplicationForm(
        form_id="CSF-R7-FORM1-T1",
        term=1,
        operator_type=operator_type,
        role=role,
        qualifications=qualifications,
    )


def row(
    start: date | None,
    end: date | None,
    days: int | None,
    *,
    ongoing: bool = False,
    at: int = 8,
) -> ExperienceEntry:
    return ExperienceEntry(
        row=at,
        no=at - 7,
        period_from=start,
        period_to=end,
        ongoing=ongoing,
        days_worked=days,
    )


def sheet(*entries: ExperienceEntry) -> ExperienceDeclaration:
    numbered = tuple(
        e.model_copy(update={"row": 8 + i, "no": 1 + i}) for i, e in enumerate(entries)
    )
    return ExperienceDeclaration(form_id="CSF-R7-FORM2", entries=numbered)


def judge(
    experience: ExperienceDeclaration | None,
    form: ApplicationForm | None = None,
    *,
    starts: date = TERM1_STARTS,
    received: date = RECEIVED,
    proof: bool = False,
) -> Eligibility:
    return judge_eligibility(
        form or application(),
        experience,
        training_starts_on=starts,
        received_on=received,
        qualification_proof_attached=proof,
    )


YAMADA = (
    row(date(2020, 10, 1), date(2021, 3, 31), 62),
    row(date(2021, 4, 1), date(2023, 3, 31), 188),
    row(date(2023, 4, 1), date(2025, 3, 31), 421),
)
# Two years fully inside the window with plenty of days: makes anything else redundant.
SUFFICIENT = row(date(2022, 4, 1), date(2024, 3, 31), 400)
# A period straddling the window's first day 2020-06-02: 1,096 days, 668 of them inside,
# 428 outside (2019-04-01 .. 2020-06-01).
STRADDLE_FROM, STRADDLE_TO = date(2019, 4, 1), date(2022, 3, 31)


# --------------------------------------------------------------------------------------------
# The window
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "first", "last"),
    [
        (date(2025, 6, 2), date(2020, 6, 2), date(2025, 6, 1)),  # term 1
        (date(2025, 8, 1), date(2020, 8, 1), date(2025, 7, 31)),  # term 2
        (date(2025, 1, 1), date(2020, 1, 1), date(2024, 12, 31)),
        (date(2024, 3, 1), date(2019, 3, 1), date(2024, 2, 29)),  # leap day is the last day
        (date(2028, 2, 29), date(2023, 2, 28), date(2028, 2, 28)),  # no Feb 29 in 2023
        (date(2024, 2, 29), date(2019, 2, 28), date(2024, 2, 28)),
        (date(2025, 2, 28), date(2020, 2, 28), date(2025, 2, 27)),
    ],
)
def test_experience_window(starts: date, first: date, last: date) -> None:
    assert experience_window(starts) == (first, last)


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_window_is_five_calendar_years(starts: date) -> None:
    first, last = experience_window(starts)
    assert last == starts - timedelta(days=1)
    assert 365 * 5 + 1 <= (last - first).days + 1 <= 365 * 5 + 2
    assert first.year == starts.year - 5


# --------------------------------------------------------------------------------------------
# Experience arithmetic, table-driven
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    entries: tuple[ExperienceEntry, ...]
    status: EligibilityStatus
    tenure: int
    worked: int | None
    received: date = RECEIVED
    says: tuple[str, ...] = ()


CASES = [
    Case("yamada", YAMADA, ELIGIBLE, 1643, 671, says=("1,643日（約4年6か月）", "671日 ≧ 180日")),
    Case(
        "tenure exactly 365 days",
        (row(date(2021, 4, 1), date(2022, 3, 31), 200),),
        ELIGIBLE,
        365,
        200,
        says=("365日（約1年） ≧ 365日（1年） … 満たす",),
    ),
    Case(
        "tenure 364 days",
        (row(date(2021, 4, 1), date(2022, 3, 30), 200),),
        INELIGIBLE,
        364,
        200,
        says=("364日（約11か月） ＜ 365日（1年） … 満たさない",),
    ),
    Case(
        "365 days over a leap year is enough although one day short of the calendar year",
        (row(date(2023, 4, 1), date(2024, 3, 30), 200),),
        ELIGIBLE,
        365,
        200,
    ),
    Case(
        "two separate periods add up to 365",
        (
            row(date(2021, 1, 1), date(2021, 6, 30), 100),  # 181
            row(date(2022, 1, 1), date(2022, 7, 3), 100),  # 184
        ),
        ELIGIBLE,
        365,
        200,
    ),
    Case(
        "exactly 180 worked days",
        (row(date(2021, 4, 1), date(2023, 3, 31), 180),),
        ELIGIBLE,
        730,
        180,
        says=("180日 ≧ 180日 … 満たす",),
    ),
    Case(
        "179 worked days",
        (row(date(2021, 4, 1), date(2023, 3, 31), 179),),
        INELIGIBLE,
        730,
        179,
        says=("179日 ＜ 180日 … 満たさない",),
    ),
    Case(
        "worked days of several rows are added",
        (
            row(date(2021, 4, 1), date(2022, 3, 31), 90),
            row(date(2022, 4, 1), date(2023, 3, 31), 90),
        ),
        ELIGIBLE,
        730,
        180,
    ),
    Case(
        "overlapping periods are merged",
        (
            row(date(2021, 4, 1), date(2022, 3, 31), 100),
            row(date(2021, 10, 1), date(2022, 9, 30), 100),
        ),
        ELIGIBLE,
        548,  # 2021-04-01 .. 2022-09-30
        200,
        says=("在職期間の合計（重複を除く）: 548日", "期間が重なる日は1日として数えています"),
    ),
    Case(
        "two posts held at once are not counted twice",
        (
            row(date(2021, 4, 1), date(2021, 9, 30), 100),
            row(date(2021, 4, 1), date(2021, 9, 30), 100),
        ),
        INELIGIBLE,
        183,
        200,
    ),
    Case(
        "a period inside another",
        (
            row(date(2021, 4, 1), date(2022, 3, 31), 150),
            row(date(2021, 6, 1), date(2021, 6, 30), 30),
        ),
        ELIGIBLE,
        365,
        180,
    ),
    Case(
        "adjacent periods lose no day and gain none",
        (
            row(date(2021, 4, 1), date(2021, 9, 30), 100),  # 183
            row(date(2021, 10, 1), date(2022, 3, 31), 100),  # 182
        ),
        ELIGIBLE,
        365,
        200,
        says=("在職期間の合計: 365日",),
    ),
    Case(
        "adjacent periods one day short",
        (
            row(date(2021, 4, 1), date(2021, 9, 30), 100),
            row(date(2021, 10, 1), date(2022, 3, 30), 100),
        ),
        INELIGIBLE,
        364,
        200,
    ),
    Case(
        "ongoing period ends at the received date",
        (row(date(2024, 4, 1), None, 200, ongoing=True),),
        ELIGIBLE,
        379,  # 2024-04-01 .. 2025-04-14
        200,
        says=("継続中（受付日 2025年4月14日 まで）（379日、従事200日）",),
    ),
    Case(
        "ongoing period received one day before a full year",
        (row(date(2024, 4, 1), None, 200, ongoing=True),),
        INELIGIBLE,
        364,
        200,
        received=date(2025, 3, 30),
    ),
    Case(
        "ongoing wins over a typed end date",
        (row(date(2024, 4, 1), date(2024, 4, 30), 200, ongoing=True),),
        ELIGIBLE,
        379,
        200,
    ),
    Case(
        "period entirely before the window",
        (row(date(2015, 4, 1), date(2020, 3, 31), 800),),
        INELIGIBLE,
        0,
        0,
        says=("確認期間外のため数えません",),
    ),
    Case(
        "period ending the day before the window",
        (row(date(2018, 6, 2), date(2020, 6, 1), 400),),
        INELIGIBLE,
        0,
        0,
    ),
    Case(
        "period starting on the window's first day is fully inside",
        (row(date(2020, 6, 2), date(2021, 6, 1), 200),),
        ELIGIBLE,
        365,
        200,
    ),
    Case(
        "straddling: the lower bound already reaches 180",
        (row(STRADDLE_FROM, STRADDLE_TO, 700),),  # at least 700 - 428 = 272 inside
        ELIGIBLE,
        668,
        None,
        says=("全期間1,096日", "数える期間 2020年6月2日〜2022年3月31日（668日）", "272〜668日"),
    ),
    Case(
        "straddling: even all of it is below 180",
        (row(STRADDLE_FROM, STRADDLE_TO, 150),),
        INELIGIBLE,
        668,
        None,
        says=("0〜150日", "＜ 180日 … 満たさない"),
    ),
    Case(
        "straddling: undecidable",
        (row(STRADDLE_FROM, STRADDLE_TO, 400),),
        REVIEW,
        668,
        None,
        says=("0〜400日", "按分すると約244日", "在職証明書等で確認期間内の従事日数を確認"),
    ),
    Case(
        "straddling row beside rows that suffice on their own",
        (row(STRADDLE_FROM, STRADDLE_TO, 400), row(date(2022, 4, 1), date(2023, 3, 31), 180)),
        ELIGIBLE,
        1033,
        None,
    ),
    Case(
        "straddling row whose count cannot all be outside",
        (row(STRADDLE_FROM, STRADDLE_TO, 1000),),  # 1000 - 428 = 572 = inside at most 668
        ELIGIBLE,
        668,
        None,
    ),
    Case(
        "days after the received date are not experience",
        (row(date(2024, 4, 1), date(2026, 3, 31), 300),),
        REVIEW,
        379,
        None,
        says=("受付日 2025年4月14日 より後の日は", "数える期間 2024年4月1日〜2025年4月14日"),
    ),
    Case(
        "impossible days worked",
        (row(date(2021, 4, 1), date(2022, 3, 31), 400),),
        REVIEW,
        365,
        None,
        says=("期間の日数（365日）を超えていてあり得ない", "従事日数が期間の日数を超えている"),
    ),
    Case(
        "impossible days beside rows that suffice",
        (SUFFICIENT, row(date(2021, 4, 1), date(2021, 4, 30), 400)),
        ELIGIBLE,
        761,
        None,
        says=("その分を除いても要件を満たします",),
    ),
    Case(
        "impossible days that could not reach 180 even as every calendar day",
        (
            row(date(2021, 4, 1), date(2023, 3, 31), 100),
            row(date(2023, 4, 1), date(2023, 5, 31), 100),  # 61 days at most
        ),
        INELIGIBLE,
        791,
        None,
        says=("最大限に数えても",),
    ),
    Case(
        "missing days worked",
        (row(date(2021, 4, 1), date(2023, 3, 31), None),),
        REVIEW,
        730,
        None,
        says=("従事日数の記入なし", "従事日数が不明"),
    ),
    Case(
        "missing days worked beside rows that suffice",
        (SUFFICIENT, row(date(2021, 4, 1), date(2022, 3, 31), None)),
        ELIGIBLE,
        1096,
        None,
        says=("その分を除いても要件を満たします", "No.2（9行目）: 従事日数が不明"),
    ),
    Case(
        "missing days worked outside the window does not matter",
        (SUFFICIENT, row(date(2015, 4, 1), date(2016, 3, 31), None)),
        ELIGIBLE,
        731,
        400,
    ),
    Case(
        "missing start date",
        (row(None, date(2023, 3, 31), 300),),
        REVIEW,
        0,
        None,
        says=("開始日の記入がない", "期間の分からない行があるため判断できません"),
    ),
    Case(
        "missing end date (not ongoing)",
        (row(date(2021, 4, 1), None, 300),),
        REVIEW,
        0,
        None,
    ),
    Case(
        "missing dates beside rows that suffice",
        (SUFFICIENT, row(None, None, 100)),
        ELIGIBLE,
        731,
        None,
        says=("No.2（9行目）: 期間が不明",),
    ),
    Case(
        "missing dates and too few days even if all counted",
        (row(None, None, 100), row(date(2021, 4, 1), date(2023, 3, 31), 50)),
        INELIGIBLE,
        730,
        None,
    ),
    Case(
        "start after end is ignored",
        (row(date(2023, 3, 31), date(2021, 4, 1), 300),),
        REVIEW,
        0,
        None,
        says=("開始日が終了日より後",),
    ),
    Case(
        "start after end beside rows that suffice",
        (SUFFICIENT, row(date(2023, 3, 31), date(2021, 4, 1), 300)),
        ELIGIBLE,
        731,
        None,
    ),
    Case(
        "ongoing period starting after the received date",
        (row(date(2025, 5, 1), None, 10, ongoing=True),),
        INELIGIBLE,  # 10 days at most: cannot reach 180
        0,
        None,
        says=("開始日が受付日より後",),
    ),
    Case("empty sheet", (), INELIGIBLE, 0, 0, says=("実務経験の記入がありません",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_experience(case: Case) -> None:
    result = judge(sheet(*case.entries), received=case.received)
    assert (result.status, result.tenure_days, result.worked_days) == (
        case.status,
        case.tenure,
        case.worked,
    ), result.explanation
    assert result.exempt_by is None
    for fragment in case.says:
        assert fragment in result.explanation
    verdict = {ELIGIBLE: "受講資格あり", INELIGIBLE: "受講資格なし", REVIEW: "要確認"}
    assert result.explanation.splitlines()[-1].startswith(f"判定: {verdict[case.status]}")


def test_yamada_explanation_shows_the_arithmetic() -> None:
    result = judge(sheet(*YAMADA))
    assert result.explanation.splitlines() == [
        "窓口の運営主体: 「地方公共団体の委託等を受けた機関」… 満たす",
        "現在の立場: 「相談対応者」… 満たす",
        "確認期間: 2020年6月2日〜2025年6月1日（研修開始日 2025年6月2日 の直近5年）",
        "  No.1（8行目）: 2020年10月1日〜2021年3月31日（182日、従事62日）",
        "  No.2（9行目）: 2021年4月1日〜2023年3月31日（730日、従事188日）",
        "  No.3（10行目）: 2023年4月1日〜2025年3月31日（731日、従事421日）",
        "在職期間の合計: 1,643日（約4年6か月） ≧ 365日（1年） … 満たす",
        "従事日数の合計: 671日 ≧ 180日 … 満たす",
        "判定: 受講資格あり",
    ]


def test_straddling_explanation_gives_bounds_and_estimate() -> None:
    text = judge(sheet(row(STRADDLE_FROM, STRADDLE_TO, 400))).explanation
    assert (
        "  No.1（8行目）: 2019年4月1日〜2022年3月31日（全期間1,096日、従事400日）"
        " → 数える期間 2020年6月2日〜2022年3月31日（668日）"
    ) in text.splitlines()
    assert (
        "      従事400日は期間全体の日数のため、数える期間内は 0〜400日（日数で按分すると約244日）"
        in (text.splitlines())
    )


def test_second_term_window() -> None:
    # Term 2 starts 2025-08-01: a period ending 2020-07-31 is now outside the window.
    entries = sheet(row(date(2019, 8, 1), date(2020, 7, 31), 200), SUFFICIENT)
    term1 = judge(entries, starts=TERM1_STARTS)
    term2 = judge(entries, starts=date(2025, 8, 1), received=date(2025, 6, 10))
    assert term1.tenure_days == 731 + 60  # 2020-06-02 .. 2020-07-31 counted for term 1
    assert term2.tenure_days == 731
    assert term2.worked_days == 400


def test_received_date_before_window_end_is_the_counting_end() -> None:
    entries = sheet(row(date(2024, 6, 1), date(2025, 5, 31), 250))  # 365 days
    on_time = judge(entries, received=date(2025, 6, 1))
    early = judge(entries, received=date(2025, 5, 30))
    assert (on_time.status, on_time.tenure_days, on_time.worked_days) == (ELIGIBLE, 365, 250)
    # Cut at the received date: 364 days of tenure, so it fails however the days split.
    assert (early.status, early.tenure_days) == (INELIGIBLE, 364)


# --------------------------------------------------------------------------------------------
# Current post: operator type and role
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operator_type", OPERATOR_TYPES)
def test_each_operator_type(operator_type: str) -> None:
    result = judge(sheet(*YAMADA), application(operator_type=operator_type))
    if operator_type in ELIGIBLE_OPERATOR_TYPES:
        assert result.status is ELIGIBLE
        assert f"「{operator_type}」… 満たす" in result.explanation
    else:
        assert result.status is INELIGIBLE
        assert f"「{operator_type}」… 満たさない" in result.explanation
        assert "確認期間" not in result.explanation  # experience is not looked at


@pytest.mark.parametrize(
    ("operator_type", "status", "says"),
    [
        (None, REVIEW, "窓口の運営主体: 記入がありません"),
        ("", REVIEW, "窓口の運営主体: 記入がありません"),
        ("　", REVIEW, "窓口の運営主体: 記入がありません"),
        ("市役所", REVIEW, "「市役所」は選択肢にない記入です"),
        (" 地方公共団体 ", ELIGIBLE, "「地方公共団体」… 満たす"),
        ("地方公共団体の委託等を受けた機関\n", ELIGIBLE, "… 満たす"),
    ],
)
def test_unclear_operator_type(
    operator_type: str | None, status: EligibilityStatus, says: str
) -> None:
    result = judge(sheet(*YAMADA), application(operator_type=operator_type))
    assert result.status is status
    assert says in result.explanation


@pytest.mark.parametrize("role", ROLES)
def test_each_role(role: str) -> None:
    result = judge(sheet(*YAMADA), application(role=role))
    assert result.status is ELIGIBLE
    assert f"現在の立場: 「{role}」… 満たす" in result.explanation


@pytest.mark.parametrize(
    ("role", "says"),
    [
        (None, "現在の立場: 記入がありません … 要確認"),
        ("", "現在の立場: 記入がありません … 要確認"),
        ("通訳", "「通訳」は選択肢"),
        ("相談員", "「相談員」は選択肢"),
    ],
)
def test_unclear_role_needs_review(role: str | None, says: str) -> None:
    result = judge(sheet(*YAMADA), application(role=role))
    assert result.status is REVIEW
    assert says in result.explanation


def test_full_width_role_is_recognised() -> None:
    result = judge(sheet(*YAMADA), application(role="相談対応者に対して助言・指導する立場 "))
    assert result.status is ELIGIBLE


def test_unclear_post_with_failing_experience_is_ineligible() -> None:
    too_short = sheet(row(date(2021, 4, 1), date(2021, 9, 30), 150))
    assert judge(too_short, application(operator_type=None)).status is INELIGIBLE
    assert judge(None, application(role=None)).status is INELIGIBLE
    undecided = sheet(row(STRADDLE_FROM, STRADDLE_TO, 400))
    assert judge(undecided, application(role="通訳")).status is REVIEW


def test_ineligible_operator_beats_everything() -> None:
    form = application(
        operator_type="国", qualifications=(Qualification(name="社会福祉士", mark=Mark.CHECKED),)
    )
    result = judge(sheet(*YAMADA), form, proof=True)
    assert result.status is INELIGIBLE
    assert result.exempt_by is None
    assert result.tenure_days == 1643  # still reported


# --------------------------------------------------------------------------------------------
# Exemption by qualification
# --------------------------------------------------------------------------------------------


def qualified(*marks: tuple[str, Mark], role: str | None = CONSULTANT) -> ApplicationForm:
    quals = tuple(Qualification(name=name, mark=mark) for name, mark in marks)
    return application(role=role, qualifications=quals)


@pytest.mark.parametrize("name", EXEMPTING_QUALIFICATIONS)
def test_each_qualification_with_proof_exempts(name: str) -> None:
    result = judge(None, qualified((name, Mark.CHECKED)), proof=True)
    assert result.status is ELIGIBLE
    assert result.exempt_by == name
    assert (
        f"資格: {name}（申告あり・資格証明書の添付あり）により、実務経験の要件は免除されます"
        in (result.explanation)
    )
    assert "確認期間" not in result.explanation
    assert (result.tenure_days, result.worked_days) == (0, None)


def test_exemption_names_the_first_in_form_order() -> None:
    form = qualified(("公認心理師", Mark.CHECKED), ("社会福祉士", Mark.CHECKED))
    assert judge(None, form, proof=True).exempt_by == "社会福祉士"


def test_exemption_with_a_sheet_holding_only_a_note() -> None:
    note_only = ExperienceDeclaration(
        form_id="CSF-R7-FORM2",
        entries=(
            ExperienceEntry(row=8, no=1, organisation="（社会福祉士の資格を有するため省略）"),
        ),
    )
    result = judge(note_only, qualified(("社会福祉士", Mark.CHECKED)), proof=True)
    assert (result.status, result.exempt_by) == (ELIGIBLE, "社会福祉士")


def test_exemption_needs_the_post_too() -> None:
    form = qualified(("社会福祉士", Mark.CHECKED), role=None)
    result = judge(None, form, proof=True)
    assert (result.status, result.exempt_by) == (REVIEW, "社会福祉士")


def test_qualification_without_proof_does_not_exempt() -> None:
    form = qualified(("社会福祉士", Mark.CHECKED))
    missing = judge(None, form, proof=False)
    assert (missing.status, missing.exempt_by) == (INELIGIBLE, None)
    assert "資格証明書が添付されていないため免除は適用せず" in missing.explanation
    assert "実務経験申告書がなく" in missing.explanation
    by_experience = judge(sheet(*YAMADA), form, proof=False)
    assert (by_experience.status, by_experience.exempt_by) == (ELIGIBLE, None)
    assert "資格証明書が添付されていない" in by_experience.explanation


def test_unchecked_qualification_does_not_exempt() -> None:
    result = judge(None, qualified(("社会福祉士", Mark.UNCHECKED)), proof=True)
    assert (result.status, result.exempt_by) == (INELIGIBLE, None)


def test_other_qualification_does_not_exempt() -> None:
    result = judge(None, qualified(("行政書士", Mark.CHECKED)), proof=True)
    assert (result.status, result.exempt_by) == (INELIGIBLE, None)
    assert "「行政書士」は免除の対象となる資格ではありません" in result.explanation


def test_qualification_name_variant_is_recognised() -> None:
    form = qualified(("キャリアコンサルティング技能士(1級・2級)", Mark.CHECKED))
    assert judge(None, form, proof=True).exempt_by == "キャリアコンサルティング技能士（1級・2級）"


@pytest.mark.parametrize(
    ("experience", "proof", "status"),
    [
        (sheet(*YAMADA), True, ELIGIBLE),  # experience decides anyway
        (None, True, REVIEW),  # would be exempt if the mark is a check
        (sheet(row(date(2021, 4, 1), date(2021, 9, 30), 50)), True, REVIEW),
        (sheet(row(STRADDLE_FROM, STRADDLE_TO, 400)), True, REVIEW),
        (None, False, INELIGIBLE),  # without proof it could not exempt anyway
    ],
)
def test_unknown_mark(
    experience: ExperienceDeclaration | None, proof: bool, status: EligibilityStatus
) -> None:
    result = judge(experience, qualified(("公認心理師", Mark.UNKNOWN)), proof=proof)
    assert (result.status, result.exempt_by) == (status, None)
    if status is REVIEW:
        assert "公認心理師のチェック欄の記号が読み取れません" in result.explanation
        assert "資格欄と資格証明書を確認してください" in result.explanation


def test_unknown_mark_beside_a_checked_qualification_with_proof() -> None:
    form = qualified(("社会福祉士", Mark.UNKNOWN), ("公認心理師", Mark.CHECKED))
    result = judge(None, form, proof=True)
    assert (result.status, result.exempt_by) == (ELIGIBLE, "公認心理師")


def test_no_sheet_and_no_exemption() -> None:
    result = judge(None)
    assert (result.status, result.tenure_days, result.worked_days) == (INELIGIBLE, 0, None)
    assert "実務経験申告書がなく、実務経験の要件を満たしません" in result.explanation


def test_table_notes_are_shown() -> None:
    declaration = ExperienceDeclaration(
        form_id="CSF-R7-FORM2", table_notes=("（社会福祉士の資格を有するため省略）",)
    )
    result = judge(declaration)
    assert result.status is INELIGIBLE
    assert "表中の記載: （社会福祉士の資格を有するため省略）" in result.explanation


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

STARTS = st.sampled_from(
    [date(2025, 6, 2), date(2025, 8, 1), date(2028, 2, 29), date(2024, 3, 1), date(2026, 1, 1)]
)


@st.composite
def entries(draw: st.DrawFn) -> ExperienceEntry:
    start = draw(st.dates(date(2014, 1, 1), date(2027, 12, 31)))
    length = draw(st.integers(-30, 1500))
    end = start + timedelta(days=length)
    ongoing = draw(st.booleans()) and draw(st.booleans())
    calendar = max(1, length + 1)
    days = draw(st.none() | st.integers(0, calendar) | st.integers(0, calendar + 100))
    dated = draw(st.integers(0, 9)) > 0  # now and then a start date nobody could read
    return ExperienceEntry(
        row=8,
        period_from=start if dated else None,
        period_to=None if ongoing and draw(st.booleans()) else end,
        ongoing=ongoing,
        days_worked=days,
    )


def declaration(rows: list[ExperienceEntry]) -> ExperienceDeclaration:
    return ExperienceDeclaration(form_id="CSF-R7-FORM2", entries=tuple(rows))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[ExperienceEntry], date, date]:
    starts = draw(STARTS)
    received = starts - timedelta(days=draw(st.integers(0, 200)))
    return draw(st.lists(entries(), max_size=6)), starts, received


def key(result: Eligibility) -> tuple[object, ...]:
    return (result.status, result.tenure_days, result.worked_days, result.exempt_by)


def oracle_tenure(rows: list[ExperienceEntry], starts: date, received: date) -> int:
    """Tenure by brute force: the set of calendar days."""
    first, last = experience_window(starts)
    last = min(last, received)
    days: set[date] = set()
    for e in rows:
        end = received if e.ongoing else e.period_to
        if e.period_from is None or end is None or e.period_from > end:
            continue
        day = max(e.period_from, first)
        while day <= min(end, last):
            days.add(day)
            day += timedelta(days=1)
    return len(days)


@settings(max_examples=300)
@given(scenarios())
def test_tenure_is_the_union_of_days_inside_the_window(
    scenario: tuple[list[ExperienceEntry], date, date],
) -> None:
    rows, starts, received = scenario
    result = judge(declaration(rows), starts=starts, received=received)
    first, last = experience_window(starts)
    assert 0 <= result.tenure_days <= (last - first).days + 1
    assert result.tenure_days == oracle_tenure(rows, starts, received)


@settings(max_examples=200)
@given(scenarios(), st.randoms(use_true_random=False))
def test_order_does_not_matter(
    scenario: tuple[list[ExperienceEntry], date, date], rng: random.Random
) -> None:
    rows, starts, received = scenario
    shuffled = rows[:]
    rng.shuffle(shuffled)
    a = judge(declaration(rows), starts=starts, received=received)
    b = judge(declaration(shuffled), starts=starts, received=received)
    assert key(a) == key(b)


@settings(max_examples=300)
@given(scenarios(), entries())
def test_adding_a_row_never_makes_an_eligible_applicant_ineligible(
    scenario: tuple[list[ExperienceEntry], date, date], extra: ExperienceEntry
) -> None:
    rows, starts, received = scenario
    before = judge(declaration(rows), starts=starts, received=received)
    after = judge(declaration([*rows, extra]), starts=starts, received=received)
    if before.status is ELIGIBLE:
        assert after.status is ELIGIBLE
    if after.status is INELIGIBLE:
        assert before.status is INELIGIBLE


@settings(max_examples=100)
@given(scenarios(), st.booleans())
def test_deterministic(scenario: tuple[list[ExperienceEntry], date, date], proof: bool) -> None:
    rows, starts, received = scenario
    form = qualified(("公認心理師", Mark.UNKNOWN))
    first = judge(declaration(rows), form, starts=starts, received=received, proof=proof)
    again = judge(declaration(rows), form, starts=starts, received=received, proof=proof)
    assert first == again


@settings(max_examples=200)
@given(scenarios(), st.integers(1, 3000), st.integers(0, 5000))
def test_days_outside_the_window_never_count(
    scenario: tuple[list[ExperienceEntry], date, date], back: int, days: int
) -> None:
    rows, starts, received = scenario
    first, _ = experience_window(starts)
    # A row that ends before the window changes nothing, whatever it declares.
    before = row(first - timedelta(days=back), first - timedelta(days=1), days)
    a = judge(declaration(rows), starts=starts, received=received)
    b = judge(declaration([*rows, before]), starts=starts, received=received)
    assert key(a) == key(b)
    # Nor does a row that starts after the application was received.
    later = row(received + timedelta(days=1), received + timedelta(days=back), days)
    c = judge(declaration([*rows, later]), starts=starts, received=received)
    assert key(a) == key(c)


def test_row_after_the_received_date_says_so() -> None:
    result = judge(sheet(SUFFICIENT, row(date(2025, 4, 15), date(2025, 5, 31), 30)))
    assert (result.status, result.tenure_days, result.worked_days) == (ELIGIBLE, 731, 400)
    assert "（47日、従事30日） … 受付日より後のため数えません" in result.explanation


@settings(max_examples=200)
@given(scenarios())
def test_status_agrees_with_the_thresholds(
    scenario: tuple[list[ExperienceEntry], date, date],
) -> None:
    rows, starts, received = scenario
    result = judge(declaration(rows), starts=starts, received=received)
    if result.status is ELIGIBLE:
        assert result.tenure_days >= MIN_TENURE_DAYS
        assert result.worked_days is None or result.worked_days >= MIN_WORKED_DAYS
    if result.worked_days is not None and result.worked_days < MIN_WORKED_DAYS:
        assert result.status is INELIGIBLE
    assert result.explanation.splitlines()[-1].startswith("判定: ")


@settings(max_examples=100)
@given(scenarios())
def test_clean_rows_inside_the_window_add_up(
    scenario: tuple[list[ExperienceEntry], date, date],
) -> None:
    _, starts, received = scenario
    first, _ = experience_window(starts)
    rows = [
        row(first + timedelta(days=400 * i), first + timedelta(days=400 * i + 299), 100 + i)
        for i in range(3)
        if first + timedelta(days=400 * i + 299) <= received
    ]
    result = judge(declaration(rows), starts=starts, received=received)
    assert result.worked_days == sum(e.days_worked or 0 for e in rows)
    assert result.tenure_days == 300 * len(rows)
