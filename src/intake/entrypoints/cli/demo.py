"""`intake demo`: the real pipeline on a private Dovecot filled with sample applications.

The demo runs the commands an operator would: those of the root `intake` group it was started
from (click's context), so this module imports no other command module. The demo harness
(:mod:`intake.devtools`) needs the ``demo`` extra (``pip install 'intake[demo]'``, which
``scripts/demo.sh`` does); a production install has none of it, and says so.
"""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from intake.entrypoints.cli.exits import EXIT_CONFIG, fail

if TYPE_CHECKING:
    from intake.devtools.smtpserver import SmtpTestServer

# The top-level modules the demo extra brings (pyproject's [project.optional-dependencies]).
DEMO_EXTRA_MODULES = frozenset({"aiosmtpd"})
MISSING_EXTRA = (
    "デモに必要なパッケージ（{module}）が入っていません。"
    "pip install 'intake[demo]' で追加してから実行してください"
    "（リポジトリからは bash scripts/demo.sh で導入と実行ができます）。"
)

DEMO_USER = "scfn"
DEMO_WEB_USER = "demo"
PASSWORD_ENV = "INTAKE_IMAP_PASSWORD"

CONFIG_TEMPLATE = """\
# Written by `intake demo`. Point [imap] at the real mailbox to use intake for real.
[database]
url = "sqlite:///data/intake.db"
[storage]
dir = "data/store"
[imap]
host = "{host}"
port = {port}
security = "none"
username = "{user}"
password_env = "{password_env}"
folder = "INBOX"
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "scfn@example.jp"
[ack]
delay_days = 7
[[terms]]
id = 1
name = "第1期"
opens_at = "2025-03-10T10:00:00+09:00"
closes_at = "2025-05-07T17:00:00+09:00"
capacity = 60
training_starts_on = "2025-06-02"
[[terms]]
id = 2
name = "第2期"
opens_at = "2025-05-02T10:00:00+09:00"
closes_at = "2025-07-01T17:00:00+09:00"
capacity = 60
training_starts_on = "2025-08-01"
"""


@click.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="デモの設定とデータ（SQLite）を置くフォルダー。",
)
@click.option("--web", is_flag=True, help="デモのあと、そのデータで操作画面を開いたままにする。")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="--web の操作画面のポート（使用中なら空いているポート）。",
)
@click.pass_context
def demo(ctx: click.Context, workdir: Path, web: bool, port: int) -> None:
    """見本の申込メールで、取り込みから不備ログ・受付完了メールまでを実演する。

    メールボックスがなくても、本物の取り込み処理（IMAP・判定・SQLite への保存）を確かめられます。
    Dovecot（dovecot-imapd）が必要です。--web を付けると、最後に操作画面の URL と、
    利用者 demo の使い捨てパスワードを表示し、Ctrl+C まで画面を開いたままにします。
    """
    run_demo(ctx.find_root().command, workdir, web_port=port if web else None)


