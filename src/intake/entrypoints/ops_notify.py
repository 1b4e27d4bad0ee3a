"""`intake rejections notify ID`: send the 不備のご連絡 for one rejection, after a look at it."""

from __future__ import annotations

import sys

import click

from intake.adapters.lock import LockBusy, exclusive
from intake.config import ConfigError
from intake.domain.lifecycle import SendStatus
from intake.domain.timefmt import short_jst
from intake.entrypoints.common import EXIT_FAILURE, Context, fail, operator_errors, pass_ctx
from intake.services import notices as notice_service
from intake.services.audit import operator_name

CONFIRM_PROMPT = "この内容で送信しますか？"
RULE = "─" * 60


def _can_prompt() -> bool:
    """Whether someone is at a terminal to answer the confirmation (replaced in tests)."""
    return sys.stdin.isatty()


def _print_draft(draft: notice_service.NoticeDraft) -> None:
    click.echo(f"宛先: {draft.to}")
    click.echo(f"件名: {draft.subject}")
    click.echo("本文:")
    click.echo(RULE)
    click.echo(draft.body.rstrip("\n"))
    click.echo(RULE)
    if draft.omitted:
        click.echo(
            "（次の理由は事務局内部のものなので、申込者には知らせません: "
            f"{'、'.join(draft.omitted)}）"
        )


@click.command("notify")
@click.argument("rejection_id", type=int)
@click.option("--yes", "assume_yes", is_flag=True, help="確認せずに送信する。")
@click.option(
    "--again",
    is_flag=True,
    help="送信済み（または送信結果不明）の不備のご連絡がある場合も、もう一度送る。",
)
@click.option("--operator", help="操作した担当者の名前（既定: ログイン名）。")
@pass_ctx
@operator_errors
def notify(
    ctx: Context, rejection_id: int, assume_yes: bool, again: bool, operator: str | None
) -> None:
    """不備のご連絡（再提出のお願い）を申込者（申込メールの差出人）に送る。

    送る内容（宛先・件名・本文）を表示し、確認してから送信します。同じ不備記録には一度だけ
    送ります（もう一度送るには --again）。端末から実行しない場合は --yes が必要です。
    送信できたら終了コード 0、それ以外（取りやめ・送信失敗・送信結果不明）は 1 です。
    """
    app = ctx.app()
    if app.settings.smtp is None:
        raise ConfigError("設定ファイルに [smtp] がないため、メールを送れません")
    who = operator_name(operator)
    try:
        draft = notice_service.draft_notice(app.uow(), app.settings, rejection_id)
    except notice_service.NoticeError as exc:
        fail(str(exc), EXIT_FAILURE)
    _print_draft(draft)
    if not assume_yes:
        if not _can_prompt():
            fail(
                "確認の入力ができないため送信しません（端末から実行していません）。"
                "内容を確認したうえで --yes を付けて実行してください",
                EXIT_FAILURE,
            )
        if not click.confirm(CONFIRM_PROMPT, default=False):
            click.echo("送信を取りやめました。")
            sys.exit(EXIT_FAILURE)
    try:
        with exclusive(app.engine, app.settings.storage_dir, "send", wait=60.0):
            row = notice_service.send_notice(
                app.uow(), app.settings, app.smtp_sender, draft, operator=who, again=again
            )
    except notice_service.NoticeError as exc:
        fail(str(exc), EXIT_FAILURE)
    except LockBusy:
        fail(
            "別の送信処理が実行中のため、送信しませんでした。しばらくしてからもう一度実行してください",
            EXIT_FAILURE,
        )
    if row.status is SendStatus.SENT:
        click.echo(
            f"不備のご連絡を送信しました（通知 {row.id}、宛先 {row.to_address}、"
            f"{short_jst(row.sent_at)}、Message-ID {row.message_id}）。"
        )
        return
    if row.status is SendStatus.HELD:
        click.echo(
            f"不備のご連絡（通知 {row.id}）は送信結果が不明です: {row.note}\n"
            "相手に届いたかどうかを確かめてください。届いていなければ --again を付けて"
            "もう一度送れます。",
            err=True,
        )
    else:
        click.echo(
            f"不備のご連絡（通知 {row.id}）を送信できませんでした: {row.note}\n"
            "原因を確かめてから、同じコマンドでもう一度送れます。",
            err=True,
        )
    sys.exit(EXIT_FAILURE)
