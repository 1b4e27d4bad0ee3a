"""`intake terms …` (each term's state, the configuration check) and `intake cutoff`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from intake.bootstrap import LockBusy
from intake.domain.readmodel import Page, Paged, TermOverview
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_FAILURE, operator_errors
from intake.entrypoints.cli.output import (
    Column,
    echo,
    print_list,
)
from intake.entrypoints.cli.params import IsoDateTime, list_options
from intake.services.cutoff import CutoffRun
from intake.services.views import desk as views


def term_json(overview: TermOverview) -> dict[str, Any]:
    term = overview.term
    return {
        "id": term.id,
        "name": term.name,
        "opens_at": iso_jst(term.opens_at),
        "closes_at": iso_jst(term.closes_at),
        "status": overview.state.value,
        "status_label": overview.state_label,
        "cutoff_version": overview.cutoff_version,
        "capacity": term.capacity,
        "current_applications": overview.counts.current_applications,
        "open_rejections": overview.counts.open_rejections,
    }


@click.group("terms")
def terms_group() -> None:
    """期（募集期間・定員）の状況と設定の確認。"""


@terms_group.command("list")
@click.option("--now", "now", type=IsoDateTime(), help="この日時として判定する（既定: 現在時刻）。")
@list_options()
@pass_ctx
@operator_errors
def terms_list(
    ctx: Context, now: datetime | None, limit: int | None, offset: int, as_json: bool
) -> None:
    """期ごとの募集期間（日本時間）、状態、定員、現在の申込数、期間内の未対応の不備を表示する。"""
    app = ctx.app()
    with app.read() as q:
        overviews = views.term_overviews(q, app.settings.terms, now or datetime.now(UTC))
    # Terms come from the config (a handful): paged here like every other list.
    end = None if limit is None else offset + limit
    paged = Paged(overviews[offset:end], len(overviews), Page(limit, offset))
    print_list(
        paged,
        as_json=as_json,
        to_json=term_json,
        title="期",
        columns=[
            Column("番号"),
            Column("名称", flexible=True),
            Column("募集期間", flexible=True),
            Column("状態"),
            Column("定員"),
            Column("申込"),
            Column("未対応の不備"),
        ],
        row=lambda o: [
            str(o.term.id),
            o.term.name,
            f"{short_jst(o.term.opens_at)}〜{short_jst(o.term.closes_at)}",
            o.state_label,
            str(o.term.capacity),
            str(o.counts.current_applications),
            str(o.counts.open_rejections),
        ],
    )


@terms_group.command("check")
@pass_ctx
@operator_errors
def terms_check(ctx: Context) -> None:
    """期の設定を点検する（警告があれば終了コード 1）。

    募集期間の重なりと期ごとの申込書の様式の有無、締切処理後の締切の変更を調べます。
    """
    app = ctx.app()
    with app.read() as q:
        warnings = views.term_warnings(q, app.documents, app.settings.terms)
    if not warnings:
        click.echo(f"期の設定に問題は見つかりませんでした（{len(app.settings.terms)} 期）。")
        return
    for warning in warnings:
        echo(f"警告: {warning}")
    sys.exit(EXIT_FAILURE)


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
        result = app.cutoff(term_id, now or datetime.now(UTC))
    except LockBusy:
        click.echo("別の締切処理が実行中のため、今回は何もしません。", err=True)
        sys.exit(EXIT_FAILURE)
    term = result.term
    if result.status is CutoffRun.NOT_DUE or result.cutoff is None:
        click.echo(
            f"{term.name}はまだ締切前です（締切 {short_jst(term.closes_at)}）。何もしません。"
        )
        return
    cutoff_id = result.cutoff.id
    with app.read() as q:
        done = next(c for c in views.list_cutoffs(q, term.id) if c.id == cutoff_id)
    if result.status is CutoffRun.ALREADY_DONE:
        click.echo(
            f"{term.name}（締切 {short_jst(term.closes_at)}）の締切処理は実行済みです"
            f"（名簿 第{done.version}版、{short_jst(done.ran_at)}）。"
        )
    else:
        click.echo(
            f"{term.name}を締め切りました: 申込 {done.summary['accepted']} 件"
            f"（定員 {done.summary['capacity']}）、名簿 {done.roster_path}"
        )
    if result.summary_note:
        echo(result.summary_note, err=True)
