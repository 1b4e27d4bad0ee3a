"""What a page handler uses: the console's state, the logged-in user, the current settings,
a unit of work, and rendering with the layout.

A page is a plain (sync) Starlette endpoint; Starlette runs it in a worker thread, so it may
call services directly::

    def rejection_log(request: Request) -> Response:
        user = current_user(request)              # never None behind the gate
        with_settings = settings_of(request)     # re-read when the config file changes
        rows = views.rejection_log(unit_of_work(request), ...)
        return render(request, "rejections.html", {"rows": rows}, active="rejections")

    def resolve(request: Request) -> Response:    # a POST: CSRF and role already checked
        form = posted_form(request)
        review.resolve_rejection(unit_of_work(request), ..., operator=actor(request))
        return redirect(request, "/rejections/12", flash="対応済みにしました。")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from intake.bootstrap import App
from intake.config import Settings
from intake.domain.accounts import ROLE_LABELS, LoginPolicy
from intake.entrypoints.web.navigation import NAVIGATION
from intake.entrypoints.web.security import CSRF_FIELD, Cookies, posted_form
from intake.services.sessions import SessionUser
from intake.services.unit_of_work import UnitOfWork

FLASH_COOKIE = "intake_flash"
FLASH_MAX_AGE = 300
FlashKind = Literal["info", "success", "error"]


@dataclass
class Console:
    """The console's state, one per running app (``request.app.state.console``)."""

    desk: App  # engine, and settings that `intake run` or the config watcher keep current
    cookies: Cookies
    templates: Jinja2Templates
    clock: Callable[[], datetime]
    flashes: URLSafeTimedSerializer
    refresh_settings: Callable[[], object] | None = None
    static_version: str = ""

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    @property
    def idle_timeout(self) -> timedelta:
        return timedelta(minutes=self.settings.web.session_idle_minutes)

    @property
    def login_policy(self) -> LoginPolicy:
        web = self.settings.web
        return LoginPolicy(
            max_failures=web.login_max_failures,
            window=timedelta(minutes=web.login_window_minutes),
            lockout=timedelta(minutes=web.login_lockout_minutes),
        )

    def error_page(self, request: Request, status: int, message: str) -> Response:
        return render(request, "error.html", {"status": status, "message": message}, status)


def console_of(request: Request) -> Console:
    console = request.app.state.console
    assert isinstance(console, Console)
    return console


def current_user(request: Request) -> SessionUser:
    """The logged-in user; every page behind the gate has one."""
    user = request.state.user
    assert isinstance(user, SessionUser), "page reached without a login"
    return user


def optional_user(request: Request) -> SessionUser | None:
    user = getattr(request.state, "user", None)
    return user if isinstance(user, SessionUser) else None


def actor(request: Request) -> str:
    """The operator named in audit events for an action taken on this request."""
    return current_user(request).name


def settings_of(request: Request) -> Settings:
    return console_of(request).settings


def unit_of_work(request: Request) -> UnitOfWork:
    return console_of(request).desk.uow()


def now(request: Request) -> datetime:
    return console_of(request).clock()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    *,
    active: str | None = None,
) -> Response:
    """A page in the layout: the user, the CSRF token, the navigation and any messages left by
    the previous action are filled in."""
    console = console_of(request)
    user = optional_user(request)
    flashes = _take_flashes(request, console)
    full = {
        "request": request,
        "user": user,
        "role_label": ROLE_LABELS[user.role] if user else "",
        "csrf_field": CSRF_FIELD,
        "csrf_token": user.csrf_token if user else "",
        "navigation": NAVIGATION,
        "active": active,
        "desk_name": console.settings.web.desk_name,
        "static_version": console.static_version,
        "flashes": flashes,
        "now": console.clock(),
        **(context or {}),
    }
    response = console.templates.TemplateResponse(request, template, full, status_code)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(
    request: Request, url: str, *, flash: str | None = None, kind: FlashKind = "success"
) -> RedirectResponse:
    """303 to a page of this console, leaving a message for it to show once."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        console = console_of(request)
        response.set_cookie(
            FLASH_COOKIE,
            console.flashes.dumps([[kind, flash]]),
            max_age=FLASH_MAX_AGE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def _take_flashes(request: Request, console: Console) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        data = console.flashes.loads(raw, max_age=FLASH_MAX_AGE)
    except BadSignature:
        return []
    return [(str(kind), str(text)) for kind, text in data]


__all__ = [
    "Console",
    "actor",
    "console_of",
    "current_user",
    "now",
    "posted_form",
    "redirect",
    "render",
    "settings_of",
    "unit_of_work",
]
