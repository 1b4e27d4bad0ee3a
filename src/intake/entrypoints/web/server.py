"""Serving the console with uvicorn in a thread of its own, so that `intake web` and
`intake run` keep their signal handling (SIGTERM/SIGINT stop cleanly, SIGHUP re-reads the
config) and stop the console with the rest."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from intake.config import ConfigError, Settings

log = logging.getLogger("intake.web")


class ConsoleServerError(ConfigError):
    """The console could not start listening ([web] host/port); the message is for the
    operator."""


def transport_warning(settings: Settings, host: str) -> str | None:
    """A Japanese warning when the console is reachable from other machines without TLS."""
    web = settings.web
    if host in ("127.0.0.1", "::1", "localhost") or host.startswith("127."):
        return None
    if settings.web_tls_files is not None or web.trusted_proxies:
        return None
    return (
        f"警告: 操作画面を {host} で公開します（127.0.0.1 以外）が、"
        "TLS（HTTPS）の設定がありません。"
        "パスワードと個人情報が暗号化されずにネットワークを流れます。HTTPS のリバースプロキシを"
        "前に置いて [web] trusted_proxies を設定するか、[web] tls_cert_file と tls_key_file を"
        "設定してください。"
    )


def console_url(settings: Settings, host: str, port: int) -> str:
    scheme = "https" if settings.web_tls_files else "http"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/"


class ConsoleServer:
    def __init__(self, app: ASGIApp, settings: Settings, host: str, port: int) -> None:
        tls = settings.web_tls_files
        self.config = uvicorn.Config(
            app,
            host=host,
            port=port,
            # X-Forwarded-* are handled by the app, from [web] trusted_proxies only; uvicorn's
            # default would believe them from any local process.
            proxy_headers=False,
            server_header=False,
            # Query strings carry names searched for: personal data stays out of the log.
            access_log=False,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=10,
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
        )
        self.server = uvicorn.Server(self.config)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one chosen by the system when 0 was asked for)."""
        for server in self.server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port

    def start(self, timeout: float = 30.0) -> None:
        """Listen, in a background thread; raises ConsoleServerError when that fails."""
        self._thread = threading.Thread(target=self._run, name="intake-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.server.should_exit = True
                raise ConsoleServerError(
                    f"操作画面を {self.config.host}:{self.config.port} で開始できません"
                    "（ポートが使用中か、アドレスが正しくありません）。"
                    "[web] host / port または --host / --port を確かめてください。"
                )
            time.sleep(0.05)

    def _run(self) -> None:
        try:
            self.server.run()
        except BaseException as exc:  # uvicorn exits (SystemExit) when it cannot bind
            self._failure = exc

    def stop(self) -> None:
        """Finish the requests in hand (up to 10 s), then close."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def serve_until_signalled(
    server: ConsoleServer, on_started: Callable[[], None] | None = None
) -> None:
    """Serve until SIGTERM or SIGINT (Ctrl+C), then stop cleanly (ConsoleServerError when it
    cannot start)."""
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping the console", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.start()
        if on_started is not None:
            on_started()
        while server.running and not stopping.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
