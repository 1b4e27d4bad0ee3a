"""The lifecycles: example moves, and properties over every sequence of events."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain import labels, lifecycle
from intake.domain.eligibility import EligibilityStatus
from intake.domain.lifecycle import (
    MAY_HAVE_ARRIVED,
    NO_RETRY,
    SENDABLE,
    ApplicationStatus,
    IllegalTransition,
    RejectionStatus,
    Resolution,
    RetryPolicy,
    SendOutcome,
    SendStatus,
    ServerState,
    TermState,
)
from intake.domain.model import TOKYO, DocType, Outcome, ReasonCode, Term

ACKS = RetryPolicy(max_attempts=3, base_delay=timedelta(minutes=5))
AT = datetime(2025, 4, 21, 9, 0, tzinfo=UTC)


# -- stored values ------------------------------------------------------------------------------
def test_the_enums_hold_the_strings_the_database_always_held() -> None:
    assert [s.value for s in SendStatus] == [
        "pending",
        "claimed",
        "sending",
        "sent",
        "held",
        "failed",
        "cancelled",
    ]
    assert [s.value for s in RejectionStatus] == ["open", "resolved"]
    assert [r.value for r in Resolution] == [
        "operator",
        "accepted",
        "reprocessed",
        "supplemented",
        "resubmitted",
    ]
    assert [s.value for s in ApplicationStatus] == ["accepted", "superseded"]
    assert [s.value for s in ServerState] == ["pending", "done", "none"]


@pytest.mark.parametrize(
    ("enum", "names"),
    [
        (SendStatus, labels.ACK_LABELS),
        (SendStatus, labels.DEFICIENCY_NOTICE_LABELS),
        (RejectionStatus, labels.REJECTION_STATUS_LABELS),
        (Resolution, labels.RESOLUTION_LABELS),
        (ApplicationStatus, labels.APPLICATION_STATUS_LABELS),
        (ServerState, labels.SERVER_STATE_LABELS),
        (TermState, labels.TERM_STATE_LABELS),
        (EligibilityStatus, labels.ELIGIBILITY_LABELS),
        (Outcome, labels.OUTCOME_LABELS),
        (DocType, labels.DOC_LABELS),
        (ReasonCode, labels.REASON_LABELS),
    ],
)
def test_every_value_has_a_japanese_label(enum: type[StrEnum], names: dict[StrEnum, str]) -> None:
    assert set(names) == set(enum)
    assert all(text and not text.isascii() for text in names.values())


def test_labels_of_stored_values() -> None:
    assert labels.label(labels.ACK_LABELS, SendStatus.HELD) == "保留"
    assert labels.label(labels.DEFICIENCY_NOTICE_LABELS, SendStatus.HELD) == "送信結果不明で保留"
    assert labels.label(labels.RESOLUTION_LABELS, None) == ""
    assert labels.state_label(Resolution.SUPPLEMENTED) == "追加書類で完備"


# -- the outbox: examples -----------------------------------------------------------------------
def test_a_mail_goes_out_once() -> None:
    state = lifecycle.claim(SendStatus.PENDING)
    state = lifecycle.begin_send(state)
    assert state is SendStatus.SENDING
    step = lifecycle.after_send(state, SendOutcome.SENT, 1, ACKS, detail="250 OK")
    assert step == lifecycle.SendStep(SendStatus.SENT, None)
    with pytest.raises(IllegalTransition):
        lifecycle.begin_send(step.status)


def test_unknown_fate_is_held_with_the_servers_words() -> None:
    step = lifecycle.after_send(SendStatus.SENDING, SendOutcome.UNKNOWN, 1, ACKS, detail="切断")
    assert step.status is SendStatus.HELD
    assert step.note == "送信結果不明: 切断"
    assert step.retry_after is None


def test_temporary_refusals_are_retried_with_growing_delays_then_fail() -> None:
    delays = []
    for attempts in (1, 2):
        step = lifecycle.after_send(SendStatus.SENDING, SendOutcome.TEMPORARY, attempts, ACKS)
        assert step.status is SendStatus.PENDING
        assert step.note is not None and f"{attempts} 回目の送信に失敗" in step.note
        delays.append(step.retry_after)
    assert delays == [timedelta(minutes=5), timedelta(minutes=10)]
    last = lifecycle.after_send(SendStatus.SENDING, SendOutcome.TEMPORARY, 3, ACKS, detail="421")
    assert (last.status, last.note, last.retry_after) == (SendStatus.FAILED, "421", None)


def test_a_notice_is_never_retried_by_itself() -> None:
    for outcome in (SendOutcome.TEMPORARY, SendOutcome.PERMANENT):
        step = lifecycle.after_send(SendStatus.SENDING, outcome, 1, NO_RETRY, detail="550")
        assert (step.status, step.note) == (SendStatus.FAILED, "550")


def test_after_send_only_follows_a_send() -> None:
    for state in set(SendStatus) - {SendStatus.SENDING}:
        with pytest.raises(IllegalTransition):
            lifecycle.after_send(state, SendOutcome.SENT, 1, ACKS)


def test_recovery_after_a_crash() -> None:
    assert lifecycle.recover(SendStatus.SENDING) is SendStatus.HELD
    assert lifecycle.recover(SendStatus.CLAIMED) is SendStatus.PENDING
    with pytest.raises(IllegalTransition):
        lifecycle.recover(SendStatus.SENT)


def test_operator_moves() -> None:
    assert lifecycle.hold(SendStatus.PENDING) is SendStatus.HELD
    assert lifecycle.hold(SendStatus.FAILED) is SendStatus.HELD
    assert lifecycle.release(SendStatus.HELD) is SendStatus.PENDING
    assert lifecycle.release(SendStatus.FAILED) is SendStatus.PENDING
    assert lifecycle.confirm(SendStatus.HELD) is SendStatus.SENT
    for move, refused in (
        (lifecycle.hold, SendStatus.SENT),
        (lifecycle.release, SendStatus.SENT),
        (lifecycle.release, SendStatus.PENDING),
        (lifecycle.confirm, SendStatus.FAILED),
        (lifecycle.cancel, SendStatus.SENT),
    ):
        with pytest.raises(IllegalTransition):
            move(refused)


def test_a_refusal_is_one_japanese_line_naming_the_record() -> None:
    with pytest.raises(IllegalTransition) as caught:
        lifecycle.hold(SendStatus.SENT)
    assert str(caught.value) == "この記録は「送信済み」のため保留にできません"
    named = caught.value.about("受付完了メール 12")
    assert str(named) == "受付完了メール 12は「送信済み」のため保留にできません"
    with pytest.raises(IllegalTransition) as again:
        lifecycle.release(SendStatus.SENT)
    assert "\n" not in str(again.value) and "再開できません" in str(again.value)


# -- the outbox: properties ---------------------------------------------------------------------
# Every event the outbox knows. A sequence of events is applied to one mail; an event the
# lifecycle refuses in the current state changes nothing (it raised), as in the services.
@dataclass(frozen=True)
class Event:
    name: str
    move: Callable[[SendStatus], SendStatus]
    operator_release: bool = False
    # From "sending", this event means the recipient may have the mail (or surely has it).
    may_deliver: bool = False


def _after(outcome: SendOutcome, attempts: int, policy: RetryPolicy) -> Event:
    return Event(
        f"after_send({outcome.value}, {attempts})",
        lambda s: lifecycle.after_send(s, outcome, attempts, policy).status,
        may_deliver=outcome in (SendOutcome.SENT, SendOutcome.UNKNOWN),
    )


EVENTS = st.one_of(
    st.sampled_from(
        [
            Event("claim", lifecycle.claim),
            Event("unclaim", lifecycle.unclaim),
            Event("begin_send", lifecycle.begin_send),
            Event("recover", lifecycle.recover, may_deliver=True),  # died while sending
            Event("refuse", lifecycle.refuse),
            Event("cancel", lifecycle.cancel),
            Event("hold", lifecycle.hold),
            Event("release", lifecycle.release, operator_release=True),
            Event("confirm", lifecycle.confirm),
        ]
    ),
    st.builds(
        _after,
        st.sampled_from(list(SendOutcome)),
        st.integers(min_value=1, max_value=6),
        st.sampled_from([NO_RETRY, ACKS]),
    ),
)


@dataclass
class Trace:
    state: SendStatus = SendStatus.PENDING
    sends: int = 0
    # Set when a send was answered "sent", or its fate is unknown (no answer, or the process
    # died); cleared only by an operator's release.
    may_have_arrived: bool = False
    history: list[str] = field(default_factory=list)


def _run(events: list[Event]) -> Trace:
    trace = Trace()
    for event in events:
        before = trace.state
        try:
            after = event.move(before)
        except IllegalTransition:
            continue
        trace.history.append(f"{before.value} --{event.name}--> {after.value}")
        if event.operator_release:
            trace.may_have_arrived = False
        if event.name == "begin_send":
            assert not trace.may_have_arrived, trace.history  # a second send of the same mail
            trace.sends += 1
        if before is SendStatus.SENDING and event.may_deliver:
            trace.may_have_arrived = True
        trace.state = after
    return trace


@settings(max_examples=400, deadline=None)
@given(st.lists(EVENTS, max_size=40))
def test_no_sequence_of_events_sends_a_mail_twice(events: list[Event]) -> None:
    trace = _run(events)
    if trace.may_have_arrived:
        assert trace.state not in SENDABLE, trace.history


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=1, max_value=10),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=1)),
    st.text(max_size=20),
)
def test_every_unknown_fate_ends_held(
    attempts: int, max_attempts: int, delay: timedelta, detail: str
) -> None:
    policy = RetryPolicy(max_attempts, delay)
    step = lifecycle.after_send(
        SendStatus.SENDING, SendOutcome.UNKNOWN, attempts, policy, detail=detail
    )
    assert step.status is SendStatus.HELD
    assert step.note is not None and step.note.startswith(lifecycle.UNKNOWN_RESULT)
    assert lifecycle.recover(SendStatus.SENDING) is SendStatus.HELD


def _moves_from(state: SendStatus) -> set[tuple[str, SendStatus]]:
    """Every (event, next state) the lifecycle allows from ``state``."""
    moves: set[tuple[str, SendStatus]] = set()
    plain: dict[str, Callable[[SendStatus], SendStatus]] = {
        "claim": lifecycle.claim,
        "unclaim": lifecycle.unclaim,
        "begin_send": lifecycle.begin_send,
        "recover": lifecycle.recover,
        "refuse": lifecycle.refuse,
        "cancel": lifecycle.cancel,
        "hold": lifecycle.hold,
        "release": lifecycle.release,
        "confirm": lifecycle.confirm,
    }
    for name, move in plain.items():
        with contextlib.suppress(IllegalTransition):
            moves.add((name, move(state)))
    for outcome in SendOutcome:
        for attempts in range(1, 5):
            try:
                step = lifecycle.after_send(state, outcome, attempts, ACKS)
            except IllegalTransition:
                continue
            moves.add((f"after_send:{outcome.value}", step.status))
    return moves


def test_nothing_that_may_have_arrived_becomes_sendable_without_a_release() -> None:
    """Exhaustively: from sent or held, and from a send answered "sent" or "unknown", no path
    that avoids the operator's release reaches a state a send may begin from."""
    starts = {SendStatus.SENT, SendStatus.HELD}
    for outcome in (SendOutcome.SENT, SendOutcome.UNKNOWN):
        starts.add(lifecycle.after_send(SendStatus.SENDING, outcome, 1, ACKS).status)
    starts.add(lifecycle.recover(SendStatus.SENDING))
    seen = set(starts)
    frontier = list(starts)
    while frontier:
        state = frontier.pop()
        for name, following in _moves_from(state):
            if name == "release" or following in seen:
                continue
            seen.add(following)
            frontier.append(following)
    assert not seen & SENDABLE, seen
    assert starts <= MAY_HAVE_ARRIVED


