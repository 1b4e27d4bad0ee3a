"""`intake applications …`: the applications recorded, and one in full."""

from __future__ import annotations

from typing import Any

import click

from intake.domain.readmodel import ApplicationDetail, ApplicationView
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import operator_errors
from intake.entrypoints.cli.output import (
    Column,
    echo,
    print_json,
    print_list,
)
from intake.entrypoints.cli.params import list_options, page_of
from intake.services.views import applications as views

SEARCH_HELP = "氏名（ローマ字・漢字・かな）、メールアドレス、受付番号で探す。"


def application_json(application: ApplicationView) -> dict[str, Any]:
    return {
        "id": application.id,
        "term": application.term_id,
        "name_romaji": application.name_romaji,
        "name_kanji": application.name_kanji,
        "email": application.email,
        "received_at": iso_jst(application.received_at),
        "completed_at": iso_jst(application.completed_at),
        "status": application.status,
        "eligibility": application.eligibility,
    }


def application_detail_json(detail: ApplicationDetail) -> dict[str, Any]:
    return {
        **application_json(detail.application),
        "form": dict(detail.form),
        "experience": [
            {
                "row": e.sheet_row,
                "no": e.no,
                "period_from": e.period_from.isoformat() if e.period_from else None,
                "period_to": e.period_to.isoformat() if e.period_to else None,
                "ongoing": e.ongoing,
                "organisation": e.organisation,
                "window_name": e.window_name,
                "employment_type": e.employment_type,
                "days_worked": e.days_worked,
                "duties": e.duties,
            }
            for e in detail.experience
        ],
        "attachments": [
            {"doc_type": a.doc_type, "filename": a.filename, "sha256": a.sha256, "size": a.size}
            for a in detail.attachments
        ],
        "eligibility_explanation": detail.eligibility_explanation,
        "warnings": list(detail.warnings),
    }


@click.group()
def applications() -> None:
    """受け付けた申込（書類がそろい、様式を読み取れたもの）の一覧と詳細。"""


@applications.command("list")
@click.option("--term", "term_id", type=int, help="この期（terms の id）の申込だけ表示する。")
@list_options(search=SEARCH_HELP)
@pass_ctx
@operator_errors
def applications_list(
    ctx: Context,
    term_id: int | None,
    search: str | None,
    limit: int | None,
    offset: int,
    as_json: bool,
) -> None:
    """申込を受付順に表示する（再提出で置き換えられたものも含む）。"""
    with ctx.app().read() as q:
        paged = views.list_applications(
            q, term_id=term_id, search=search, page=page_of(limit, offset)
        )
    print_list(
        paged,
        as_json=as_json,
        to_json=application_json,
        title="申込",
        columns=[
            Column("番号"),
            Column("期"),
            Column("氏名", flexible=True),
            Column("ローマ字", flexible=True),
            Column("差出人", flexible=True),
            Column("受信日時"),
            Column("書類完備"),
            Column("状態"),
            Column("受講資格"),
        ],
        row=lambda a: [
            str(a.id),
            str(a.term_id),
            a.name_kanji or "",
            a.name_romaji,
            a.email,
            short_jst(a.received_at),
            short_jst(a.completed_at),
            a.status_label,
            a.eligibility_label,
        ],
    )


@applications.command("show")
@click.argument("application_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON オブジェクトで出力する。")
@pass_ctx
@operator_errors
def applications_show(ctx: Context, application_id: int, as_json: bool) -> None:
    """申込 1 件の詳細（様式の内容、実務経験、添付書類、受講資格の判定）を表示する。"""
    with ctx.app().read() as q:
        detail = views.application_detail(q, application_id)
    if as_json:
        print_json(application_detail_json(detail))
        return
    a = detail.application
    echo(f"申込 {a.id}（第{a.term_id}期、{a.status_label}、受付番号 {a.reference}）")
    echo(f"氏名　　: {a.name_kanji or ''}（{a.name_romaji}）")
    echo(f"差出人　: {a.email}")
    echo(f"受信日時: {short_jst(a.received_at)}（書類完備 {short_jst(a.completed_at)}）")
    for key, label in (
        ("org_name", "所属機関"),
        ("window_name", "相談窓口"),
        ("operator_type", "運営主体"),
        ("prefecture", "都道府県"),
        ("role", "現在の立場"),
    ):
        echo(f"{label}: {detail.form.get(key) or ''}")
    echo("実務経験:")
    for e in detail.experience:
        end = "現在" if e.ongoing else (e.period_to.isoformat() if e.period_to else "?")
        start = e.period_from.isoformat() if e.period_from else "?"
        echo(f"  {start}〜{end} {e.window_name or ''} 従事 {e.days_worked or '?'} 日")
    echo("添付書類:")
    for att in detail.attachments:
        echo(f"  - {att.display_name}（{att.size:,} バイト）")
    echo(f"受講資格: {a.eligibility_label}")
    echo(detail.eligibility_explanation)
    for warning in detail.warnings:
        echo(f"注意: {warning}")
    for ack in detail.acknowledgements:
        echo(f"受付完了メール {ack.id}: {ack.status_label}（送信予定 {short_jst(ack.due_at)}）")
