"""`intake acks …`: the 受付完了 acknowledgements, their sending, and an operator's say."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from intake.bootstrap import LockBusy
from intake.domain.lifecycle import SendStatus
from intake.domain.readmodel import AckView
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_FAILURE, operator_errors
from intake.entrypoints.cli.output import (
    Column,
    echo,
    print_json,
    print_list,
)
from intake.entrypoints.cli.params import IsoDateTime, list_options, page_of
from intake.services import acks as ack_service
from intake.services.audit import operator_name
from intake.services.views import applications as views

SEARCH_HELP = "宛先、氏名（ローマ字・漢字）、受付番号で探す。"


def ack_json(ack: AckView) -> dict[str, Any]:
    return {
        "id": ack.id,
        "application_id": ack.application_id,
        "to": ack.to_address,
        "due_at": iso_jst(ack.due_at),
        "status": ack.status,
        "sent_at": iso_jst(ack.sent_at),
        "message_id": ack.message_id,
        "note": ack.note,
        "attempts": ack.attempts,
    }


@click.group()
def acks() -> None:
    """受付完了メール（申込の約 1 週間後に送る）の確認と送信。"""


@acks.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in SendStatus]),
    help="この状態のものだけ表示する。",
)
@list_options(search=SEARCH_HELP)
@pass_ctx
@operator_errors
def acks_list(
    ctx: Context,
    status: str | None,
    search: str | None,
    limit: int | None,
    offset: int,
    as_json: bool,
) -> None:
    """受付完了メールを送信予定日時の順に表示する。"""
    with ctx.app().read() as q:
        paged = views.list_acks(
            q,
            status=SendStatus(status) if status else None,
            search=search,
            page=page_of(limit, offset),
        )
    print_list(
        paged,
        as_json=as_json,
        to_json=ack_json,
        title="受付完了メール",
        columns=[
            Column("番号"),
            Column("申込"),
            Column("宛先", flexible=True),
            Column("送信予定"),
            Column("状態"),
            Column("送信日時"),
            Column("備考", flexible=True),
        ],
        row=lambda a: [
            str(a.id),
            str(a.application_id),
            a.to_address,
            short_jst(a.due_at),
            a.status_label,
            short_jst(a.sent_at),
            a.note or "",
        ],
    )


@acks.command("send-due")
@click.option("--now", "now", type=IsoDateTime(), help="この日時として判定する（既定: 現在時刻）。")
@click.option("--json", "as_json", is_flag=True, help="送信したものを JSON 配列で出力する。")
@pass_ctx
@operator_errors
def acks_send_due(ctx: Context, now: datetime | None, as_json: bool) -> None:
    """送信予定日時を過ぎた受付完了メールをすべて送る（予定のものがなくても正常終了）。"""
    app = ctx.app()
    try:
        report = app.send_due_acks(now or datetime.now(UTC))
    except LockBusy:
        click.echo("別の送信処理が実行中のため、今回は何もしません。")
        return
    groups = {
        "sent": report.sent,
        "held": report.recovered_unknown + report.held,
        "retrying": report.retrying,
        "failed": report.failed,
    }
    with app.read() as q:
        shown = {name: views.acks_by_id(q, [r.id for r in rows]) for name, rows in groups.items()}
    if as_json:
        print_json([ack_json(a) for a in shown["sent"]])
    else:
        click.echo(f"受付完了メールを {len(shown['sent'])} 件送信しました。")
    for title, name in (("保留（送信結果不明）", "held"), ("再送予定", "retrying")):
        for ack in shown[name]:
            echo(f"{title}: {ack.id} {ack.to_address} — {ack.note}", err=True)
    for ack in shown["failed"]:
        echo(f"送信失敗: {ack.id} {ack.to_address} — {ack.note}", err=True)
    if groups["failed"] or groups["held"]:
        sys.exit(EXIT_FAILURE)


def _ack_action(
    name: str, verb: str, help_text: str, action: Callable[..., object]
) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("ack_id", type=int)
    @click.option("--note", help="メモ（なぜそうしたか）。")
    @click.option("--operator", help="対応者名（省略時はログイン名）。")
    @pass_ctx
    @operator_errors
    def command(ctx: Context, ack_id: int, note: str | None, operator: str | None) -> None:
        app = ctx.app()
        action(app.uow(), ack_id, note, operator=operator_name(operator))
        with app.read() as q:
            ack = views.get_ack(q, ack_id)
        click.echo(f"受付完了メール {ack.id} を{verb}（状態: {ack.status_label}）。")

    return command


acks.add_command(
    _ack_action("hold", "保留にしました", "受付完了メールの送信を保留にする。", ack_service.hold)
)
acks.add_command(
    _ack_action(
        "release",
        "送信待ちに戻しました",
        "保留・送信失敗の受付完了メールを送信待ちに戻す（送信結果不明のものは、"
        "相手に届いていないことを確かめてから）。",
        ack_service.release,
    )
)
acks.add_command(
    _ack_action(
        "confirm",
        "送信済みにしました",
        "送信結果不明で保留になった受付完了メールが届いていたと確認できたとき、送信済みにする。",
        ack_service.confirm_sent,
    )
)
