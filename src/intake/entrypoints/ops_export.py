"""Commands that take data out for the secretariat (exports, documents) and look at the terms.

Registered in the `main` group by cli.py: `export_group` (intake export …),
`attachments_group` (intake attachments …) and `terms_group` (intake terms …).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from intake.adapters.exports import Format, guess_format
from intake.adapters.formspecs import FORM_SPECS
from intake.config import Settings
from intake.domain.labels import REJECTION_STATUS_LABELS, TERM_STATE_LABELS, label
from intake.domain.lifecycle import ApplicationStatus, RejectionStatus, TermState, term_state
from intake.domain.model import Term, odd_deadline
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.common import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    REJECTION_STATUS_CHOICES,
    Context,
    fail,
    operator_errors,
    pass_ctx,
    rejection_status,
)
from intake.entrypoints.operations import IsoDateTime
from intake.entrypoints.output import print_json, print_table
from intake.services.attachments import AttachmentsError, TargetExists, copy_attachments
from intake.services.audit import operator_name
from intake.services.cutoff import term_by_id
from intake.services.exports import ExportResult, export_applications, export_rejections
from intake.services.unit_of_work import UnitOfWork

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


def _resolve_format(out: Path, fmt: str | None) -> Format:
    if fmt == "csv":
        return "csv"
    if fmt == "xlsx":
        return "xlsx"
    return guess_format(out)


def _report_export(what: str, result: ExportResult) -> None:
    click.echo(
        f"{what} {result.rows} 件を{FORMAT_LABELS[result.fmt]}で書き出しました: {result.path}"
    )


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
            _resolve_format(out, fmt),
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
            _resolve_format(out, fmt),
            status=selected,
            operator=operator_name(operator),
        )
    except OSError as exc:
        _write_failed(path, exc)
    _report_export(f"{label(REJECTION_STATUS_LABELS, selected)}の不備", result)


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
    click.echo(
        f"申込 {application_id} の添付書類 {len(written)} 件を書き出しました: {out.resolve()}"
    )
    for w in written:
        note = "（置き換え）" if w.replaced else ""
        click.echo(f"  {w.path.name}（{w.size:,} バイト）{note}")


# -- terms -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermOverview:
    term: Term
    state: TermState
    cutoff_version: int | None  # of the cutoff for the deadline in force
    current_applications: int
    open_rejections: int  # open rejections of mail received in the period

    @property
    def state_label(self) -> str:
        text = TERM_STATE_LABELS[self.state]
        return f"{text}（v{self.cutoff_version}）" if self.cutoff_version else text


def term_overviews(settings: Settings, uow: UnitOfWork, now: datetime) -> list[TermOverview]:
    with uow:
        applications = uow.repo.applications()
        open_rejections = uow.repo.rejections(RejectionStatus.OPEN)
        overviews = []
        for term in sorted(settings.terms, key=lambda t: (t.opens_at, t.id)):
            done = uow.repo.cutoff_for(term.id, term.closes_at)
            overviews.append(
                TermOverview(
                    term=term,
                    state=term_state(term, now, cutoff_done=done is not None),
                    cutoff_version=done.version if done else None,
                    current_applications=sum(
                        1
                        for a in applications
                        if a.term_id == term.id and a.status is ApplicationStatus.ACCEPTED
                    ),
                    open_rejections=sum(
                        1 for r in open_rejections if term.contains(r.message.received_at)
                    ),
                )
            )
        return overviews


def term_warnings(settings: Settings, uow: UnitOfWork) -> list[str]:
    """What in the terms' configuration needs a person's attention."""
    warnings: list[str] = []
    form_terms = {spec.term for spec in FORM_SPECS if spec.term is not None}
    terms = sorted(settings.terms, key=lambda t: (t.opens_at, t.id))
    warnings.extend(w for w in map(odd_deadline, terms) if w)
    for term in terms:
        if term.id not in form_terms:
            warnings.append(
                f"{term.name}（id = {term.id}）用の受講申込書の様式が登録されていません"
                f"（FORM_SPECS に第{term.id}期の版がありません）。申込書の様式で期を判別するため、"
                "この期の募集期間に届いた申込は受け付けられません（TERM_MISMATCH）。"
            )
    for i, first in enumerate(terms):
        for second in terms[i + 1 :]:
            start = max(first.opens_at, second.opens_at)
            end = min(first.closes_at, second.closes_at)
            if start > end:
                continue
            missing = [t.name for t in (first, second) if t.id not in form_terms]
            if not missing:
                continue  # the forms tell the terms apart
            warnings.append(
                f"{first.name}と{second.name}の募集期間が重なっています"
                f"（{short_jst(start)}〜{short_jst(end)}）。重なる期間の申込は申込書の様式で"
                f"期を判別しますが、{'・'.join(missing)}用の様式がないため判別できません。"
            )
    with uow:
        for term in terms:
            cutoffs = uow.repo.cutoffs(term.id)
            if not cutoffs:
                continue
            latest = max(cutoffs, key=lambda c: c.version)
            if latest.closes_at != term.closes_at:
                warnings.append(
                    f"{term.name}の締切が締切処理後に変更されています"
                    f"（処理時 {short_jst(latest.closes_at)}、現在 {short_jst(term.closes_at)}）。"
                    "次回の締切処理で新しい版の名簿を作ります。"
                )
    return warnings


def term_json(overview: TermOverview) -> dict[str, Any]:
    term = overview.term
    return {
        "id": term.id,
        "name": term.name,
        "opens_at": iso_jst(term.opens_at),
        "closes_at": iso_jst(term.closes_at),
        "status": overview.state,
        "status_label": overview.state_label,
        "cutoff_version": overview.cutoff_version,
        "capacity": term.capacity,
        "current_applications": overview.current_applications,
        "open_rejections": overview.open_rejections,
    }


@click.group("terms")
def terms_group() -> None:
    """期（募集期間・定員）の状況と設定の確認。"""


@terms_group.command("list")
@click.option("--now", "now", type=IsoDateTime(), help="この日時として判定する（既定: 現在時刻）。")
@click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力する。")
@pass_ctx
@operator_errors
def terms_list(ctx: Context, now: datetime | None, as_json: bool) -> None:
    """期ごとの募集期間（日本時間）、状態、定員、現在の申込数、期間内の未対応の不備を表示する。"""
    app = ctx.app()
    rows = term_overviews(app.settings, app.uow(), now or datetime.now(UTC))
    if as_json:
        print_json([term_json(o) for o in rows])
        return
    print_table(
        f"期（{len(rows)} 件）",
        ["番号", "名称", "募集期間", "状態", "定員", "申込", "未対応の不備"],
        [
            [
                str(o.term.id),
                o.term.name,
                f"{short_jst(o.term.opens_at)}〜{short_jst(o.term.closes_at)}",
                o.state_label,
                str(o.term.capacity),
                str(o.current_applications),
                str(o.open_rejections),
            ]
            for o in rows
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
    warnings = term_warnings(app.settings, app.uow())
    if not warnings:
        click.echo(f"期の設定に問題は見つかりませんでした（{len(app.settings.terms)} 期）。")
        return
    for warning in warnings:
        click.echo(f"警告: {warning}")
    sys.exit(EXIT_FAILURE)
