"""Taking data out for the secretariat: `intake export …` (rosters and the rejection log as
Excel or CSV) and `intake attachments get` (an application's documents)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from intake.domain.labels import REJECTION_STATUS_LABELS, label
from intake.domain.lifecycle import RejectionStatus
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_CONFIG, EXIT_FAILURE, fail, operator_errors
from intake.entrypoints.cli.output import echo
from intake.entrypoints.cli.params import REJECTION_STATUS_CHOICES, rejection_status
from intake.services.attachments import AttachmentsError, TargetExists, copy_attachments
from intake.services.audit import operator_name
from intake.services.cutoff import term_by_id
from intake.services.exports import (
    ExportResult,
    export_applications,
    export_rejections,
    resolve_format,
)

FORMAT_LABELS = {"xlsx": "Excel（.xlsx）", "csv": "CSV（UTF-8、BOM 付き）"}

_out_option = click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="書き出すファイル（例 申込者一覧.xlsx）。同じ名前のファイルは置き換えます。",
)
_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    help="形式。省略時はファイルの拡張子から（.csv なら CSV、それ以外は xlsx）。",
)
_operator_option = click.option(
    "--operator", help="操作者名（省略時はログイン名）。監査記録に残ります。"
)


def _report_export(what: str, result: ExportResult) -> None:
    echo(f"{what} {result.rows} 件を{FORMAT_LABELS[result.fmt]}で書き出しました: {result.path}")


def _write_failed(path: Path, exc: OSError) -> NoReturn:
    fail(f"{path} に書き出せません（{exc.strerror or exc}）", EXIT_FAILURE)


# -- export ------------------------------------------------------------------------------------
@click.group("export")
def export_group() -> None:
    """申込者一覧・不備ログを Excel（.xlsx）または CSV に書き出す（監査記録に残ります）。"""


@export_group.command("applications")
@click.option("--term", "term_id", type=int, required=True, help="書き出す期（terms の id）。")
@_out_option
@_format_option
@click.option("--all", "include_all", is_flag=True, help="再提出で置き換えられた申込も含める。")
@_operator_option
@pass_ctx
@operator_errors
def export_applications_command(
    ctx: Context,
    term_id: int,
    out: Path,
    fmt: str | None,
    include_all: bool,
    operator: str | None,
) -> None:
    """期の申込者一覧（選考用の名簿）を書き出す。

    既定では現在有効な申込だけ（再提出で置き換えられたものは --all で含めます）。

    日時は日本時間です。
    """
    app = ctx.app()
    term = term_by_id(app.settings, term_id)
    path = out.resolve()
    try:
        result = export_applications(
            app.uow(),
            term,
            path,
            resolve_format(out, fmt),
            include_superseded=include_all,
            operator=operator_name(operator),
        )
    except OSError as exc:
        _write_failed(path, exc)
    _report_export(f"{term.name}の申込", result)


@export_group.command("rejections")
@_out_option
@click.option(
    "--status",
    type=click.Choice(REJECTION_STATUS_CHOICES),
    default=RejectionStatus.OPEN.value,
    show_default=True,
    help="open: 未対応 / resolved: 対応済み / all: すべて",
)
@_format_option
@_operator_option
@pass_ctx
@operator_errors
def export_rejections_command(
    ctx: Context, out: Path, status: str, fmt: str | None, operator: str | None
) -> None:
    """不備ログを書き出す（理由は 1 セルに改行区切り）。"""
    app = ctx.app()
    path = out.resolve()
    selected = rejection_status(status)
    try:
        result = export_rejections(
            app.uow(),
            path,
            resolve_format(out, fmt),
            status=selected,
            operator=operator_name(operator),
        )
    except OSError as exc:
        _write_failed(path, exc)
    what = "不備" if selected is None else f"{label(REJECTION_STATUS_LABELS, selected)}の不備"
    _report_export(what, result)


# -- attachments -------------------------------------------------------------------------------
@click.group("attachments")
def attachments_group() -> None:
    """申込の添付書類を取り出す。"""


@attachments_group.command("get")
@click.argument("application_id", type=int)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="書き出し先のフォルダー（なければ作ります）。",
)
@click.option("--force", is_flag=True, help="同じ名前のファイルがあれば置き換える。")
@_operator_option
@pass_ctx
@operator_errors
def attachments_get(
    ctx: Context, application_id: int, out: Path, force: bool, operator: str | None
) -> None:
    """申込の添付書類を、申込者が付けたファイル名でフォルダーに書き出す。

    ファイル名はフォルダーの外を指さないように整えます。同じ名前が重なると「 (2)」を付けます。

    同じ名前のファイルがすでにあるときは、--force がなければ何も書き出しません。
    """
    app = ctx.app()
    try:
        written = copy_attachments(
            app.uow(),
            app.store,
            application_id,
            out,
            force=force,
            operator=operator_name(operator),
        )
    except TargetExists as exc:
        fail(str(exc), EXIT_CONFIG)
    except AttachmentsError as exc:
        fail(str(exc), EXIT_FAILURE)
    except OSError as exc:
        _write_failed(out, exc)
    if not written:
        click.echo(f"申込 {application_id} には添付書類がありません。")
        return
    echo(f"申込 {application_id} の添付書類 {len(written)} 件を書き出しました: {out.resolve()}")
    for w in written:
        note = "（置き換え）" if w.replaced else ""
        echo(f"  {w.path.name}（{w.size:,} バイト）{note}")