def run_demo(intake: click.Command, workdir: Path, *, web_port: int | None = None) -> None:
    """The demonstration, running ``intake`` (the root command group) as an operator would."""
    # The harness loads only for the demo, and only where the demo extra is installed.
    try:
        from intake.devtools.demo import demo_mails
        from intake.devtools.dovecot import dovecot_unavailable_reason, start_dovecot
        from intake.devtools.smtpserver import SmtpTestServer
    except ModuleNotFoundError as exc:
        module = (exc.name or "").partition(".")[0]
        if module not in DEMO_EXTRA_MODULES:
            raise
        fail(MISSING_EXTRA.format(module=module), EXIT_CONFIG)

    reason = dovecot_unavailable_reason()
    if reason is not None:
        raise click.ClickException(
            f"デモには Dovecot（dovecot-imapd）が必要です: {reason}\n"
            "  sudo scripts/install-system-deps.sh で導入できます。"
        )
    if workdir.exists() and any(workdir.iterdir()):
        shutil.rmtree(workdir / "data", ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="intake-demo-dovecot-", dir="/tmp"))
    base.chmod(0o755)  # Dovecot's own users must be able to enter it
    click.echo("1) 検証用の IMAP サーバー（Dovecot）と SMTP サーバーを 127.0.0.1 で起動します")
    server = start_dovecot(base)
    outgoing = SmtpTestServer()
    outgoing.start()
    try:
        password = secrets.token_urlsafe(12)
        server.add_user(DEMO_USER, password)
        os.environ[PASSWORD_ENV] = password
        config = workdir / "config.toml"
        config.write_text(
            CONFIG_TEMPLATE.format(
                host=server.host,
                port=server.port,
                user=DEMO_USER,
                password_env=PASSWORD_ENV,
                smtp_port=outgoing.port,
            ),
            encoding="utf-8",
        )
        mails = demo_mails()
        click.echo(f"2) 見本の申込メール {len(mails)} 通を届けます:")
        for mail in mails:
            server.append(DEMO_USER, password, mail.raw, internaldate=mail.received_at)
            click.echo(f"   - {mail.label}")
        click.echo(f"3) 設定ファイル {config} でデータベースを作成します")
        args = ["--config", str(config)]
        _run(intake, [*args, "db", "upgrade"])
        click.echo("4) メールボックスを取り込みます（intake poll --once）")
        _run(intake, [*args, "poll", "--once"])
        click.echo("5) 取り込んだメール（intake messages list）")
        _run(intake, [*args, "messages", "list"])
        click.echo("6) 不備ログ（intake rejections list）")
        _run(intake, [*args, "rejections", "list"])
        click.echo("7) 受け付けた申込（intake applications list）")
        _run(intake, [*args, "applications", "list"])
        click.echo("8) もう一度取り込みます: 新しいメールはなく、何も記録されません")
        _run(intake, [*args, "poll", "--once"])
        click.echo("9) 受付完了メール（申込の 7 日後に送信予定: intake acks list）")
        _run(intake, [*args, "acks", "list"])
        click.echo("10) 2025年7月2日になったものとして送信します（intake acks send-due --now …）")
        _run(intake, [*args, "acks", "send-due", "--now", "2025-07-02T09:00:00+09:00"])
        _show_first_ack(outgoing)
        if web_port is not None:
            _serve_console(config, web_port)
    finally:
        outgoing.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    click.echo(
        f"\nデモは終わりです。データは {workdir}/data に残っています。"
        f"\n本番のメールボックスで使うには、config.example.toml を写して [imap] を実際の"
        "サーバーに向け、`intake --config <設定> db upgrade` と"
        " `intake --config <設定> poll --once` "
        "を実行してください（README の「Connecting to the real mailbox」を参照）。"
    )


def _serve_console(config: Path, port: int) -> None:
    """The console on the demo's data, with a user ``demo`` whose password is made for this
    run only; the demo's mail servers keep running, so 今すぐ取り込む works too."""
    from intake.bootstrap import ConfigWatcher, build_app
    from intake.config import load_settings
    from intake.domain.accounts import Role
    from intake.entrypoints.cli.web import build_console_server
    from intake.entrypoints.web.server import (
        ConsoleServerError,
        console_url,
        serve_until_signalled,
    )
    from intake.services.users import add_user

    desk = build_app(load_settings(config))
    password = secrets.token_urlsafe(12)
    add_user(desk.uow(), desk.passwords(), DEMO_WEB_USER, Role.OPERATOR, password, operator="demo")
    watcher = ConfigWatcher(desk, config, min_interval=2.0)
    host = "127.0.0.1"

    def started() -> None:
        click.echo(
            "11) 操作画面を開いています。ブラウザで次の URL を開き、ログインしてください:\n"
            f"   URL:        {console_url(desk.settings, host, server.port)}\n"
            f"   利用者名:   {DEMO_WEB_USER}\n"
            f"   パスワード: {password}（このデモのために作った使い捨てのものです）\n"
            "   終了するには Ctrl+C を押してください。"
        )

    server = build_console_server(desk, host, port, watcher=watcher)
    try:
        serve_until_signalled(server, started)
    except ConsoleServerError:
        if port == 0:
            raise
        click.echo(f"   ポート {port} は使用中のため、空いているポートを使います。")
        server = build_console_server(desk, host, 0, watcher=watcher)
        serve_until_signalled(server, started)


def _show_first_ack(outgoing: SmtpTestServer) -> None:
    received = outgoing.received
    click.echo(f"   検証用 SMTP サーバーが受け取ったメール: {len(received)} 通。1 通目:")
    if not received:
        return
    message = email.message_from_bytes(received[0].data, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    click.echo(f"   宛先: {message['To']}")
    click.echo(f"   件名: {message['Subject']}")
    if body is not None:
        for line in body.get_content().splitlines()[:8]:
            click.echo(f"   | {line}")


def _run(command: click.Command, args: list[str]) -> None:
    try:
        command.main(args=args, prog_name="intake", standalone_mode=False)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
