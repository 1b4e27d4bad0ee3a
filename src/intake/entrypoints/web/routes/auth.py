"""Logging in and out, and the health check that needs no login."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from intake.domain.accounts import LoginOutcome
from intake.domain.timefmt import screen_jst
from intake.entrypoints.web.context import (
    console_of,
    current_user,
    now,
    optional_user,
    posted_form,
    render,
    unit_of_work,
)
from intake.entrypoints.web.security import LOGIN_COOKIE, LOGIN_PATH, SESSION_COOKIE, safe_next
from intake.services import sessions

NOTICES = {
    "expired": "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    "logged_out": "ログアウトしました。",
}


def healthz(request: Request) -> Response:
    if not console_of(request).desk.database_reachable():
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok")


def login_page(request: Request) -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form(request, next_page=request.query_params.get("next"))


def _form(
    request: Request,
    *,
    next_page: str | None,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    console = console_of(request)
    nonce = console.cookies.login_nonce(request) or secrets.token_urlsafe(32)
    notices = [text for key, text in NOTICES.items() if request.query_params.get(key)]
    response = render(
        request,
        "login.html",
        {
            "login_token": nonce,
            "next_page": safe_next(next_page),
            "error": error,
            "notices": [] if error else notices,
            "username": username,
        },
        status_code,
    )
    console.cookies.set_login_nonce(response, request, nonce)
    return response


def log_in(request: Request) -> Response:
    console = console_of(request)
    form = posted_form(request)
    username = str(form.get("username") or "").strip()[:255]
    password = str(form.get("password") or "")
    next_page = str(form.get("next") or "")
    if not username or not password:
        return _form(
            request,
            next_page=next_page,
            error="利用者名とパスワードを入力してください。",
            username=username,
            status_code=401,
        )
    result = sessions.log_in(
        unit_of_work(request),
        console.desk.passwords(),
        name=username,
        password=password,
        client_address=request.client.host if request.client else None,
        now=now(request),
        policy=console.login_policy,
    )
    if result.outcome is LoginOutcome.OK and result.token is not None:
        response = RedirectResponse(safe_next(next_page), status_code=303)
        console.cookies.set_session(response, request, result.token)
        response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
        return response
    if result.outcome is LoginOutcome.LOCKED:
        error = (
            "ログインの失敗が続いたため、しばらくログインできません。"
            f"{screen_jst(result.locked_until)} 以降にもう一度お試しください。"
        )
    else:
        error = "利用者名またはパスワードが正しくありません。"
    return _form(request, next_page=next_page, error=error, username=username, status_code=401)


def log_out(request: Request) -> Response:
    user = current_user(request)
    sessions.log_out(unit_of_work(request), user.session_id, now=now(request))
    response = RedirectResponse(f"{LOGIN_PATH}?logged_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"], name="healthz"),
    Route(LOGIN_PATH, login_page, methods=["GET"], name="login"),
    Route(LOGIN_PATH, log_in, methods=["POST"], name="login_post"),
    Route("/logout", log_out, methods=["POST"], name="logout"),
]
