"""Taking mail in and looking at it: `intake poll`, `intake messages …`, `intake ingest`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from intake.bootstrap import LockBusy
from intake.domain.labels import OUTCOME_LABELS
from intake.domain.model import Outcome
from intake.domain.readmodel import AttachmentView, MessageDetail, MessageView
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_CONFIG, EXIT_FAILURE, operator_errors
from intake.entrypoints.cli.output import (
    Column,
    echo,
    print_json,
    print_list,
)
from intake.entrypoints.cli.params import list_options, page_of
from intake.services.ingest import Source, record_message
from intake.services.received import received_time
from intake.services.views import messages as message_views

SEARCH_HELP = "氏名（ローマ字・漢字・かな）、差出人、件名、受付番号、Message-ID で探す。"
RULE = "─" * 40


# -- poll --------------------------------------------------------------------------------------
@click.command()
@click.option("--once", is_flag=True, help="1 回だけ取り込んで終了する。")
@pass_ctx
@operator_errors
def poll(ctx: Context, once: bool) -> None:
    """メールボックスから未処理のメールを 1 回取り込み、判定して記録する（cron 向け）。

    処理したメールはサーバー上でキーワード（既定 $IntakeProcessed）を付けるか、設定に応じて
    フォルダーへ移動します。既読にはせず、削除もしません。
    """
    if not once:
        raise click.UsageError("常駐して定期的に取り込むには `intake run` を使ってください。")
    app = ctx.app()
    try:
        with _progress() as progress:
            task = progress.add_task("取り込み中", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = app.poll(progress=advance)
    except LockBusy:
        click.echo(
            "別の取り込み処理（intake poll / intake run）が実行中のため、今回は何もしません。"
        )
        return
    counts = "、".join(
        f"{label} {report.recorded[o.value]} 件"
        for o, label in OUTCOME_LABELS.items()
        if report.recorded[o.value]
    )
    click.echo(f"取り込み完了: 新規 {report.new_records} 件" + (f"（{counts}）" if counts else ""))
    if report.already_known:
        click.echo(
            f"記録済みのメール {report.already_known} 件はサーバー上の印のみ付け直しました。"
        )
    if report.uidvalidity_changed:
        click.echo(
            "注意: メールボックスの UIDVALIDITY が変わりました。記録済みのメールは照合済みです。"
        )
    for failure in report.failed:
        echo(f"記録できなかったメール（次回再試行します）: {failure}", err=True)
    for failure in report.mark_failures:
        echo(
            f"サーバー上で処理済みの印を付けられませんでした（次回再試行します）: {failure}",
            err=True,
        )
    if report.failed or report.mark_failures:
        sys.exit(EXIT_FAILURE)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(file=sys.stderr, highlight=False),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


# -- messages ----------------------------------------------------------------------------------
def message_json(message: MessageView) -> dict[str, Any]:
    return {
        "id": message.id,
        "message_id": message.message_id,
        "subject": message.subject,
        "from": message.from_address,
        "received_at": iso_jst(message.received_at),
        "outcome": message.outcome,
        "attachments": [a.filename for a in message.attachments],
    }


def attachment_json(attachment: AttachmentView) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "doc_type": attachment.doc_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def message_detail_json(detail: MessageDetail) -> dict[str, Any]:
    m, content = detail.message, detail.content
    return {
        **message_json(m),
        "from_display": m.from_display,
        "applicant_name": m.applicant_name,
        "name_kanji": m.name_kanji,
        "name_kana": m.name_kana,
        "terms": list(m.term_ids),
        "rejection": m.rejection_id,
        "application": m.application_id,
        "reference": m.reference,
        "size": m.size,
        "notes": list(m.notes),
        "attachments": [attachment_json(a) for a in m.attachments],
        "headers": [{"name": name, "value": value} for name, value in content.headers],
        "body": content.body,
        "complete": content.complete,
        "defects": list(content.defects),
    }


@click.group()
def messages() -> None:
    """受信したメールの一覧と内容。"""


@messages.command("list")
@click.option(
    "--outcome",
    type=click.Choice([o.value for o in Outcome]),
    help="この判定結果のものだけ表示する。",
)
@list_options(search=SEARCH_HELP)
@pass_ctx
@operator_errors
def messages_list(
    ctx: Context,
    outcome: str | None,
    search: str | None,
    limit: int | None,
    offset: int,
    as_json: bool,
) -> None:
    """受信したメールを受信順に表示する。"""
    app = ctx.app()
    with app.read() as q:
        paged = message_views.list_messages(
            q,
            outcome=Outcome(outcome) if outcome else None,
            search=search,
            page=page_of(limit, offset),
        )
    print_list(
        paged,
        as_json=as_json,
        to_json=message_json,
        title="受信メール",
        columns=[
            Column("番号"),
            Column("受信日時"),
            Column("判定", flexible=True),
            Column("差出人", flexible=True),
            Column("件名", flexible=True),
            Column("添付", flexible=True),
        ],
        row=lambda m: [
            str(m.id),
            short_jst(m.received_at),
            m.outcome_label,
            m.from_address or "",
            m.display_subject,
            "\n".join(a.display_name for a in m.attachments),
        ],
    )


@messages.command("show")
@click.argument("message_pk", metavar="ID", type=int)
@click.option("--headers", "all_headers", is_flag=True, help="すべてのヘッダーを表示する。")
@click.option("--json", "as_json", is_flag=True, help="JSON オブジェクトで出力する。")
@pass_ctx
@operator_errors
def messages_show(ctx: Context, message_pk: int, all_headers: bool, as_json: bool) -> None:
    """受信したメール 1 通の内容（ヘッダー、本文、添付ファイル）を表示する。

    ID は messages list の番号（記録番号）です。HTML のメールは文字だけにして表示します。
    """
    app = ctx.app()
    with app.read() as q:
        detail = message_views.message_detail(
            q,
            app.store,
            app.documents,
            message_pk,
            max_bytes=app.settings.limits.message_max_bytes,
        )
    if as_json:
        print_json(message_detail_json(detail))
        return
    m, content = detail.message, detail.content
    where = f"（不備記録 {m.rejection_id}）" if m.rejection_id else ""
    echo(f"メール（記録番号 {m.id}）: {m.outcome_label}{where}")
    echo(f"受信日時: {short_jst(m.received_at)}")
    if m.reference:
        echo(f"受付番号: {m.reference}（申込 {m.application_id}）")
    echo("ヘッダー:")
    for name, value in content.headers if all_headers else content.main_headers:
        echo(f"  {name}: {value}")
    echo("添付ファイル:" if m.attachments else "添付ファイル: なし")
    for a in m.attachments:
        kind = "、".join(x for x in (a.doc_label, a.content_type) if x)
        echo(f"  - [{a.id}] {a.display_name}（{a.size:,} バイト、{kind}）")
    for note in m.notes:
        echo(f"備考: {note}")
    for defect in content.defects:
        echo(f"読み取りの注意: {defect}")
    echo("本文:")
    echo(RULE)
    echo(content.body.rstrip("\n") if content.body.strip() else "（本文なし）")
    echo(RULE)


# -- ingest ------------------------------------------------------------------------------------
@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--received-at",
    "received_at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S"]),
    help="受信日時（ISO 8601、例 2025-04-14T09:30:00+09:00）。"
    "省略時は各ファイルの Date: ヘッダー。",
)
@pass_ctx
@operator_errors
def ingest(ctx: Context, files: tuple[Path, ...], received_at: datetime | None) -> None:
    """ローカルの .eml ファイルを、メールボックスから届いたものと同じ手順で判定・記録する。

    過去分の取り込みや、メールボックスなしでの動作確認に使います。受信日時が分からない
    ファイル（Date ヘッダーがない・読めない）は記録せずに 1 行で知らせ、ほかのファイルは
    記録して、終了コード 2 で終わります。
    """
    app = ctx.app()
    needs_time = 0
    for path in files:
        raw = path.read_bytes()
        received = received_time(raw, received_at)
        if received.at is None:
            echo(
                f"{path}: {received.problem}。"
                "このファイルには --received-at で受信日時を指定してください。",
                err=True,
            )
            needs_time += 1
            continue
        when = received.at
        result = record_message(
            app.uow(),
            app.store,
            app.settings,
            raw=raw,
            source=Source(account="file", folder=str(path.resolve().parent)),
            received_at=when,
        )
        label = OUTCOME_LABELS[result.outcome]
        echo(f"{path.name}: {label}（記録番号 {result.message_pk}）")
        for r in result.reasons:
            echo(f"  - {r.code}: {r.message}")
    if needs_time:
        sys.exit(EXIT_CONFIG)  # a usage problem: the command needs --received-at for those
