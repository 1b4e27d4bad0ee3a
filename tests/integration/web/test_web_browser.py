"""The console in a real headless browser: Debian's chromium driven by Playwright, against
`intake web` running as a subprocess over a database filled by a real poll of the private
Dovecot. Each page is saved as a screenshot (INTAKE_ARTIFACTS_DIR, or the run's temp folder)."""

from __future__ import annotations

import os
import re
import secrets
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from intake.adapters.orm import User, WebSession, make_engine
from intake.devtools.demo import demo_mails, jst, pdf, xlsx
from intake.devtools.dovecot import DovecotInstance
from intake.devtools.samplemail import build_mail
from intake.entrypoints.cli import main
from intake.entrypoints.web.navigation import NAVIGATION
from intake.entrypoints.web.security import SECURITY_HEADERS

from support import Desk
from web_support import OPERATOR, VIEWER, ConsoleProcess

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
BrowserContext = playwright_api.BrowserContext
Page = playwright_api.Page

pytestmark = [pytest.mark.dovecot, pytest.mark.browser]

CHROMIUM = os.environ.get("INTAKE_CHROMIUM", "/usr/bin/chromium")
# Running as root in a container: no sandbox; nothing fetched from the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OPEN_REJECTIONS = sum(1 for m in demo_mails() if m.outcome == "rejected")


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true" or os.environ.get("INTAKE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; browser tests must run here", pytrace=False)
        pytest.skip(message)
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("INTAKE_ARTIFACTS_DIR")
    base = Path(configured) if configured else tmp_path_factory.getbasetemp()
    folder = base / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(screenshots_dir: Path, request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``shot(page, "dashboard")`` saves the whole page as <test>-dashboard.png."""
    test_name = re.sub(r"[^\w-]+", "_", request.node.name).strip("_")

    def save(page: Page, name: str) -> Path:
        path = screenshots_dir / f"{test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@dataclass
class LiveConsole:
    url: str
    desk: Desk

    def session_engine_url(self) -> str:
        return self.desk.settings.database_url


def _start_console(
    dovecot: DovecotInstance,
    root: Path,
    web_settings: str,
) -> Iterator[LiveConsole]:
    """Poll the demo mailbox into a fresh SQLite database, add an operator and a viewer, and
    serve the console on a free loopback port until the test module is done."""
    user, password = f"web-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    dovecot.add_user(user, password)
    with pytest.MonkeyPatch.context() as monkeypatch:
        desk = Desk(dovecot, user, password, root, f"sqlite:///{root}/data/intake.db", monkeypatch)
        with desk.config_path.open("a", encoding="utf-8") as config:
            config.write(f"\n[web]\n{web_settings}\n")
        desk.cli("db", "upgrade")
        for mail in demo_mails():
            desk.append(mail.raw, mail.received_at)
        desk.cli("poll", "--once")
        for (name, secret), role in ((OPERATOR, "operator"), (VIEWER, "viewer")):
            result = CliRunner().invoke(
                main,
                ["--config", str(desk.config_path), "users", "add", name, "--role", role,
                 "--password-stdin"],
                input=secret + "\n",
            )  # fmt: skip
            assert result.exit_code == 0, result.output
        console = ConsoleProcess(
            ["--config", str(desk.config_path), "web", "--port", "0"],
            env={"INTAKE_TEST_IMAP_PASSWORD": password},
        )
        try:
            url = console.wait_for(r"操作画面: (http://127\.0\.0\.1:\d+/)").group(1)
            yield LiveConsole(url.rstrip("/"), desk)
            assert console.stop(signal.SIGTERM) == 0
        finally:
            console.stop(signal.SIGKILL)
        assert "Traceback" not in console.output, console.output


@pytest.fixture(scope="module")
def live(
    dovecot: DovecotInstance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveConsole]:
    yield from _start_console(dovecot, tmp_path_factory.mktemp("console"), "login_max_failures = 5")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at 1280 px, in Japanese, in Tokyo time."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def log_in(page: Page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def card_count(page: Page, card_id: str) -> int:
    text = page.inner_text(f"#{card_id} .card-value")
    found = re.match(r"\s*(\d+)", text)
    assert found, text
    return int(found.group(1))


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# -- scenarios --------------------------------------------------------------------------------


def test_log_in_see_the_dashboard_and_every_page(
    live: LiveConsole, page: Page, shot: Callable[[Page, str], Path]
) -> None:
    page.goto(f"{live.url}/rejections")
    assert page.url.startswith(f"{live.url}/login?next=")
    shot(page, "login")
    page.fill("#username", OPERATOR[0])
    page.fill("#password", "not-my-password")
    page.click("button[type=submit]")
    assert "正しくありません" in page.inner_text("#login-error")
    assert page.input_value("#username") == OPERATOR[0]
    assert page.input_value("#password") == ""
    shot(page, "login-refused")
    page.fill("#password", OPERATOR[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/rejections")  # back to the page first asked for
    shot(page, "placeholder-rejections")

    page.click("nav >> text=ダッシュボード")
    page.wait_for_url(f"{live.url}/")
    assert card_count(page, "count-open-rejections") == OPEN_REJECTIONS
    acks = live.desk.json("acks", "list")
    due = [
        a
        for a in acks
        if a["status"] == "pending" and datetime.fromisoformat(a["due_at"]) < datetime.now(UTC)
    ]
    assert len(due) > 0  # the demo's applications were due long ago (their sender is stopped)
    assert card_count(page, "count-acks-due") == len(due)
    assert card_count(page, "count-acks-held") == card_count(page, "count-acks-failed") == 0
    assert re.search(r"\d{4}/\d{2}/\d{2}（.）\d{2}:\d{2}", page.inner_text("#last-poll"))
    assert page.inner_text("#last-error").strip() == "なし"
    assert "第1期" in page.inner_text("#terms") and "第2期" in page.inner_text("#terms")
    assert page.inner_text(".account-name") == OPERATOR[0]
    assert fits_the_width(page)
    shot(page, "dashboard")

    for target in NAVIGATION:
        page.click(f"nav >> text={target.label}")
        page.wait_for_url(f"{live.url}{target.path}")
        assert page.inner_text("h1").startswith(target.label)
        shot(page, f"page-{target.key}")

    page.set_viewport_size({"width": 900, "height": 900})  # a narrow laptop window
    page.goto(f"{live.url}/")
    assert fits_the_width(page)
    assert page.is_visible("text=操作履歴")  # the navigation wraps, nothing hides
    shot(page, "dashboard-narrow")


def test_security_headers_on_pages_and_static_files(live: LiveConsole, page: Page) -> None:
    for path in ("/login", "/static/console.css", "/healthz"):
        response = page.goto(f"{live.url}{path}")
        assert response is not None and response.ok, path
        headers = response.headers
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, (path, name)
    # The page's own script and style load under that policy (no inline script needed).
    page.goto(f"{live.url}/login")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(243, 245, 248)"


def test_an_operator_takes_in_the_mailbox_now(
    live: LiveConsole, page: Page, shot: Callable[[Page, str], Path]
) -> None:
    log_in(page, live.url, *OPERATOR)
    before = card_count(page, "count-open-rejections")
    name = "KIMURA Sora"
    live.desk.append(
        build_mail(
            subject=f"受講申込_{name}",
            message_id=f"browser-{secrets.token_hex(4)}@example.jp",
            date=jst(2025, 6, 2),
            from_addr="kimura@example.jp",
            attachments=[
                xlsx("受講申込書", name, "受講申込書_NGUYEN Thi Lan.xlsx"),
                pdf("在職証明書", name),
            ],
        ),
        jst(2025, 6, 2),
    )
    page.click("#poll-now")
    page.wait_for_url(f"{live.url}/")
    assert "新しいメール 1 件" in page.inner_text(".flash-success")
    assert card_count(page, "count-open-rejections") == before + 1  # 実務経験申告書 is missing
    shot(page, "dashboard-after-poll")
    page.reload()
    assert page.query_selector(".flash-success") is None  # the message is shown once


def test_a_viewer_sees_no_action_and_the_server_refuses_its_post(
    live: LiveConsole, page: Page, context: BrowserContext, shot: Callable[[Page, str], Path]
) -> None:
    log_in(page, live.url, *VIEWER)
    assert page.is_visible("text=閲覧のみの権限でログインしています")
    assert page.query_selector("#poll-now") is None
    assert page.query_selector("form[action='/poll']") is None
    shot(page, "dashboard-viewer")
    token = page.get_attribute("form[action='/logout'] input[name=csrf_token]", "value")
    assert token
    refused = context.request.post(f"{live.url}/poll", form={"csrf_token": token})
    assert refused.status == 403
    assert "閲覧のみの利用者" in refused.text()
    # Logging out is allowed: it changes nothing at the desk.
    page.click("text=ログアウト")
    page.wait_for_url(f"{live.url}/login?logged_out=1")
    assert "ログアウトしました" in page.inner_text("main")
    shot(page, "logged-out")
    page.goto(f"{live.url}/")
    assert page.url.startswith(f"{live.url}/login")


def test_a_post_without_the_csrf_token_is_refused(
    live: LiveConsole, page: Page, context: BrowserContext, shot: Callable[[Page, str], Path]
) -> None:
    log_in(page, live.url, *OPERATOR)
    assert context.request.post(f"{live.url}/poll", form={}).status == 403
    assert context.request.post(f"{live.url}/poll", form={"csrf_token": "x"}).status == 403
    # A tampered form in the page: the browser shows the refusal.
    page.evaluate(
        "document.querySelector('form[action=\"/poll\"] input[name=csrf_token]').remove()"
    )
    page.click("#poll-now")
    page.wait_for_load_state()
    assert "正しくない送信" in page.inner_text("#error-message")
    shot(page, "refused-without-token")


def test_an_idle_session_expires(
    live: LiveConsole, page: Page, shot: Callable[[Page, str], Path]
) -> None:
    log_in(page, live.url, *OPERATOR)
    assert page.url == f"{live.url}/"
    engine = make_engine(live.session_engine_url())
    try:
        with engine.begin() as connection:
            user_id = connection.scalar(select(User.id).where(User.name == OPERATOR[0]))
            newest = connection.scalar(
                select(WebSession.id)
                .where(WebSession.user_id == user_id)
                .order_by(WebSession.id.desc())
                .limit(1)
            )
            # 31 minutes without a request, as far as the server knows.
            connection.execute(
                update(WebSession)
                .where(WebSession.id == newest)
                .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
            )
    finally:
        engine.dispose()
    page.reload()
    assert page.url.startswith(f"{live.url}/login")
    assert "一定時間操作がなかったため" in page.inner_text("main")
    shot(page, "session-expired")


def test_repeated_failures_lock_the_login(
    dovecot: DovecotInstance,
    tmp_path: Path,
    browser: Browser,
    shot: Callable[[Page, str], Path],
) -> None:
    # A console of its own: the lockout also covers this browser's address for everyone.
    console = _start_console(
        dovecot, tmp_path, "login_max_failures = 3\nlogin_lockout_minutes = 15"
    )
    live = next(console)
    try:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page = ctx.new_page()
        for attempt in range(3):
            log_in(page, live.url, OPERATOR[0], f"wrong-password-{attempt}")
        assert "しばらくログインできません" in page.inner_text("#login-error")
        log_in(page, live.url, *OPERATOR)  # the right password, refused while locked
        assert page.url.startswith(f"{live.url}/login")
        assert "しばらくログインできません" in page.inner_text("#login-error")
        shot(page, "locked-out")
        ctx.close()
    finally:
        for _ in console:  # stops the console
            pass
