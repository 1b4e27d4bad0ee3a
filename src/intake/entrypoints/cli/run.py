"""`intake run` (the daemon) and `intake status` (what it and the cron jobs have done)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import click

from intake.bootstrap import LockBusy
from intake.domain.labels import TERM_STATE_LABELS, label
from intake.domain.lifecycle import TermState
from intake.domain.readmodel import TermOverview
from intake.domain.timefmt import short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_BUSY, operator_errors
from intake.entrypoints.cli.output import echo
from intake.services.views import desk as views
from intake.services.views import selection as selection_views


def _term_sentence(overview: TermOverview) -> str:
    if overview.cutoff is not None:
        done = overview.cutoff
        return f"締切処理済み（名簿 第{done.version}版、{short_jst(done.ran_at)}）"
    if overview.state is TermState.CUTOFF_PENDING:
        return "締切を過ぎていますが締切処理はまだです"
    return label(TERM_STATE_LABELS, overview.state)


@click.command()
@pass_ctx
@operator_errors
def status(ctx: Context) -> None:
    """最後の取り込み、未処理の件数、送信待ち・保留の受付完了メール、締切の状況を表示する。"""
    app = ctx.app()
    with app.read() as q:
        now = datetime.now(UTC)
        desk = views.desk_status(q, app.settings.terms, now)
    for mailbox in desk.mailboxes:
        echo(f"メールボックス {mailbox.account} / {mailbox.folder}")
        echo(f"  最後に取り込んだ日時: {short_jst(mailbox.last_poll_at) or '（まだありません）'}")
        echo(f"  直近のエラー: {mailbox.last_error or 'なし'}")
    if not desk.mailboxes:
        echo("まだ一度も取り込んでいません（intake poll --once または intake run）。")
    acks = desk.acks
    echo(f"処理済みの印をまだ付けていないメール: {desk.unmarked_messages} 件")
    echo(f"未対応の不備: {desk.open_rejections} 件")
    echo(f"送信予定を過ぎた受付完了メール: {acks.due} 件")
    echo(f"保留中の受付完了メール: {acks.held} 件" + ("（要確認）" if acks.held else ""))
    echo(f"送信に失敗した受付完了メール: {acks.failed} 件" + ("（要確認）" if acks.failed else ""))
    if acks.in_flight:
        echo(
            f"送信処理が途中のまま止まっている受付完了メール: {acks.in_flight} 件"
            "（次の送信時に確認します）"
        )
    for overview in desk.terms:
        term = overview.term
        period = f"{short_jst(term.opens_at)}〜{short_jst(term.closes_at)}"
        echo(f"{term.name}: {period} {_term_sentence(overview)}")
    with app.read_selection() as sq:
        closures = app.settings.ack.closure_days
        for warning in selection_views.deadline_warnings(sq, app.settings.terms, now, closures):
            echo(f"警告: {warning}")


@click.command()
@pass_ctx
@operator_errors
def run(ctx: Context) -> None:
    """常駐して、定期的な取り込み・受付完了メールの送信・締切処理を行う（systemd 向け）。

    SIGTERM / SIGINT で、処理中のメールを終えてから停止します。設定ファイルを書き換えると
    数秒以内に（SIGHUP ならすぐに）読み直します（データベースと保存先の変更は再起動が必要）。
    """
    from intake.entrypoints.daemon import Daemon

    # A daemon's log says what happened to each message (never passwords or form contents).
    logging.getLogger("intake").setLevel(logging.INFO)
    app = ctx.app()
    try:
        Daemon(app, ctx.settings_path()).run()
    except LockBusy:
        click.echo("intake run はすでにこのデータベースで動いています。", err=True)
        sys.exit(EXIT_BUSY)
