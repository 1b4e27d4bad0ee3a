"""`intake rejections notify ID`: send the 不備のご連絡 for one rejection, after a look at it."""

from __future__ import annotations

import sys

import click

from intake.bootstrap import LockBusy
from intake.config import ConfigError
from intake.domain.timefmt import short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_FAILURE, fail, operator_errors
from intake.entrypoints.cli.output import echo
from intake.services import notices as notice_service
from intake.services.audit import operator_name
from intake.services.views.rejections import get_notice

CONFIRM_PROMPT = "この内容で送信しますか？"
RULE = "─" * 60


def _can_prompt() -> bool:
    """Whether someone is at a terminal to answer the confirmation (replaced in tests)."""
    return sys.stdin.isatty()


def _print_draft(draft: notice_service.NoticeDraft) -> None:
    echo(f"宛先: {draft.to}")
    echo(f"件名: {draft.subject}")
    echo("本文:")
    echo(RULE)
    echo(draft.body.rstrip("\n"))
    echo(RULE)
    if draft.omitted:
        echo(
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
        notice_id = app.send_notice(draft, operator=who, again=again)
    except notice_service.NoticeError as exc:
        fail(str(exc), EXIT_FAILURE)
    except LockBusy:
        fail(
            "別の送信処理が実行中のため、送信しませんでした。しばらくしてからもう一度実行してください",
            EXIT_FAILURE,
        )
    with app.read() as q:
        notice = get_notice(q, notice_id)
    if notice.is_sent:
        echo(
            f"不備のご連絡を送信しました（通知 {notice.id}、宛先 {notice.to_address}、"
            f"{short_jst(notice.sent_at)}、Message-ID {notice.message_id}）。"
        )
        return
    if notice.is_held:
        echo(
            f"不備のご連絡（通知 {notice.id}）は送信結果が不明です: {notice.note}\n"
            "相手に届いたかどうかを確かめてください。届いていなければ --again を付けて"
            "もう一度送れます。",
            err=True,
        )
    else:
        echo(
            f"不備のご連絡（通知 {notice.id}）を送信できませんでした: {notice.note}\n"
            "原因を確かめてから、同じコマンドでもう一度送れます。",
            err=True,
        )
    sys.exit(EXIT_FAILURE)