# -- rejections ---------------------------------------------------------------------------------
@dataclass
class FakeRejection:
    status: RejectionStatus = RejectionStatus.OPEN
    resolution: Resolution | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None


def test_resolve_records_how_by_whom_when_and_why() -> None:
    rejection = FakeRejection()
    lifecycle.resolve(rejection, Resolution.SUPPLEMENTED, "intake", "追加書類", at=AT)
    assert rejection == FakeRejection(
        RejectionStatus.RESOLVED, Resolution.SUPPLEMENTED, AT, "intake", "追加書類"
    )


def test_a_resolved_rejection_is_not_resolved_again() -> None:
    rejection = FakeRejection()
    lifecycle.resolve(rejection, Resolution.OPERATOR, "sato", "電話で確認", at=AT)
    with pytest.raises(IllegalTransition, match="「対応済み」のため対応済みにできません"):
        lifecycle.resolve(rejection, Resolution.ACCEPTED, "suzuki", None, at=AT)
    assert (rejection.resolution, rejection.resolved_by) == (Resolution.OPERATOR, "sato")


def test_reopen_only_what_a_person_closed_by_hand() -> None:
    rejection = FakeRejection()
    lifecycle.resolve(rejection, Resolution.OPERATOR, "sato", "電話で確認", at=AT)
    lifecycle.reopen(rejection, "申込者から再連絡")
    assert rejection == FakeRejection(note="申込者から再連絡")
    lifecycle.resolve(rejection, Resolution.REPROCESSED, "sato", None, at=AT)
    with pytest.raises(IllegalTransition, match="「再処理で受付」のため未対応に戻せません"):
        lifecycle.reopen(rejection, None)
    with pytest.raises(IllegalTransition):
        lifecycle.reopen(FakeRejection(), None)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["resolve", "reopen"]), st.sampled_from(list(Resolution))),
        max_size=20,
    )
)
def test_rejection_states_stay_consistent(moves: list[tuple[str, Resolution]]) -> None:
    rejection = FakeRejection()
    for move, how in moves:
        try:
            if move == "resolve":
                lifecycle.resolve(rejection, how, "op", None, at=AT)
            else:
                lifecycle.reopen(rejection, None)
        except IllegalTransition:
            continue
    # Open means no resolution; resolved means a resolution, a time and a person.
    if rejection.status is RejectionStatus.OPEN:
        assert (rejection.resolution, rejection.resolved_at, rejection.resolved_by) == (
            None,
            None,
            None,
        )
    else:
        assert rejection.resolution is not None and rejection.resolved_by == "op"


