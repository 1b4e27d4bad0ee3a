"""The `intake` command line.

Exit codes: 0 done; 1 unexpected failure; 2 usage or configuration error; 3 database not set
up, not at the latest revision or unreachable; 4 a mail server unreachable or login refused;
5 record not found; 6 `intake run` already running.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from intake.adapters.lock import LockBusy
from intake.adapters.orm import Application, Message
from intake.adapters.schema import current_revision, upgrade
from intake.domain.labels import APPLICATION_STATUS_LABELS, ELIGIBILITY_LABELS, OUTCOME_LABELS
from intake.domain.model import Outcome
from intake.domain.text import escape_invisible
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.common import (
    EPILOG,
    EXIT_CONFIG,
    EXIT_FAILURE,
    Context,
    operator_errors,
    pass_ctx,
)
from intake.entrypoints.logs import configure_logging
from intake.entrypoints.operations import acks, cutoff, run, status
from intake.entrypoints.ops_export import attachments_group, export_group, terms_group
from intake.entrypoints.ops_notify import notify
from intake.entrypoints.output import console, print_json, print_table
from intake.entrypoints.rejections import rejections
from intake.entrypoints.users_cli import users
from intake.entrypoints.web_cli import web
from intake.services.errors import NotFound
from intake.services.ingest import Source, record_message
from intake.services.received import received_time


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG,
)
@click.option(
    "--config",
    "config",
    metavar="PATH",
    help="設定ファイル（TOML）。省略時は環境変数 INTAKE_CONFIG。",
)
@click.option("-v", "--verbose", is_flag=True, help="処理の詳細をログに出す。")
@click.version_option(package_name="intake")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """外国人支援コーディネーター養成研修の受講申込メールを受け付ける intake のコマンド。

    メールボックスから申込メールを取り込み、件名・添付ファイル名・募集期間・様式の内容で判定して、
    申込または不備ログに記録します。約 1 週間後の受付完了メール、締切処理、不備への対応も行います。
    """
    configure_logging(logging.INFO if verbose else logging.WARNING)
    ctx.obj = Context(config)


# -- db ----------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """データベースの作成・更新。"""


@db.command("upgrade")
@pass_ctx
@operator_errors
def db_upgrade(ctx: Context) -> None:
    """データベースを作成する、または最新の構成に更新する（何度実行してもよい）。"""
    app = ctx.app(check_schema=False)
    before = current_revision(app.engine)
    upgrade(app.engine)
    after = current_revision(app.engine)
    if before == after:
        click.echo(f"データベースは最新です（リビジョン {after}）。")
    else:
        click.echo(f"データベースを更新しました（{before or '新規作成'} → {after}）。")


# -- poll --------------------------------------------------------------------------------------
@main.command()
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
        click.echo(f"記録できなかったメール（次回再試行します）: {failure}", err=True)
    for failure in report.mark_failures:
        click.echo(
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
        console=console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


# -- messages ----------------------------------------------------------------------------------
def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "message_id": message.message_id,
        "subject": message.subject,
        "from": message.from_address,
        "received_at": iso_jst(message.received_at),
        "outcome": message.outcome,
        "attachments": [a.filename for a in message.attachments],
    }


@main.group()
def messages() -> None:
    """受信したメールの一覧。"""


@messages.command("list")
@click.option(
    "--outcome",
    type=click.Choice([o.value for o in Outcome]),
    help="この判定結果のものだけ表示する。",
)
@click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力する。")
@pass_ctx
@operator_errors
def messages_list(ctx: Context, outcome: str | None, as_json: bool) -> None:
    """受信したメールを受信順に表示する。"""
    app = ctx.app()
    with app.uow() as uow:
        rows = uow.repo.messages(outcome)
        if as_json:
            print_json([message_json(m) for m in rows])
            return
        print_table(
            f"受信メール（{len(rows)} 件）",
            ["番号", "受信日時", "判定", "差出人", "件名", "添付"],
            [
                [
                    str(m.id),
                    short_jst(m.received_at),
                    OUTCOME_LABELS[Outcome(m.outcome)],
                    m.from_address or "",
                    m.subject or "（件名なし）",
                    "\n".join(a.filename or "（名前なし）" for a in m.attachments),
                ]
                for m in rows
            ],
        )


# -- applications ------------------------------------------------------------------------------


def application_json(application: Application) -> dict[str, Any]:
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


def application_detail_json(application: Application) -> dict[str, Any]:
    return {
        **application_json(application),
        "form": application.form,
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
            for e in application.experience
        ],
        "attachments": [
            {"doc_type": a.doc_type, "filename": a.filename, "sha256": a.sha256, "size": a.size}
            for a in application.attachments
        ],
        "eligibility_explanation": application.eligibility_explanation,
        "warnings": application.warnings,
    }


@main.group()
def applications() -> None:
    """受け付けた申込（書類がそろい、様式を読み取れたもの）の一覧と詳細。"""


@applications.command("list")
@click.option("--term", "term_id", type=int, help="この期（terms の id）の申込だけ表示する。")
@click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力する。")
@pass_ctx
@operator_errors
def applications_list(ctx: Context, term_id: int | None, as_json: bool) -> None:
    """申込を受付順に表示する（再提出で置き換えられたものも含む）。"""
    app = ctx.app()
    with app.uow() as uow:
        rows = uow.repo.applications(term_id)
        if as_json:
            print_json([application_json(a) for a in rows])
            return
        print_table(
            f"申込（{len(rows)} 件）",
            [
                "番号",
                "期",
                "氏名",
                "ローマ字",
                "差出人",
                "受信日時",
                "書類完備",
                "状態",
                "受講資格",
            ],
            [
                [
                    str(a.id),
                    str(a.term_id),
                    a.name_kanji or "",
                    a.name_romaji,
                    a.email,
                    short_jst(a.received_at),
                    short_jst(a.completed_at),
                    APPLICATION_STATUS_LABELS.get(a.status, a.status),
                    ELIGIBILITY_LABELS.get(a.eligibility, a.eligibility),
                ]
                for a in rows
            ],
        )


@applications.command("show")
@click.argument("application_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON オブジェクトで出力する。")
@pass_ctx
@operator_errors
def applications_show(ctx: Context, application_id: int, as_json: bool) -> None:
    """申込 1 件の詳細（様式の内容、実務経験、添付書類、受講資格の判定）を表示する。"""
    app = ctx.app()
    with app.uow() as uow:
        application = uow.repo.application(application_id)
        if application is None:
            raise NotFound(f"申込 {application_id} は存在しません")
        if as_json:
            print_json(application_detail_json(application))
            return
        out = console()
        a = application
        out.print(
            f"申込 {a.id}（第{a.term_id}期、{APPLICATION_STATUS_LABELS.get(a.status, a.status)}）",
            markup=False,
        )
        out.print(f"氏名　　: {a.name_kanji or ''}（{a.name_romaji}）", markup=False)
        out.print(f"差出人　: {a.email}", markup=False)
        out.print(f"受信日時: {short_jst(a.received_at)}（書類完備 {short_jst(a.completed_at)}）")
        form = a.form
        for key, label in (
            ("org_name", "所属機関"),
            ("window_name", "相談窓口"),
            ("operator_type", "運営主体"),
            ("prefecture", "都道府県"),
            ("role", "現在の立場"),
        ):
            out.print(f"{label}: {form.get(key) or ''}", markup=False)
        out.print("実務経験:")
        for e in a.experience:
            end = "現在" if e.ongoing else (e.period_to.isoformat() if e.period_to else "?")
            start = e.period_from.isoformat() if e.period_from else "?"
            out.print(
                f"  {start}〜{end} {e.window_name or ''} 従事 {e.days_worked or '?'} 日",
                markup=False,
            )
        out.print("添付書類:")
        for att in a.attachments:
            out.print(f"  - {att.filename}（{att.size:,} バイト）", markup=False)
        out.print(f"受講資格: {ELIGIBILITY_LABELS.get(a.eligibility, a.eligibility)}", markup=False)
        out.print(a.eligibility_explanation, markup=False)
        for warning in a.warnings:
            out.print(f"注意: {warning}", markup=False)


# -- ingest ------------------------------------------------------------------------------------
@main.command()
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
            click.echo(
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
        click.echo(escape_invisible(f"{path.name}: {label}（記録番号 {result.message_pk}）"))
        for r in result.reasons:
            click.echo(escape_invisible(f"  - {r.code}: {r.message}"))
    if needs_time:
        sys.exit(EXIT_CONFIG)  # a usage problem: the command needs --received-at for those


# -- demo --------------------------------------------------------------------------------------
@main.command()
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
def demo(workdir: Path, web: bool, port: int) -> None:
    """見本の申込メールで、取り込みから不備ログ・受付完了メールまでを実演する。

    メールボックスがなくても、本物の取り込み処理（IMAP・判定・SQLite への保存）を確かめられます。
    Dovecot（dovecot-imapd）が必要です。--web を付けると、最後に操作画面の URL と、
    利用者 demo の使い捨てパスワードを表示し、Ctrl+C まで画面を開いたままにします。
    """
    from intake.entrypoints.demo import run_demo

    run_demo(workdir, web_port=port if web else None)


rejections.add_command(notify)
main.add_command(rejections)
main.add_command(acks)
main.add_command(export_group)
main.add_command(attachments_group)
main.add_command(terms_group)
main.add_command(cutoff)
main.add_command(status)
main.add_command(run)
main.add_command(users)
main.add_command(web)


if __name__ == "__main__":  # pragma: no cover
    main()
