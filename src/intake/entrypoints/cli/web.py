"""`intake web`: the operator console in the browser, until SIGTERM or Ctrl+C."""

from __future__ import annotations

import logging

import click

from intake.bootstrap import App, ConfigWatcher
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import operator_errors
from intake.entrypoints.web.server import (
    ConsoleServer,
    console_url,
    serve_until_signalled,
    transport_warning,
)
from intake.services.users import list_users

log = logging.getLogger("intake.web")


def build_console_server(
    desk: App, host: str, port: int, *, watcher: ConfigWatcher | None = None
) -> ConsoleServer:
    """The console over ``desk``, warned about when it is reachable without TLS."""
    from intake.entrypoints.web.app import create_app

    warning = transport_warning(desk.settings, host)
    if warning:
        click.echo(warning, err=True)
        log.warning("%s", warning)
    app = create_app(desk, refresh_settings=watcher.check if watcher else None)
    return ConsoleServer(app, desk.settings, host, port)


@click.command("web")
@click.option("--host", help="待ち受けるアドレス（既定: 設定の [web] host、127.0.0.1）。")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="待ち受けるポート（既定: 設定の [web] port、8080）。0 なら空いているポート。",
)
@pass_ctx
@operator_errors
def web(ctx: Context, host: str | None, port: int | None) -> None:
    """操作画面（事務局の方がブラウザで使う画面）を公開する。SIGTERM / Ctrl+C で停止。

    既定では 127.0.0.1（このコンピューターの中だけ）で待ち受けます。ログインする利用者は
    `intake users add` で登録します。設定ファイルを書き換えると、数秒以内に画面にも反映されます。
    `intake run` の設定で [web] enabled = true にすれば、このコマンドなしで同時に公開できます。
    """
    logging.getLogger("intake").setLevel(logging.INFO)
    desk = ctx.app()
    settings = desk.settings
    watcher = ConfigWatcher(desk, ctx.settings_path(), min_interval=2.0)
    bind_host = host or settings.web.host
    server = build_console_server(
        desk, bind_host, settings.web.port if port is None else port, watcher=watcher
    )
    if not any(u.active for u in list_users(desk.uow())):
        click.echo(
            "まだ利用者がいません。`intake users add 名前 --role operator` で登録してください。",
            err=True,
        )

    def started() -> None:
        url = console_url(settings, bind_host, server.port)
        click.echo(f"操作画面: {url}（停止は Ctrl+C）")

    serve_until_signalled(server, started)  # ConsoleServerError: exit 2, like a bad config
