"""Logging in to the console and the sessions that follow.

A login is refused without looking at the password while its user name or its client address
is locked out (``domain.accounts.locked_until``); every attempt is stored, so a lockout holds
across restarts and across processes. A session lives in the database: the browser holds a
random token (its sha256 is stored), idle expiry is decided here, and ending a session or
disabling its user makes the cookie worthless at once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update

from intake.adapters.orm import LoginAttempt, User, WebSession
from intake.domain.accounts import (
    AccountRuleError,
    AttemptResult,
    LoginOutcome,
    LoginPolicy,
    Role,
    SessionEnd,
    locked_until,
    normalise_user_name,
)
from intake.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from intake.services.users import PasswordHashing

log = logging.getLogger("intake.sessions")

# last_seen_at is written at most this often, not on every page.
TOUCH_INTERVAL = timedelta(seconds=15)
# Login attempts and ended sessions are kept this long (for an inquiry), then pruned.
RETENTION = timedelta(days=90)
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class SessionUser:
    """The logged-in user of one request, as the pages see them."""

    session_id: int
    user_id: int
    name: str
    role: Role
    csrf_token: str

    @property
    def can_act(self) -> bool:
        return self.role is Role.OPERATOR


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: SessionUser | None = None
    token: str | None = None  # for the cookie; only its hash is stored
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Resumed:
    user: SessionUser | None
    expired: bool = False  # a session existed but ran idle too long (or its user went away)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _attempt_key(name: str) -> str:
    try:
        return normalise_user_name(name)
    except AccountRuleError:
        return name.strip().lower()[:255]


def _lockout(
    uow: UnitOfWork, key: str, address: str, now: datetime, policy: LoginPolicy
) -> datetime | None:
    since = now - policy.lookback
    last_success = uow.session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.user_name == key, LoginAttempt.result == AttemptResult.SUCCESS
        )
    )
    by_name = select(LoginAttempt.at).where(
        LoginAttempt.user_name == key,
        LoginAttempt.result == AttemptResult.FAILURE,
        LoginAttempt.at >= since,
    )
    if last_success is not None:
        by_name = by_name.where(LoginAttempt.at > last_success)
    by_address = select(LoginAttempt.at).where(
        LoginAttempt.client_address == address,
        LoginAttempt.result == AttemptResult.FAILURE,
        LoginAttempt.at >= since,
    )
    ends = [
        locked_until(list(uow.session.scalars(query)), now, policy)
        for query in (by_name, by_address)
    ]
    found = [end for end in ends if end is not None]
    return max(found) if found else None


def log_in(
    uow: UnitOfWork,
    hasher: PasswordHashing,
    *,
    name: str,
    password: str,
    client_address: str | None,
    now: datetime,
    policy: LoginPolicy,
) -> LoginResult:
    key = _attempt_key(name)
    address = (client_address or UNKNOWN_ADDRESS)[:64]
    with uow:
        _prune(uow, now)
        until = _lockout(uow, key, address, now, policy)
        if until is not None:
            _record(uow, key, address, now, AttemptResult.REFUSED)
            uow.commit()
            log.warning("login refused (locked out until %s): user %r from %s", until, key, address)
            return LoginResult(LoginOutcome.LOCKED, locked_until=until)
        user = uow.session.scalars(select(User).where(User.name == key)).one_or_none()
        usable = user is not None and user.disabled_at is None
        hashed = user.password_hash if user is not None and usable else None
        if not hasher.verify(hashed, password) or user is None:
            _record(uow, key, address, now, AttemptResult.FAILURE)
            uow.session.flush()
            until = _lockout(uow, key, address, now, policy)
            uow.commit()
            log.warning("login failed: user %r from %s", key, address)
            if until is not None:
                log.warning("login locked out until %s: user %r, address %s", until, key, address)
                return LoginResult(LoginOutcome.LOCKED, locked_until=until)
            return LoginResult(LoginOutcome.WRONG)
        _record(uow, key, address, now, AttemptResult.SUCCESS)
        if hasher.needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        user.last_login_at = now
        token = secrets.token_urlsafe(32)
        session = WebSession(
            token_sha256=token_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            client_address=address,
            created_at=now,
            last_seen_at=now,
        )
        uow.repo.add(session)
        uow.session.flush()
        uow.commit()
        log.info("login: user %r from %s", key, address)
        return LoginResult(LoginOutcome.OK, user=_session_user(session, user), token=token)


def _record(uow: UnitOfWork, key: str, address: str, now: datetime, result: AttemptResult) -> None:
    uow.repo.add(LoginAttempt(at=now, user_name=key, client_address=address, result=result))


def _session_user(session: WebSession, user: User) -> SessionUser:
    return SessionUser(
        session_id=session.id,
        user_id=user.id,
        name=user.name,
        role=Role(user.role),
        csrf_token=session.csrf_token,
    )


def resume(uow: UnitOfWork, token: str, *, now: datetime, idle: timedelta) -> Resumed:
    """The user of a session cookie's token, or why there is none."""
    with uow:
        row = uow.session.execute(
            select(WebSession, User)
            .join(User, WebSession.user_id == User.id)
            .where(WebSession.token_sha256 == token_digest(token))
        ).one_or_none()
        if row is None:
            return Resumed(None)
        session, user = row
        if session.ended_at is not None:
            return Resumed(None, expired=session.end_reason == SessionEnd.EXPIRED)
        if user.disabled_at is not None:
            _end(session, SessionEnd.DISABLED, now)
            uow.commit()
            return Resumed(None)
        if now - session.last_seen_at > idle:
            _end(session, SessionEnd.EXPIRED, now)
            uow.commit()
            log.info("session expired after %s idle: user %r", idle, user.name)
            return Resumed(None, expired=True)
        if now - session.last_seen_at >= TOUCH_INTERVAL:
            session.last_seen_at = now
            uow.commit()
        return Resumed(_session_user(session, user))


def log_out(uow: UnitOfWork, session_id: int, *, now: datetime) -> None:
    with uow:
        session = uow.session.get(WebSession, session_id)
        if session is not None and session.ended_at is None:
            _end(session, SessionEnd.LOGOUT, now)
            uow.commit()


def end_sessions_of(uow: UnitOfWork, user_id: int, reason: SessionEnd, now: datetime) -> None:
    """End every open session of a user, inside the caller's unit of work."""
    uow.session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


def _end(session: WebSession, reason: SessionEnd, now: datetime) -> None:
    session.ended_at = now
    session.end_reason = reason


def _prune(uow: UnitOfWork, now: datetime) -> None:
    cutoff = now - RETENTION
    uow.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    # A session never logged out (the browser was closed) ends by idling; it goes too.
    uow.session.execute(delete(WebSession).where(WebSession.last_seen_at < cutoff))
