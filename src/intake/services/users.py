"""The console's users: added, re-passworded, disabled and listed (from the CLI), each change
in the audit trail. Passwords are hashed by an adapter behind ``PasswordHashing``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select

from intake.adapters.orm import User
from intake.domain.accounts import (
    ROLE_LABELS,
    AccountRuleError,
    Role,
    SessionEnd,
    check_password,
    normalise_user_name,
)
from intake.services import audit
from intake.services.sessions import end_sessions_of
from intake.services.unit_of_work import UnitOfWork


class PasswordHashing(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str | None, password: str) -> bool: ...

    def needs_rehash(self, hashed: str) -> bool: ...


class AccountError(Exception):
    """A refused account change; the message is for the operator."""


class UserExists(AccountError):
    pass


class UnknownUser(AccountError):
    pass


@dataclass(frozen=True)
class UserView:
    name: str
    role: Role
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _view(user: User) -> UserView:
    return UserView(
        name=user.name,
        role=Role(user.role),
        created_at=user.created_at,
        password_changed_at=user.password_changed_at,
        disabled_at=user.disabled_at,
        last_login_at=user.last_login_at,
    )


def _checked_name(raw: str) -> str:
    try:
        return normalise_user_name(raw)
    except AccountRuleError as exc:
        raise AccountError(str(exc)) from exc


def _checked_password(password: str) -> None:
    try:
        check_password(password)
    except AccountRuleError as exc:
        raise AccountError(str(exc)) from exc


def find_user(uow: UnitOfWork, name: str) -> User | None:
    try:
        key = normalise_user_name(name)
    except AccountRuleError:
        return None
    return uow.session.scalars(select(User).where(User.name == key)).one_or_none()


def _existing(uow: UnitOfWork, raw: str) -> User:
    user = find_user(uow, raw)
    if user is None:
        raise UnknownUser(f"利用者 {raw} は登録されていません")
    return user


def add_user(
    uow: UnitOfWork,
    hasher: PasswordHashing,
    name: str,
    role: Role,
    password: str,
    *,
    operator: str,
    now: datetime | None = None,
) -> UserView:
    when = now or datetime.now(UTC)
    key = _checked_name(name)
    _checked_password(password)
    with uow:
        if find_user(uow, key) is not None:
            raise UserExists(f"利用者 {key} はすでに登録されています")
        user = User(
            name=key,
            role=role.value,
            password_hash=hasher.hash(password),
            created_at=when,
            password_changed_at=when,
        )
        uow.repo.add(user)
        audit.record(uow, operator=operator, action="user.add", target=f"user:{key}", role=role)
        uow.commit()
        return _view(user)


def change_password(
    uow: UnitOfWork,
    hasher: PasswordHashing,
    name: str,
    password: str,
    *,
    operator: str,
    now: datetime | None = None,
) -> UserView:
    """A new password; every session of the user ends (a stolen one included)."""
    when = now or datetime.now(UTC)
    _checked_password(password)
    with uow:
        user = _existing(uow, name)
        user.password_hash = hasher.hash(password)
        user.password_changed_at = when
        end_sessions_of(uow, user.id, SessionEnd.PASSWORD_CHANGED, when)
        audit.record(uow, operator=operator, action="user.passwd", target=f"user:{user.name}")
        uow.commit()
        return _view(user)


def set_disabled(
    uow: UnitOfWork,
    name: str,
    disabled: bool,
    *,
    operator: str,
    now: datetime | None = None,
) -> UserView:
    """Disable (ending every session at once) or enable again a user."""
    when = now or datetime.now(UTC)
    with uow:
        user = _existing(uow, name)
        if disabled and user.disabled_at is None:
            user.disabled_at = when
            end_sessions_of(uow, user.id, SessionEnd.DISABLED, when)
        elif not disabled:
            user.disabled_at = None
        action = "user.disable" if disabled else "user.enable"
        audit.record(uow, operator=operator, action=action, target=f"user:{user.name}")
        uow.commit()
        return _view(user)


def list_users(uow: UnitOfWork) -> list[UserView]:
    with uow:
        return [_view(u) for u in uow.session.scalars(select(User).order_by(User.name))]
