"""The submission rules: the applicant key, supplements, supersession, closing moot submissions."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain.model import TOKYO, DocType, ReasonCode
from intake.domain.submissions import (
    ApplicantKey,
    CurrentApplication,
    OpenSubmission,
    closed_by,
    completed_submission,
    documents_a_supplement_may_bring,
    same_applicant,
    same_name_only,
    supersession,
)

T1 = frozenset({1})
DAY = timedelta(days=1)
START = datetime(2025, 4, 14, 10, tzinfo=TOKYO)

OFFICE = "office@example.jp"
HOME = "taro@example.com"
FORM = "taro.yamada@example.jp"
MISSING_CERT = frozenset({ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE.value})


def key(
    sender: str | None = OFFICE,
    form_email: str | None = None,
    name: str = "YAMADA Taro",
    terms: frozenset[int] = T1,
) -> ApplicantKey:
    return ApplicantKey(terms, name, sender, form_email)


def submission(
    rejection_id: int,
    day: int,
    codes: frozenset[str] = MISSING_CERT,
    applicant: ApplicantKey | None = None,
) -> OpenSubmission:
    return OpenSubmission(
        rejection_id=rejection_id,
        message_id=100 + rejection_id,
        key=applicant or key(),
        received_at=START + day * DAY,
        codes=codes,
    )


def current(application_id: int, day: int, applicant: ApplicantKey) -> CurrentApplication:
    return CurrentApplication(application_id, applicant, START + day * DAY)


# -- the applicant key --------------------------------------------------------------------------
def test_same_sender_same_name_same_term_is_the_same_applicant() -> None:
    assert same_applicant(key(), key(name="yamada  taro"))
    assert same_applicant(key("Office@Example.JP"), key(OFFICE))
    assert same_applicant(key("ｏｆｆｉｃｅ@example.jp"), key(OFFICE))  # full-width, as typed


def test_same_form_email_from_two_senders_is_the_same_applicant() -> None:
    assert same_applicant(key(OFFICE, FORM), key(HOME, FORM.upper()))


def test_neither_address_agreeing_is_not_the_same_applicant() -> None:
    first, second = key(OFFICE, FORM), key(HOME, "other@example.jp")
    assert not same_applicant(first, second)
    assert same_name_only(first, second)


def test_a_missing_address_never_matches() -> None:
    assert not same_applicant(key(None, None), key(None, None))
    assert not same_applicant(key(OFFICE, None), key(HOME, None))
    assert not same_applicant(key(OFFICE, ""), key(HOME, " "))


def test_another_term_or_name_is_another_applicant() -> None:
    assert not same_applicant(key(terms=frozenset({1})), key(terms=frozenset({2})))
    assert same_applicant(key(terms=frozenset({1, 2})), key(terms=frozenset({2})))
    assert not same_applicant(key(name="YAMADA Jiro"), key())
    assert not same_name_only(key(name="YAMADA Jiro"), key(HOME))


IDS = st.integers(min_value=1, max_value=1000)
INSTANTS = st.integers(min_value=0, max_value=10).map(lambda d: START + d * DAY)
ADDRESSES = st.sampled_from([None, OFFICE, HOME, FORM, "OFFICE@example.jp", ""])
KEYS = st.builds(
    ApplicantKey,
    st.frozensets(st.integers(min_value=1, max_value=3), max_size=2),
    st.sampled_from(["YAMADA Taro", "Yamada Taro", "SATO Hanako"]),
    ADDRESSES,
    ADDRESSES,
)


@settings(max_examples=300, deadline=None)
@given(KEYS, KEYS)
def test_the_applicant_key_is_symmetric_and_never_both(a: ApplicantKey, b: ApplicantKey) -> None:
    assert same_applicant(a, b) == same_applicant(b, a)
    assert not (same_applicant(a, b) and same_name_only(a, b))
    if same_applicant(a, b) or same_name_only(a, b):
        assert a.term_ids & b.term_ids and a.name_key == b.name_key


# -- supplements --------------------------------------------------------------------------------
def test_a_certificate_completes_the_latest_open_submission() -> None:
    older, newer = submission(1, 0), submission(2, 1)
    found = completed_submission(key(), 999, [DocType.EMPLOYMENT_CERTIFICATE], [older, newer])
    assert found == newer


def test_a_supplement_brings_only_what_is_missing_or_supporting() -> None:
    open_ = [submission(1, 0)]
    assert completed_submission(key(), 999, [DocType.APPLICATION_FORM], open_) is None
    with_proof = [DocType.EMPLOYMENT_CERTIFICATE, DocType.EXPERIENCE_PROOF]
    assert completed_submission(key(), 999, with_proof, open_) == open_[0]
    assert completed_submission(key(), 999, [], open_) is None


def test_a_qualification_proof_completes_what_asks_for_it() -> None:
    # The real cases of the proof: it stands in for the experience sheet, and it is what
    # MISSING_QUALIFICATION_PROOF asks for. Both are covered by "supporting documents are
    # always welcome", so the rule needs no separate entry for it.
    proof = [DocType.QUALIFICATION_PROOF]
    for code in (ReasonCode.MISSING_QUALIFICATION_PROOF, ReasonCode.MISSING_EXPERIENCE_SHEET):
        open_ = [submission(1, 0, frozenset({code.value}))]
        assert completed_submission(key(), 999, proof, open_) == open_[0]
    assert DocType.QUALIFICATION_PROOF in documents_a_supplement_may_bring(
        {ReasonCode.MISSING_QUALIFICATION_PROOF.value}
    )


def test_what_a_supplement_cannot_complete() -> None:
    cert = [DocType.EMPLOYMENT_CERTIFICATE]
    # Another problem than a missing document, or no reasons at all.
    mixed = MISSING_CERT | {ReasonCode.FORM_INVALID.value}
    assert completed_submission(key(), 999, cert, [submission(1, 0, mixed)]) is None
    assert completed_submission(key(), 999, cert, [submission(1, 0, frozenset())]) is None
    # Itself (a mail reprocessed), another term, another applicant.
    assert completed_submission(key(), 101, cert, [submission(1, 0)]) is None
    other_term = submission(1, 0, applicant=key(terms=frozenset({2})))
    assert completed_submission(key(), 999, cert, [other_term]) is None
    other_person = submission(1, 0, applicant=key(name="SATO Hanako"))
    assert completed_submission(key(), 999, cert, [other_person]) is None
    # A code this version does not know is not a missing document.
    unknown = frozenset({"MISSING_SOMETHING_NEW"})
    assert completed_submission(key(), 999, cert, [submission(1, 0, unknown)]) is None


# -- supersession -------------------------------------------------------------------------------
def test_a_later_application_replaces_the_earlier_one() -> None:
    earlier = current(1, 0, key(OFFICE))
    decided = supersession(key(OFFICE), START + DAY, [earlier])
    assert decided.superseded_by is None and decided.replaces == (earlier,)
    assert decided.same_name_elsewhere == ()


def test_one_person_from_two_addresses_with_one_form_email() -> None:
    earlier = current(1, 0, key(OFFICE, FORM))
    decided = supersession(key(HOME, FORM), START + DAY, [earlier])
    assert decided.replaces == (earlier,)
    assert decided.same_name_elsewhere == ()


def test_same_name_matching_neither_address_is_flagged_not_merged() -> None:
    other = current(1, 0, key(OFFICE, FORM))
    decided = supersession(key(HOME, "someone@example.jp"), START + DAY, [other])
    assert decided.replaces == () and decided.superseded_by is None
    assert decided.same_name_elsewhere == (other,)


def test_a_submission_begun_earlier_never_replaces_a_newer_application() -> None:
    newer = current(2, 1, key(HOME, FORM))
    newest = current(3, 2, key(OFFICE))
    decided = supersession(key(OFFICE, FORM), START, [newer, newest])
    assert decided.superseded_by == newest
    assert decided.replaces == ()


APPLICATIONS = st.lists(
    st.builds(
        CurrentApplication,
        IDS,
        KEYS,
        INSTANTS,
    ),
    max_size=6,
    unique_by=lambda a: a.application_id,
)


@settings(max_examples=300, deadline=None)
@given(KEYS, INSTANTS, APPLICATIONS)
def test_supersession_properties(
    new: ApplicantKey, received_at: datetime, applications: list[CurrentApplication]
) -> None:
    decided = supersession(new, received_at, applications)
    mine = [a for a in applications if same_applicant(new, a.key)]
    if decided.superseded_by is not None:
        # Superseded at once by the newest of the same applicant's newer applications.
        assert decided.replaces == ()
        assert decided.superseded_by in mine
        assert decided.superseded_by.received_at > received_at
        assert decided.superseded_by.received_at == max(a.received_at for a in mine)
    else:
        # It replaces exactly the same applicant's applications, none of them newer.
        assert set(decided.replaces) == set(mine)
        assert all(a.received_at <= received_at for a in decided.replaces)
    assert set(decided.same_name_elsewhere).isdisjoint(mine)
    assert all(same_name_only(new, a.key) for a in decided.same_name_elsewhere)


# -- closing moot submissions -------------------------------------------------------------------
def test_a_complete_application_closes_older_incomplete_submissions() -> None:
    older = submission(1, 0)
    closed = closed_by(
        key(), own_messages=[999], completed_at=START + DAY, open_submissions=[older]
    )
    assert closed == [older]


def test_a_complete_application_never_closes_a_newer_incomplete_submission() -> None:
    # Received after the application was complete: it may yet become the current application.
    newer = submission(2, 3)
    closed = closed_by(
        key(), own_messages=[999], completed_at=START + DAY, open_submissions=[newer]
    )
    assert closed == []


def test_what_a_complete_application_leaves_open() -> None:
    at = START + 5 * DAY
    own = submission(1, 0)
    other_problem = submission(2, 0, MISSING_CERT | {ReasonCode.FORM_INVALID.value})
    other_term = submission(3, 0, applicant=key(terms=frozenset({2})))
    other_sender = submission(4, 0, applicant=key(HOME))
    left = [own, other_problem, other_term, other_sender]
    assert (
        closed_by(key(), own_messages=[own.message_id], completed_at=at, open_submissions=left)
        == []
    )


# Mostly missing documents (what supplements and closing are about), and one other problem.
CODES = [
    ReasonCode.MISSING_APPLICATION_FORM.value,
    ReasonCode.MISSING_EMPLOYMENT_CERTIFICATE.value,
    ReasonCode.MISSING_QUALIFICATION_PROOF.value,
    ReasonCode.FORM_INVALID.value,
]
SUBMISSIONS = st.lists(
    st.builds(
        OpenSubmission,
        IDS,
        IDS,
        KEYS,
        INSTANTS,
        st.frozensets(st.sampled_from(CODES), max_size=2),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(KEYS, INSTANTS, SUBMISSIONS)
def test_closing_properties(
    application: ApplicantKey, completed_at: datetime, submissions: list[OpenSubmission]
) -> None:
    own = {s.message_id for s in submissions[:1]}
    closed = closed_by(application, own, completed_at, submissions)
    for s in closed:
        assert s.received_at <= completed_at  # never a newer one
        assert s.message_id not in own and s.incomplete and same_applicant(application, s.key)
    for s in submissions:
        if s not in closed:
            assert (
                s.received_at > completed_at
                or s.message_id in own
                or not s.incomplete
                or not same_applicant(application, s.key)
            )


@settings(max_examples=300, deadline=None)
@given(KEYS, st.frozensets(st.sampled_from(list(DocType)), min_size=1), SUBMISSIONS)
def test_supplement_properties(
    mail: ApplicantKey, documents: frozenset[DocType], submissions: list[OpenSubmission]
) -> None:
    found = completed_submission(mail, 0, documents, submissions)
    fitting = [
        s
        for s in submissions
        if s.incomplete
        and same_applicant(mail, s.key)
        and documents <= documents_a_supplement_may_bring(s.codes)
    ]
    if found is None:
        assert fitting == []
    else:
        assert found in fitting
        assert found.received_at == max(s.received_at for s in fitting)
