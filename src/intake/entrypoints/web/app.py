"""The app factory: the console as an ASGI app over one ``bootstrap.App``.

Settings are never captured here: every request reads ``desk.settings``, which `intake run`
(or, for `intake web`, the ``refresh_settings`` hook) replaces when the config file changes.
What only a restart changes: the database, the signing key, trusted proxies, host and port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from intake.bootstrap import App
from intake.entrypoints.web.context import Console, console_of
from intake.entrypoints.web.routes import all_routes
from intake.entrypoints.web.security import SECURITY_HEADERS, Cookies, Gate, SecurityHeaders
from intake.entrypoints.web.templating import STATIC_DIR, build_templates, static_version

log = logging.getLogger("intake.web")

HTTP_MESSAGES = {
    404: "お探しのページは見つかりません。",
    405: "この操作はできません。",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(
    desk: App,
    *,
    clock: Callable[[], datetime] = _utcnow,
    refresh_settings: Callable[[], object] | None = None,
) -> Starlette:
    """The console over ``desk``. ``clock`` is the time the console believes (tests move it);
    ``refresh_settings`` is called before each request (`intake web` re-reads the config)."""
    settings = desk.settings
    secret = desk.console_secret_key()
    middleware = [Middleware(SecurityHeaders)]
    if settings.web.trusted_proxies:
        # X-Forwarded-For/-Proto are believed from these addresses only.
        middleware.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.web.trusted_proxies)
        )
    middleware.append(Middleware(Gate))
    app = Starlette(
        routes=[
            *all_routes(),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.console = Console(
        desk=desk,
        cookies=Cookies(secret),
        templates=build_templates(),
        clock=clock,
        flashes=URLSafeTimedSerializer(secret, salt="intake.flash"),
        refresh_settings=refresh_settings,
        static_version=static_version(),
    )
    return app


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = HTTP_MESSAGES.get(exc.status_code, "リクエストを処理できませんでした。")
    return console_of(request).error_page(request, exc.status_code, message)


def _server_error(request: Request, exc: Exception) -> Response:
    # Outside the security-headers middleware: the headers are added here.
    log.error("console: %s %s failed", request.method, request.url.path, exc_info=exc)
    try:
        response = console_of(request).error_page(
            request,
            500,
            "予期しないエラーが発生しました。時間をおいてもう一度お試しください。"
            "続く場合は、システム担当者にお知らせください。",
        )
    except Exception:  # the error page itself failed: say it plainly
        response = Response("500 予期しないエラー", status_code=500, media_type="text/plain")
    response.headers.update(SECURITY_HEADERS)
    response.headers["cache-control"] = "no-store"
    return response