# -- applications, server marks, terms ----------------------------------------------------------
def test_an_application_is_superseded_once() -> None:
    assert lifecycle.supersede(ApplicationStatus.ACCEPTED) is ApplicationStatus.SUPERSEDED
    with pytest.raises(IllegalTransition, match="置き換えられません"):
        lifecycle.supersede(ApplicationStatus.SUPERSEDED)


def test_server_marks() -> None:
    assert lifecycle.initial_server_state(from_mailbox=True) is ServerState.PENDING
    assert lifecycle.initial_server_state(from_mailbox=False) is ServerState.NONE
    assert lifecycle.marked(ServerState.PENDING) is ServerState.DONE
    assert lifecycle.marked(ServerState.DONE) is ServerState.DONE  # found unmarked again
    assert lifecycle.renumbered(ServerState.DONE) is ServerState.PENDING
    with pytest.raises(IllegalTransition):
        lifecycle.marked(ServerState.NONE)


def test_term_states() -> None:
    term = Term(
        id=1,
        name="第1期",
        opens_at=datetime(2025, 3, 10, 10, tzinfo=TOKYO),
        closes_at=datetime(2025, 5, 7, 17, tzinfo=TOKYO),
        training_starts_on=datetime(2025, 6, 2).date(),
    )
    state = lifecycle.term_state
    assert state(term, datetime(2025, 3, 1, tzinfo=TOKYO), cutoff_done=False) is TermState.NOT_OPEN
    assert state(term, term.opens_at, cutoff_done=False) is TermState.OPEN
    assert state(term, term.closes_at, cutoff_done=False) is TermState.CUTOFF_PENDING
    assert state(term, term.closes_at, cutoff_done=True) is TermState.CUTOFF_DONE
