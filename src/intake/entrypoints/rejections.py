"""`intake rejections …`: the operators' daily review of the rejection log, and their actions."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from intake.adapters.formreader import read_application_form, read_experience_sheet
from intake.adapters.orm import Rejection
from intake.adapters.workbook import WorkbookError
from intake.bootstrap import App
from intake.domain.labels import REJECTION_STATUS_LABELS, RESOLUTION_LABELS, label
from intake.domain.lifecycle import RejectionStatus
from intake.domain.model import DocType, ReasonCode
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.common import (
    EXIT_FAILURE,
    REJECTION_STATUS_CHOICES,
    Context,
    operator_errors,
    pass_ctx,
    rejection_status,
)
from intake.entrypoints.operations import IsoDateTime
from intake.entrypoints.output import console, print_json, print_table
from intake.services.audit import operator_name
from intake.services.errors import NotFound
from intake.services.review import (
    AlreadyResolved,
    ReviewError,
    accept,
    reprocess,
    resolve_rejection,
)


def rejection_json(rejection: Rejection) -> dict[str, Any]:
    message = rejection.message
    return {
        "id": rejection.id,
        "message_id": message.message_id,
        "subject": message.subject,
        "from": message.from_address,
        "received_at": iso_jst(message.received_at),
        "reasons": [{"code": r.code, "message": r.message} for r in rejection.reasons],
        "status": rejection.status,
        "resolution": rejection.resolution,
        "resolved_at": iso_jst(rejection.resolved_at),
        "resolved_by": rejection.resolved_by,
        "note": rejection.note,
        "attachments": [a.filename for a in message.attachments],
        "record": message.id,
        "terms": message.term_ids,
    }


def _select(
    app: App,
    *,
    status: RejectionStatus | None,
    term_id: int | None,
    reason: str | None,
    since: datetime | None,
) -> list[Rejection]:
    with app.uow() as uow:
        rows = list(uow.repo.rejections(status))
    term = next((t for t in app.settings.terms if t.id == term_id), None)
    if term_id is not None and term is None:
        raise click.UsageError(f"第{term_id}期（id = {term_id}）は設定ファイルにありません。")
    selected = []
    for r in rows:
        received = r.message.received_at
        if term is not None and term.id not in r.message.term_ids and not term.contains(received):
            continue
        if reason and reason not in {x.code for x in r.reasons}:
            continue
        if since and received < since:
            continue
        selected.append(r)
    return selected


@click.group()
def rejections() -> None:
    """不備ログ（受け付けられなかった申込メール）の確認と対応。"""


@rejections.command("list")
@click.option(
    "--status",
    type=click.Choice(REJECTION_STATUS_CHOICES),
    default=RejectionStatus.OPEN.value,
    show_default=True,
    help="open: 未対応 / resolved: 対応済み / all: すべて",
)
@click.option("--term", "term_id", type=int, help="この期（terms の id）のものだけ。")
@click.option(
    "--reason", type=click.Choice([c.value for c in ReasonCode]), help="この理由を含むものだけ。"
)
@click.option(
    "--since", type=IsoDateTime(), help="この日時以降に受信したものだけ（例 2025-05-01）。"
)
@click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力する。")
@pass_ctx
@operator_errors
def rejections_list(
    ctx: Context,
    status: str,
    term_id: int | None,
    reason: str | None,
    since: datetime | None,
    as_json: bool,
) -> None:
    """不備ログを表示する（既定は未対応のもの）。"""
    rows = _select(
        ctx.app(), status=rejection_status(status), term_id=term_id, reason=reason, since=since
    )
    if as_json:
        print_json([rejection_json(r) for r in rows])
        return
    print_table(
        f"不備ログ（{len(rows)} 件）",
        ["番号", "受信日時", "差出人", "件名", "理由", "状態"],
        [
            [
                str(r.id),
                short_jst(r.message.received_at),
                r.message.from_address or "",
                r.message.subject or "（件名なし）",
                "\n".join(f"{x.code}: {x.message}" for x in r.reasons),
                label(REJECTION_STATUS_LABELS, r.status),
            ]
            for r in rows
        ],
    )


def _form_summary(app: App, rejection: Rejection) -> list[str]:
    """What the attached forms said, as far as they could be read (never fails)."""
    lines: list[str] = []
    for attachment in rejection.message.attachments:
        if attachment.doc_type not in (DocType.APPLICATION_FORM, DocType.EXPERIENCE_SHEET):
            continue
        if not (attachment.filename or "").lower().endswith(".xlsx"):
            continue
        data = app.store.read(attachment.stored_path)
        try:
            if attachment.doc_type == DocType.APPLICATION_FORM:
                form = read_application_form(data, attachment.filename or "").application
                if form is not None:
                    lines.append(
                        f"受講申込書（{f'第{form.term}期用' if form.term else '期不明'}）: "
                        f"{form.name_kanji or '—'}"
                        f"（{form.name_romaji or '—'}）、{form.email or 'メールアドレスなし'}、"
                        f"{form.org_name or '所属なし'}／{form.window_name or '窓口名なし'}"
                    )
            else:
                sheet = read_experience_sheet(data, attachment.filename or "").experience
                if sheet is not None:
                    lines.append(
                        f"実務経験申告書: {sheet.name_romaji or '—'}、{len(sheet.entries)} 行、"
                        f"従事日数の合計 {sheet.computed_total} 日"
                    )
        except WorkbookError as exc:
            lines.append(f"{attachment.filename}: 読み取れません（{exc.cause}）")
    return lines


@rejections.command("show")
@click.argument("rejection_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON オブジェクトで出力する。")
@pass_ctx
@operator_errors
def rejections_show(ctx: Context, rejection_id: int, as_json: bool) -> None:
    """不備記録 1 件の詳細（理由、添付ファイル、様式の内容、対応の履歴）を表示する。"""
    app = ctx.app()
    with app.uow() as uow:
        rejection = uow.repo.rejection(rejection_id)
        if rejection is None:
            raise NotFound(f"不備記録 {rejection_id} は存在しません")
        history = uow.repo.audit_events(f"rejection:{rejection.id}")
        forms = _form_summary(app, rejection)
        if as_json:
            data = rejection_json(rejection)
            data["attachments"] = [
                {
                    "filename": a.filename,
                    "doc_type": a.doc_type,
                    "size": a.size,
                    "stored_path": str(app.store.path(a.stored_path)),
                }
                for a in rejection.message.attachments
            ]
            data["forms"] = forms
            data["notes"] = rejection.message.notes
            data["history"] = [
                {"at": iso_jst(e.at), "operator": e.operator, "action": e.action, "note": e.note}
                for e in history
            ]
            print_json(data)
            return
        m = rejection.message
        out = console()
        state = label(REJECTION_STATUS_LABELS, rejection.status)
        out.print(f"不備記録 {rejection.id}（{state}）", markup=False)
        out.print(f"件名　　: {m.subject or '（件名なし）'}", markup=False)
        out.print(f"差出人　: {m.from_display or m.from_address or ''}", markup=False)
        out.print(f"受信日時: {short_jst(m.received_at)}")
        out.print("理由:")
        for r in rejection.reasons:
            out.print(f"  - {r.code}: {r.message}", markup=False)
        out.print("添付ファイル:")
        for a in m.attachments:
            out.print(
                f"  - {a.filename or '（名前なし）'}（{a.size:,} バイト）"
                f" 保存先 {app.store.path(a.stored_path)}",
                markup=False,
            )
        if forms:
            out.print("様式の内容:")
            for line in forms:
                out.print(f"  - {line}", markup=False)
        for note in m.notes:
            out.print(f"備考: {note}", markup=False)
        for event in history:
            out.print(
                f"履歴: {short_jst(event.at)} {event.operator} {event.action}"
                + (f"「{event.note}」" if event.note else ""),
                markup=False,
            )
        if rejection.status is RejectionStatus.RESOLVED:
            how = label(RESOLUTION_LABELS, rejection.resolution)
            out.print(
                f"対応: {how}（{short_jst(rejection.resolved_at)} {rejection.resolved_by}）"
                f"「{rejection.note or ''}」",
                markup=False,
            )


@rejections.command("resolve")
@click.argument("rejection_id", type=int)
@click.option("--note", required=True, help="対応内容のメモ（例: 申込者に電話で再送を依頼）。")
@click.option("--operator", help="対応者名（省略時はログイン名）。")
@pass_ctx
@operator_errors
def rejections_resolve(ctx: Context, rejection_id: int, note: str, operator: str | None) -> None:
    """不備記録を、申込にはせずに対応済みにする。"""
    app = ctx.app()
    if resolve_rejection(app.uow(), rejection_id, note=note, operator=operator_name(operator)):
        click.echo(f"不備記録 {rejection_id} を対応済みにしました。")
    else:
        click.echo(f"不備記録 {rejection_id} はすでに対応済みです（変更なし）。")


@rejections.command("reprocess")
@click.argument("rejection_id", type=int, required=False)
@click.option(
    "--reason",
    type=click.Choice([c.value for c in ReasonCode]),
    help="この理由を含む未対応の不備をすべて。",
)
@click.option("--term", "term_id", type=int, help="この期の未対応の不備をすべて。")
@click.option("--note", help="メモ（例: 締切延長のため）。")
@click.option("--operator", help="対応者名（省略時はログイン名）。")
@pass_ctx
@operator_errors
def rejections_reprocess(
    ctx: Context,
    rejection_id: int | None,
    reason: str | None,
    term_id: int | None,
    note: str | None,
    operator: str | None,
) -> None:
    """保存してある元のメールで判定をやり直す（締切延長や規則の修正のあと）。

    通れば申込として受け付けて不備記録は対応済み（再処理）に、通らなければ新しい理由で
    未対応のまま残ります。メールサーバーには接続しません。
    """
    app = ctx.app()
    if rejection_id is None and reason is None and term_id is None:
        raise click.UsageError("不備記録の番号、--reason、--term のいずれかを指定してください。")
    if rejection_id is not None:
        targets = [rejection_id]
    else:
        targets = [
            r.id
            for r in _select(
                app, status=RejectionStatus.OPEN, term_id=term_id, reason=reason, since=None
            )
        ]
    who = operator_name(operator)
    failures = 0
    for target in targets:
        try:
            result = reprocess(app.uow(), app.store, app.settings, target, operator=who, note=note)
        except AlreadyResolved as exc:
            # Closed by an earlier one of this batch (a supplement completed it): not a failure.
            click.echo(f"不備記録 {target}: {exc}（対象外）")
            continue
        except ReviewError as exc:
            click.echo(f"不備記録 {target}: {exc}", err=True)
            failures += 1
            continue
        if result.outcome.value == "rejected":
            click.echo(f"不備記録 {target}: まだ不備があります（{', '.join(result.new_codes)}）")
        else:
            extra = f"、申込 {result.application_id}" if result.application_id else ""
            click.echo(f"不備記録 {target}: 受け付けました（{result.outcome.value}{extra}）")
    click.echo(f"再処理: {len(targets)} 件")
    if failures:
        sys.exit(EXIT_FAILURE)


@rejections.command("accept")
@click.argument("rejection_id", type=int)
@click.option("--note", required=True, help="受け付ける理由（例: 事務局長の判断で受付）。")
@click.option("--term", "term_id", type=int, help="期を決められないときに指定する。")
@click.option("--operator", help="対応者名（省略時はログイン名）。")
@pass_ctx
@operator_errors
def rejections_accept(
    ctx: Context, rejection_id: int, note: str, term_id: int | None, operator: str | None
) -> None:
    """担当者の判断で、不備のあるメールを申込として受け付ける（受付完了メールも送られます）。"""
    app = ctx.app()
    try:
        application_id = accept(
            app.uow(),
            app.store,
            app.settings,
            rejection_id,
            operator=operator_name(operator),
            note=note,
            term_id=term_id,
        )
    except ReviewError as exc:
        click.echo(f"不備記録 {rejection_id}: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(f"不備記録 {rejection_id} を申込 {application_id} として受け付けました。")
