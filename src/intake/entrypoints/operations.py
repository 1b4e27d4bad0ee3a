"""Commands for the outbox, the cutoffs, the daemon and its status."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from intake.adapters.lock import LockBusy
from intake.adapters.orm import Acknowledgement
from intake.domain.labels import ACK_LABELS, label
from intake.domain.lifecycle import RejectionStatus, SendStatus, ServerState
from intake.domain.model import TOKYO
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.common import EXIT_BUSY, EXIT_FAILURE, Context, operator_errors, pass_ctx
from intake.entrypoints.output import console, print_json, print_table
from intake.services import acks as ack_service
from intake.services.audit import operator_name
from intake.services.cutoff import CutoffRun


class IsoDateTime(click.ParamType):  # type: ignore[type-arg]
    """ISO 8601 with an offset; without one, Tokyo time."""

    name = "ISO8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"日時の形式が違います（例 2025-04-21T09:00:00+09:00）: {value}", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=TOKYO)


def _now(value: datetime | None) -> datetime:
    return value or datetime.now(UTC)


def ack_json(row: Acknowledgement) -> dict[str, Any]:
    return {
        "id": row.id,
        "application_id": row.application_id,
        "to": row.to_address,
        "due_at": iso_jst(row.due_at),
        "status": row.status,
        "sent_at": iso_jst(row.sent_at),
        "message_id": row.message_id,
        "note": row.note,
        "attempts": row.attempts,
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
@click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力する。")
@pass_ctx
@operator_errors
def acks_list(ctx: Context, status: str | None, as_json: bool) -> None:
    """受付完了メールを送信予定日時の順に表示する。"""
    app = ctx.app()
    with app.uow() as uow:
        rows = uow.repo.acknowledgements(SendStatus(status) if status else None)
        if as_json:
            print_json([ack_json(r) for r in rows])
            return
        print_table(
            f"受付完了メール（{len(rows)} 件）",
            ["番号", "申込", "宛先", "送信予定", "状態", "送信日時", "備考"],
            [
                [
                    str(r.id),
                    str(r.application_id),
                    r.to_address,
                    short_jst(r.due_at),
                    label(ACK_LABELS, r.status),
                    short_jst(r.sent_at),
                    r.note or "",
                ]
                for r in rows
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
        report = app.send_due_acks(_now(now))
    except LockBusy:
        click.echo("別の送信処理が実行中のため、今回は何もしません。")
        return
    if as_json:
        print_json([ack_json(r) for r in report.sent])
    else:
        click.echo(f"受付完了メールを {len(report.sent)} 件送信しました。")
    err = console(stderr=True)
    for row in report.recovered_unknown + report.held:
        err.print(f"保留（送信結果不明）: {row.id} {row.to_address} — {row.note}", markup=False)
    for row in report.retrying:
        err.print(f"再送予定: {row.id} {row.to_address} — {row.note}", markup=False)
    for row in report.failed:
        err.print(f"送信失敗: {row.id} {row.to_address} — {row.note}", markup=False)
    if report.failed or report.held or report.recovered_unknown:
        sys.exit(EXIT_FAILURE)


def _ack_action(name: str, verb: str, help_text: str) -> click.Command:
    action = {
        "hold": ack_service.hold,
        "release": ack_service.release,
        "confirm": ack_service.confirm_sent,
    }[name]

    @click.command(name, help=help_text)
    @click.argument("ack_id", type=int)
    @click.option("--note", help="メモ（なぜそうしたか）。")
    @click.option("--operator", help="対応者名（省略時はログイン名）。")
    @pass_ctx
    @operator_errors
    def command(ctx: Context, ack_id: int, note: str | None, operator: str | None) -> None:
        row = action(ctx.app().uow(), ack_id, note, operator=operator_name(operator))
        click.echo(f"受付完了メール {row.id} を{verb}（状態: {label(ACK_LABELS, row.status)}）。")

    return command


acks.add_command(_ack_action("hold", "保留にしました", "受付完了メールの送信を保留にする。"))
acks.add_command(
    _ack_action(
        "release",
        "送信待ちに戻しました",
        "保留・送信失敗の受付完了メールを送信待ちに戻す（送信結果不明のものは、"
        "相手に届いていないことを確かめてから）。",
    )
)
acks.add_command(
    _ack_action(
        "confirm",
        "送信済みにしました",
        "送信結果不明で保留になった受付完了メールが届いていたと確認できたとき、送信済みにする。",
    )
)


@click.command()
@click.option("--term", "term_id", type=int, required=True, help="締め切る期（terms の id）。")
@click.option("--now", "now", type=IsoDateTime(), help="この日時として判定する（既定: 現在時刻）。")
@pass_ctx
@operator_errors
def cutoff(ctx: Context, term_id: int, now: datetime | None) -> None:
    """期の締切処理: 最後の取り込み、名簿（Excel）の作成、担当者への集計メール。

    締切前なら何もしません。同じ締切で 2 回目以降は何もしません（集計メールが未送信なら再送）。
    締切を延長した場合は、次の締切処理で新しい版の名簿を作ります。cron から呼べます。
    """
    app = ctx.app()
    if now is not None and now > datetime.now(UTC) + timedelta(minutes=1):
        # A cutoff recorded "in advance" would stand in for the real deadline's.
        raise click.UsageError("--now に未来の日時は指定できません。")
    try:
        result = app.cutoff(term_id, _now(now))
    except LockBusy:
        click.echo("別の締切処理が実行中のため、今回は何もしません。", err=True)
        sys.exit(EXIT_FAILURE)
    term = result.term
    if result.status is CutoffRun.NOT_DUE:
        click.echo(
            f"{term.name}はまだ締切前です（締切 {short_jst(term.closes_at)}）。何もしません。"
        )
        return
    assert result.cutoff is not None
    if result.status is CutoffRun.ALREADY_DONE:
        click.echo(
            f"{term.name}（締切 {short_jst(term.closes_at)}）の締切処理は実行済みです"
            f"（名簿 第{result.cutoff.version}版、{short_jst(result.cutoff.ran_at)}）。"
        )
    else:
        summary = result.cutoff.summary
        click.echo(
            f"{term.name}を締め切りました: 申込 {summary['accepted']} 件"
            f"（定員 {summary['capacity']}）、名簿 {result.cutoff.roster_path}"
        )
    if result.summary_note:
        click.echo(result.summary_note, err=True)


@click.command()
@pass_ctx
@operator_errors
def status(ctx: Context) -> None:
    """最後の取り込み、未処理の件数、送信待ち・保留の受付完了メール、締切の状況を表示する。"""
    app = ctx.app()
    now = datetime.now(UTC)
    out = console()
    with app.uow() as uow:
        states = uow.repo.mailbox_states()
        for state in states:
            out.print(f"メールボックス {state.account} / {state.folder}", markup=False)
            out.print(
                f"  最後に取り込んだ日時: {short_jst(state.last_poll_at) or '（まだありません）'}"
            )
            out.print(f"  直近のエラー: {state.last_error or 'なし'}", markup=False)
        if not states:
            out.print("まだ一度も取り込んでいません（intake poll --once または intake run）。")
        pending_marks = sum(1 for m in uow.repo.messages() if m.server_state is ServerState.PENDING)
        all_acks = uow.repo.acknowledgements()
        due = [a for a in all_acks if a.status is SendStatus.PENDING and a.due_at <= now]
        held = [a for a in all_acks if a.status is SendStatus.HELD]
        failed = [a for a in all_acks if a.status is SendStatus.FAILED]
        in_flight = [a for a in all_acks if a.status in (SendStatus.CLAIMED, SendStatus.SENDING)]
        out.print(f"処理済みの印をまだ付けていないメール: {pending_marks} 件")
        out.print(f"未対応の不備: {len(uow.repo.rejections(RejectionStatus.OPEN))} 件")
        out.print(f"送信予定を過ぎた受付完了メール: {len(due)} 件")
        out.print(f"保留中の受付完了メール: {len(held)} 件" + ("（要確認）" if held else ""))
        out.print(
            f"送信に失敗した受付完了メール: {len(failed)} 件" + ("（要確認）" if failed else "")
        )
        if in_flight:
            out.print(
                f"送信処理が途中のまま止まっている受付完了メール: {len(in_flight)} 件"
                "（次の送信時に確認します）"
            )
        for term in app.settings.terms:
            done = uow.repo.cutoff_for(term.id, term.closes_at)
            if done is not None:
                state_text = f"締切処理済み（名簿 第{done.version}版、{short_jst(done.ran_at)}）"
            elif term.closes_at <= now:
                state_text = "締切を過ぎていますが締切処理はまだです"
            elif term.opens_at <= now:
                state_text = "受付中"
            else:
                state_text = "受付開始前"
            period = f"{short_jst(term.opens_at)}〜{short_jst(term.closes_at)}"
            out.print(f"{term.name}: {period} {state_text}", markup=False)


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
