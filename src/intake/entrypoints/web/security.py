"""The console's gate, applied to every request before any page runs.

- Security headers on every response (CSP without inline script, no framing, nosniff, no
  referrer, no caching of pages).
- Who is asking: the session cookie is resumed through ``services.sessions`` (idle expiry and
  disabled users are decided there, on the server).
- Not logged in: a page answers 303 to /login (remembering the page asked for); a POST is
  refused (403).
- Every state-changing request is a POST whose form carries the session's CSRF token in the
  field ``csrf_token`` (the login form: the token of its own signed cookie); otherwise 403.
  Other methods than GET, HEAD and POST are refused (405).
- A viewer's POST is refused (403), except logging out. Pages need not repeat these checks.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, MutableMapping
from typing import Any
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, Signer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake.services import sessions

CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "intake_session"
LOGIN_COOKIE = "intake_login"
PUBLIC_PATHS = frozenset({"/healthz"})
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
# POSTs a viewer may make: none of them changes the desk.
VIEWER_POSTS = frozenset({LOGIN_PATH, LOGOUT_PATH})
MAX_FORM_BYTES = 1024 * 1024

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response; pages (not static files) are never cached,
    since they show applicants' personal data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def safe_next(target: str | None) -> str:
    """A page to go to after logging in: only a path on this site (no open redirect)."""
    if not target or len(target) > 2000:
        return "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in (LOGIN_PATH, LOGOUT_PATH):
        return "/"
    return target


def login_redirect(request: Request, *, expired: bool = False) -> RedirectResponse:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = f"?next={quote(wanted, safe='')}" if wanted != "/" else ""
    if expired:
        query += ("&" if query else "?") + "expired=1"
    response = RedirectResponse(LOGIN_PATH + query, status_code=303)
    if expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class Cookies:
    """The console's signed cookies, all HttpOnly and SameSite=Strict (Secure over HTTPS)."""

    def __init__(self, secret_key: bytes) -> None:
        self.session_signer = Signer(secret_key, salt="intake.session")
        self.login_signer = Signer(secret_key, salt="intake.login")

    def _unsign(self, signer: Signer, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return signer.unsign(value).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def session_token(self, request: Request) -> str | None:
        return self._unsign(self.session_signer, request.cookies.get(SESSION_COOKIE))

    def login_nonce(self, request: Request) -> str | None:
        return self._unsign(self.login_signer, request.cookies.get(LOGIN_COOKIE))

    @staticmethod
    def _set(response: Response, request: Request, name: str, value: str, path: str) -> None:
        response.set_cookie(
            name,
            value,
            path=path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def set_session(self, response: Response, request: Request, token: str) -> None:
        signed = self.session_signer.sign(token).decode("ascii")
        self._set(response, request, SESSION_COOKIE, signed, "/")

    def set_login_nonce(self, response: Response, request: Request, nonce: str) -> None:
        signed = self.login_signer.sign(nonce).decode("ascii")
        self._set(response, request, LOGIN_COOKIE, signed, LOGIN_PATH)


def posted_form(request: Request) -> FormData:
    """The form of a POST, as read (and checked) by the gate."""
    form = request.state.form
    assert isinstance(form, FormData)
    return form


ErrorPage = Callable[[Request, int, str], Response]


class Gate:
    """Authentication, CSRF and role checks for every request (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from intake.entrypoints.web.context import console_of

        request = Request(scope)
        console = console_of(request)
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["user"] = None
        state["form"] = None
        path = request.url.path
        method = request.method
        if path in PUBLIC_PATHS or path.startswith("/static/"):
            await self._pass(scope, receive, send, method, console.error_page)
            return
        if console.refresh_settings is not None:
            await run_in_threadpool(console.refresh_settings)
        expired = False
        token = console.cookies.session_token(request)
        if token is not None:
            resumed = await run_in_threadpool(
                sessions.resume,
                console.desk.uow(),
                token,
                now=console.clock(),
                idle=console.idle_timeout,
            )
            state["user"] = resumed.user
            expired = resumed.expired
        user: sessions.SessionUser | None = state["user"]
        if method in ("GET", "HEAD"):
            if user is None and path != LOGIN_PATH:
                await login_redirect(request, expired=expired)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if method != "POST":
            await console.error_page(request, 405, "この操作はできません。")(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            page = console.error_page(request, 413, "送信された内容が大きすぎます。")
            await page(scope, receive, send)
            return
        replay = _replay(body, receive)
        form = await Request(scope, replay()).form()
        state["form"] = form
        refusal = self._refusal(request, form, user, console.cookies)
        if refusal is not None:
            await console.error_page(request, 403, refusal)(scope, receive, send)
            return
        try:
            await self.app(scope, replay(), send)
        finally:
            await form.close()

    async def _pass(
        self, scope: Scope, receive: Receive, send: Send, method: str, error_page: ErrorPage
    ) -> None:
        if method not in ("GET", "HEAD"):
            await error_page(Request(scope), 405, "この操作はできません。")(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _refusal(
        request: Request,
        form: FormData,
        user: sessions.SessionUser | None,
        cookies: Cookies,
    ) -> str | None:
        """Why this POST is refused, in Japanese, or None."""
        given = form.get(CSRF_FIELD)
        if request.url.path == LOGIN_PATH:
            expected = cookies.login_nonce(request)
            if not _same(given, expected):
                return (
                    "ログイン画面の有効期限が切れたか、正しくない送信です。"
                    "ログイン画面を開き直してください。"
                )
            return None
        if user is None:
            return (
                "ログインしていないか、ログインの有効期限が切れています。ログインし直してください。"
            )
        if not _same(given, user.csrf_token):
            return (
                "正しくない送信のため受け付けませんでした。画面を開き直してから操作してください。"
            )
        if not user.can_act and request.url.path not in VIEWER_POSTS:
            return "閲覧のみの利用者は、この操作を行えません。"
        return None


def _same(given: object, expected: str | None) -> bool:
    if not isinstance(given, str) or not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Callable[[], Receive]:
    """Receive callables that hand over the already-read body once, then wait on the real
    channel (for a disconnect)."""

    def make() -> Receive:
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replayed

    return make
