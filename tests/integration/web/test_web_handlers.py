"""The console's contract and its safety rules, through Starlette's test client over real
databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.routing import Route
from starlette.testclient import TestClient

from intake.adapters.orm import AuditEvent, LoginAttempt, WebSession
from intake.bootstrap import App
from intake.devtools.demo import demo_mails
from intake.entrypoints.cli import main
from intake.entrypoints.web.navigation import NAVIGATION
from intake.entrypoints.web.security import SECURITY_HEADERS
from intake.services import users
from intake.services.views.desk import history

from web_support import OPERATOR, VIEWER, FakeClock, csrf_from, log_in, page_token

pytestmark = pytest.mark.postgres

# HTTP-level rules that do not depend on the database run on SQLite alone.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def assert_security_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def session_cookie(response: object) -> str | None:
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        if header.startswith("intake_session=") and not header.startswith('intake_session="";'):
            return str(header)
    return None


# -- the contract ----------------------------------------------------------------------------


def test_healthz_answers_without_login(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"
    assert_security_headers(response)


@sqlite_only
def test_pages_send_a_stranger_to_the_login(client: TestClient) -> None:
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/login"
    deep = client.get("/rejections?status=open&q=%E7%94%B0", follow_redirects=False)
    assert deep.status_code == 303
    wanted = unquote(deep.headers["location"].split("next=")[1])
    assert wanted == "/rejections?status=open&q=%E7%94%B0"
    for page in NAVIGATION:
        assert client.get(page.path, follow_redirects=False).status_code == 303


@sqlite_only
def test_login_form_fields_and_cookie(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    html = response.text
    assert '<form method="post" action="/login"' in html
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in html
    assert "ログイン" in html
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("intake_login=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert_security_headers(response)


def test_success_answers_303_and_sets_a_strict_session_cookie(client: TestClient) -> None:
    response = log_in(client, *OPERATOR)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = session_cookie(response)
    assert cookie is not None
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age" not in cookie  # gone when the browser closes; idle expiry is the server's
    home = client.get("/")
    assert home.status_code == 200
    assert "ダッシュボード" in home.text and OPERATOR[0] in home.text and "担当者" in home.text


@sqlite_only
def test_success_goes_to_the_page_first_asked_for(client: TestClient) -> None:
    response = log_in(client, *OPERATOR, next_page="/rejections?status=open")
    assert response.headers["location"] == "/rejections?status=open"


@sqlite_only
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/login",
        "\r\n/",
        "",
    ],
)
def test_no_open_redirect_after_login(client: TestClient, target: str) -> None:
    response = log_in(client, *OPERATOR, next_page=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("name", "password"),
    [(OPERATOR[0], "wrong-password-123"), ("nobody", "whatever-password"), (OPERATOR[0], "")],
)
def test_failure_shows_the_form_again_without_a_session(
    client: TestClient, name: str, password: str
) -> None:
    response = log_in(client, name, password)
    assert response.status_code == 401
    assert 'name="password"' in response.text
    assert "正しくありません" in response.text or "入力してください" in response.text
    assert session_cookie(response) is None
    assert client.get("/", follow_redirects=False).status_code == 303


@sqlite_only
def test_login_without_or_with_a_wrong_csrf_token_is_403(client: TestClient) -> None:
    client.get("/login")
    data = {"username": OPERATOR[0], "password": OPERATOR[1]}
    assert client.post("/login", data=data).status_code == 403
    wrong = client.post("/login", data={**data, "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert session_cookie(wrong) is None
    # A token from another browser's login form does not fit this browser's cookie.
    other = TestClient(client.app, client=("127.0.0.1", 50001))
    token = csrf_from(other.get("/login").text)
    fresh = TestClient(client.app, client=("127.0.0.1", 50002))
    fresh.get("/login")
    assert fresh.post("/login", data={**data, "csrf_token": token}).status_code == 403


def test_the_dashboard_counts_what_a_poll_recorded(
    client: TestClient, console_config: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    for number, mail in enumerate(demo_mails()):
        eml = tmp_path / f"mail{number}.eml"
        eml.write_bytes(mail.raw)
        args = ["--config", str(console_config), "ingest", str(eml)]
        result = runner.invoke(main, [*args, "--received-at", mail.received_at.isoformat()])
        assert result.exit_code == 0, result.output
    open_count = sum(1 for m in demo_mails() if m.outcome == "rejected")
    log_in(client, *OPERATOR)
    html = client.get("/").text
    card = re.search(r'id="count-open-rejections".*?card-value">(\d+)<', html, re.S)
    assert card is not None and int(card.group(1)) == open_count
    assert "第1期" in html and "第2期" in html
    assert "締切処理待ち" in html
    assert "まだ一度も取り込んでいません" in html  # ingest is not a poll of the mailbox


# -- CSRF and roles --------------------------------------------------------------------------


def post_routes(client: TestClient) -> list[str]:
    return [
        route.path
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.methods and "POST" in route.methods
    ]


@sqlite_only
def test_every_post_without_the_session_token_is_403(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    paths = post_routes(client)
    assert {"/logout", "/poll"} <= set(paths)
    for path in paths:
        if path == "/login":
            continue
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 403, path
    # Still logged in: none of them did anything.
    assert client.get("/", follow_redirects=False).status_code == 200


@sqlite_only
def test_a_post_without_a_session_is_403(client: TestClient) -> None:
    assert client.post("/poll", data={"csrf_token": "x"}).status_code == 403


def test_a_viewer_reads_but_every_action_is_refused(client: TestClient) -> None:
    log_in(client, *VIEWER)
    home = client.get("/")
    assert home.status_code == 200
    assert "閲覧のみ" in home.text
    assert 'action="/poll"' not in home.text  # no action buttons for a viewer
    token = csrf_from(home.text)
    refused = client.post("/poll", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "閲覧のみの利用者" in refused.text
    assert_security_headers(refused)
    # The gate refuses any viewer POST, even to a path that has no page yet.
    assert client.post("/rejections/1/resolve", data={"csrf_token": token}).status_code == 403
    for page in NAVIGATION:
        assert client.get(page.path).status_code == 200, page.path
    # Logging out changes nothing at the desk: a viewer may.
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303


@sqlite_only
def test_an_operator_s_action_runs_the_service(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    response = client.post("/poll", data={"csrf_token": page_token(client)})
    assert response.status_code == 200  # followed the 303 back to the dashboard
    # No mailbox listens on the configured port: the operator is told, in Japanese.
    assert "取り込めませんでした" in response.text
    assert "flash-error" in response.text


@sqlite_only
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused(client: TestClient, method: str) -> None:
    log_in(client, *OPERATOR)
    assert client.request(method, "/").status_code == 405


@sqlite_only
def test_an_oversized_post_is_refused(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    token = page_token(client)
    response = client.post("/poll", data={"csrf_token": token, "note": "x" * 2_000_000})
    assert response.status_code == 413


# -- sessions --------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    stolen = dict(client.cookies)
    token = page_token(client)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?logged_out=1"
    assert "ログアウトしました" in client.get("/login?logged_out=1").text
    # The cookie a thief copied before the logout is worthless now.
    replay = TestClient(client.app, cookies=stolen)
    assert replay.get("/", follow_redirects=False).status_code == 303


@sqlite_only
def test_logout_without_the_token_is_refused_and_keeps_the_session(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200


def test_idle_sessions_expire_on_the_server(
    client: TestClient, clock: FakeClock, console_desk: App
) -> None:
    log_in(client, *OPERATOR)
    for _ in range(3):  # activity keeps the session alive past 30 minutes in total
        clock.advance(minutes=20)
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    expired = client.get("/", follow_redirects=False)
    assert expired.status_code == 303
    assert expired.headers["location"] == "/login?expired=1"
    assert "一定時間操作がなかった" in client.get(expired.headers["location"]).text
    with console_desk.uow() as uow:
        (row,) = uow.session.scalars(select(WebSession)).all()
        assert row.end_reason == "expired"


@sqlite_only
def test_idle_timeout_follows_the_config_file(
    client: TestClient, clock: FakeClock, console_config: Path
) -> None:
    log_in(client, *OPERATOR)
    text = console_config.read_text(encoding="utf-8")
    console_config.write_text(
        text.replace("[web]\n", "[web]\nsession_idle_minutes = 5\n"), encoding="utf-8"
    )
    clock.advance(minutes=6)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_disabled_user_s_session_stops_working(client: TestClient, console_desk: App) -> None:
    log_in(client, *OPERATOR)
    assert client.get("/", follow_redirects=False).status_code == 200
    users.set_disabled(console_desk.uow(), OPERATOR[0], True, operator="admin")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert log_in(client, *OPERATOR).status_code == 401


def test_a_new_password_ends_the_old_sessions(client: TestClient, console_desk: App) -> None:
    log_in(client, *OPERATOR)
    users.change_password(
        console_desk.uow(),
        console_desk.passwords(),
        OPERATOR[0],
        "a-brand-new-password",
        operator="admin",
    )
    assert client.get("/", follow_redirects=False).status_code == 303
    assert log_in(client, OPERATOR[0], "a-brand-new-password").status_code == 303


def test_sessions_survive_a_restart(
    make_client: Callable[..., TestClient], console_desk: App
) -> None:
    before = make_client()
    log_in(before, *OPERATOR)
    key_file = console_desk.settings.web_secret_key_path
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    after = make_client()  # a new app: the key is read from the file again
    after.cookies.update(dict(before.cookies))
    assert after.get("/", follow_redirects=False).status_code == 200


@sqlite_only
def test_a_forged_session_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.set("intake_session", "made-up.signature")
    assert client.get("/", follow_redirects=False).status_code == 303


# -- login limits ----------------------------------------------------------------------------


def test_failures_for_one_name_lock_it_out_for_the_lockout_time(
    make_client: Callable[..., TestClient], clock: FakeClock, console_desk: App
) -> None:
    client = make_client()
    for _ in range(3):  # [web] login_max_failures = 3 in the test config
        assert log_in(client, OPERATOR[0], "not-the-password").status_code == 401
    locked = log_in(client, *OPERATOR)  # even the right password, from anywhere
    assert locked.status_code == 401
    assert "しばらくログインできません" in locked.text
    assert session_cookie(locked) is None
    elsewhere = make_client(client=("127.0.0.2", 40000))  # another address, a restarted app
    assert "しばらくログインできません" in log_in(elsewhere, *OPERATOR).text
    clock.advance(minutes=16)
    assert log_in(client, *OPERATOR).status_code == 303
    with console_desk.uow() as uow:
        results = [a.result for a in uow.session.scalars(select(LoginAttempt).order_by("id"))]
    assert results == ["failure"] * 3 + ["refused", "refused", "success"]


def test_failures_from_one_address_lock_it_out_for_every_name(
    make_client: Callable[..., TestClient],
) -> None:
    attacker = make_client(client=("192.0.2.7", 40000))
    for name in ("alice", "bob", "carol"):
        log_in(attacker, name, "guessing-password")
    assert "しばらくログインできません" in log_in(attacker, *VIEWER).text
    colleague = make_client(client=("192.0.2.8", 40000))
    assert log_in(colleague, *VIEWER).status_code == 303


@sqlite_only
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    console_config: Path, make_client: Callable[..., TestClient], console_desk: App
) -> None:
    text = console_config.read_text(encoding="utf-8")
    console_config.write_text(
        text.replace("[web]\n", '[web]\ntrusted_proxies = ["127.0.0.1"]\n'), encoding="utf-8"
    )
    from intake.bootstrap import build_app
    from intake.config import load_settings

    desk = build_app(load_settings(console_config))
    forwarded = {"x-forwarded-for": "203.0.113.9"}
    via_proxy = make_client(client=("127.0.0.1", 40000), desk=desk)
    via_proxy.headers.update(forwarded)
    log_in(via_proxy, "nobody", "wrong-password-1")
    direct = make_client(client=("198.51.100.4", 40000), desk=desk)
    direct.headers.update(forwarded)
    log_in(direct, "nobody", "wrong-password-2")
    with console_desk.uow() as uow:
        addresses = [a.client_address for a in uow.session.scalars(select(LoginAttempt))]
    assert sorted(addresses) == ["198.51.100.4", "203.0.113.9"]
    desk.engine.dispose()


# -- pages and errors ------------------------------------------------------------------------


@sqlite_only
def test_placeholders_say_honestly_that_the_page_is_coming(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    for page in NAVIGATION:
        html = client.get(page.path).text
        assert page.label in html
        if not page.ready:
            assert "準備中" in html and "まだできていません" in html
            for command in page.commands:
                assert command in html


@sqlite_only
def test_headers_on_every_kind_of_response(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_security_headers(client.get("/login"))
    assert_security_headers(client.get("/", follow_redirects=False))
    static = client.get("/static/console.css")
    assert static.status_code == 200 and "text/css" in static.headers["content-type"]
    assert_security_headers(static)
    log_in(client, *OPERATOR)
    page = client.get("/")
    assert_security_headers(page)
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " on" + "click=" not in page.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "見つかりません" in missing.text
    assert_security_headers(missing)

    from intake.entrypoints.web.routes import dashboard

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(dashboard, "desk_status", broken)
    failed = client.get("/")
    assert failed.status_code == 500
    assert "予期しないエラー" in failed.text and "database on fire" not in failed.text
    assert_security_headers(failed)


@sqlite_only
def test_times_are_shown_in_tokyo_time(client: TestClient) -> None:
    log_in(client, *OPERATOR)
    html = client.get("/").text
    assert "2025/05/07（水）17:00" in html  # 第1期's deadline, as configured in +09:00


def test_user_changes_are_audited(console_desk: App) -> None:
    users.set_disabled(console_desk.uow(), VIEWER[0], True, operator="suzuki")
    with console_desk.read() as q:
        events = [(e.operator, e.action, e.target) for e in history(q).items]
    assert ("test", "user.add", f"user:{OPERATOR[0]}") in events
    assert ("suzuki", "user.disable", f"user:{VIEWER[0]}") in events
    with console_desk.uow() as uow:
        details = [e.details for e in uow.session.scalars(select(AuditEvent))]
    assert not any("password" in str(d) for d in details)


@sqlite_only
def test_text_from_a_mail_server_is_shown_inert(client: TestClient, console_desk: App) -> None:
    from intake.adapters.orm import MailboxState

    hostile = '<script>alert(1)</script>{{ 7*7 }}<a href="javascript:alert(2)">x</a>\u202e'
    with console_desk.uow() as uow:
        uow.repo.add(
            MailboxState(
                account="scfn@127.0.0.1", folder="INBOX", uidvalidity=1, last_error=hostile
            )
        )
        uow.commit()
    log_in(client, *OPERATOR)
    html = client.get("/").text
    assert "<script>alert(1)" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in html  # shown, escaped, not run
