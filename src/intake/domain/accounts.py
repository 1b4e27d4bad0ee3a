"""The console's accounts: roles, what a user name and a password must be, and when repeated
login failures lock a name or an address out. Pure rules; storage and hashing live elsewhere."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
USER_NAME_MAX_LENGTH = 64


class Role(StrEnum):
    OPERATOR = "operator"  # reads everything and acts
    VIEWER = "viewer"  # reads everything, changes nothing


ROLE_LABELS = {Role.OPERATOR: "担当者", Role.VIEWER: "閲覧のみ"}


class LoginOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # unknown name, wrong password or a disabled user: one answer for all
    LOCKED = "locked"  # refused without looking at the password


class AttemptResult(StrEnum):
    """A stored login attempt, as the lockout counts it."""

    SUCCESS = "success"
    FAILURE = "failure"
    REFUSED = "refused"  # during a lockout: not a failure, so waiting it out always works


class SessionEnd(StrEnum):
    LOGOUT = "logout"
    EXPIRED = "expired"  # idle longer than [web] session_idle_minutes
    DISABLED = "disabled"
    PASSWORD_CHANGED = "password_changed"


class AccountRuleError(ValueError):
    """A user name or password that the rules refuse; the message is for the operator."""


# Letters and digits of any script, and the punctuation of login names; no spaces or controls.
_NAME = re.compile(r"[\w.@+-]+")


def normalise_user_name(raw: str) -> str:
    """The stored form of a login name: NFKC, lower case, so 「Tanaka」 and 「ｔａｎａｋａ」 are
    one user."""
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    if not name:
        raise AccountRuleError("利用者名が空です")
    if len(name) > USER_NAME_MAX_LENGTH:
        raise AccountRuleError(f"利用者名は {USER_NAME_MAX_LENGTH} 文字以内にしてください")
    if not _NAME.fullmatch(name):
        raise AccountRuleError(
            "利用者名に使えるのは文字・数字と . _ @ + - だけです（空白や記号は使えません）"
        )
    return name


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountRuleError(
            f"パスワードが短すぎます（{len(password)} 文字）。"
            f"{PASSWORD_MIN_LENGTH} 文字以上にしてください"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountRuleError(f"パスワードは {PASSWORD_MAX_LENGTH} 文字以内にしてください")
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise AccountRuleError("パスワードに制御文字（改行・タブなど）は使えません")


@dataclass(frozen=True)
class LoginPolicy:
    """After ``max_failures`` failures within ``window``, refuse for ``lockout``."""

    max_failures: int
    window: timedelta
    lockout: timedelta

    @property
    def lookback(self) -> timedelta:
        """How far back failures can still matter to a lockout in force now."""
        return self.window + self.lockout


def locked_until(
    failures: Sequence[datetime], now: datetime, policy: LoginPolicy
) -> datetime | None:
    """When the lockout that ``failures`` (times of failed attempts for one name or one
    address) put in force ends, or None when logging in is allowed now.

    A lockout starts at the failure that completes ``max_failures`` within one window and
    lasts ``lockout`` from there. The failures that caused it are then spent, and attempts
    refused during it are not failures, so after waiting it out the full count is available.
    """
    times = sorted(failures)
    until: datetime | None = None
    first = 0  # the oldest failure still counting
    for index, at in enumerate(times):
        while times[first] < at - policy.window:
            first += 1
        if index - first + 1 >= policy.max_failures:
            until = at + policy.lockout
            first = index + 1
    return until if until is not None and until > now else None
