"""The account rules: user names, passwords, and when failures lock a name or address out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.domain.accounts import (
    AccountRuleError,
    LoginPolicy,
    check_password,
    locked_until,
    normalise_user_name,
)

T0 = datetime(2025, 4, 14, 1, 0, tzinfo=UTC)
POLICY = LoginPolicy(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=15))


def minutes(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("Tanaka", "tanaka"), ("ｔａｎａｋａ", "tanaka"), (" sato.k ", "sato.k"), ("田中", "田中")],
)
def test_user_names_are_normalised(raw: str, stored: str) -> None:
    assert normalise_user_name(raw) == stored


@pytest.mark.parametrize("raw", ["", "   ", "tanaka taro", "a<b>", "x" * 65, "tab\tname"])
def test_bad_user_names_are_refused_in_japanese(raw: str) -> None:
    with pytest.raises(AccountRuleError, match="利用者名"):
        normalise_user_name(raw)


def test_passwords_need_twelve_characters() -> None:
    check_password("abcdefghijkl")
    check_password("日本語のパスワードです１２")
    with pytest.raises(AccountRuleError, match="12 文字以上"):
        check_password("abcdefghijk")
    with pytest.raises(AccountRuleError, match="制御文字"):
        check_password("abcdefghijkl\n")


def test_fewer_failures_than_the_limit_never_lock() -> None:
    assert locked_until(minutes(0, 1), T0 + timedelta(minutes=2), POLICY) is None


def test_the_failure_completing_the_limit_locks_for_the_lockout() -> None:
    failures = minutes(0, 5, 10)
    assert locked_until(failures, T0 + timedelta(minutes=11), POLICY) == T0 + timedelta(minutes=25)
    assert locked_until(failures, T0 + timedelta(minutes=25), POLICY) is None


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    assert locked_until(minutes(0, 10, 16), T0 + timedelta(minutes=17), POLICY) is None


def test_after_a_lockout_the_full_count_is_available_again() -> None:
    # Locked at minute 2 until 17; one more failure at 18 does not lock at once.
    failures = minutes(0, 1, 2, 18)
    assert locked_until(failures, T0 + timedelta(minutes=18), POLICY) is None
    assert locked_until([*failures, *minutes(19, 20)], T0 + timedelta(minutes=20), POLICY) == (
        T0 + timedelta(minutes=35)
    )
