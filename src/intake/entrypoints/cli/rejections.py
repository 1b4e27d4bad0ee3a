"""`intake rejections …`: the operators' daily review of the rejection log, and their actions
(the deficiency notice is in :mod:`intake.entrypoints.cli.notify`)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from intake.bootstrap import App
from intake.domain.lifecycle import RejectionStatus
from intake.domain.model import ReasonCode, Term
from intake.domain.readmodel import (
    RejectionDetail,
    RejectionFilter,
    RejectionSort,
    RejectionView,
)
from intake.domain.search import parse_search
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_FAILURE, operator_errors
from intake.entrypoints.cli.mail import SEARCH_HELP
from intake.entrypoints.cli.output import (
    Column,
    echo,
    print_json,
    print_list,
)
from intake.entrypoints.cli.params import (
    REJECTION_STATUS_CHOICES,
    IsoDateTime,
    UntilDateTime,
    list_options,
    page_of,
    rejection_status,
)
from intake.services.audit import operator_name
from intake.services.review import (
    AlreadyResolved,
    ReviewError,
    accept,
    reprocess,
    resolve_rejection,
)
from intake.services.views import rejections as views


def rejection_json(rejection: RejectionView) -> dict[str, Any]:
    message = rejection.message
    return {
        "id": rejection.id,
        "message_id": message.message_id,
        "subject": message.subject,
        "from": message.from_address,
        "name": message.applicant_name,
        "name_kanji": message.name_kanji,
        "received_at": iso_jst(message.received_at),
        "reasons": [
            {"code": r.code, "label": r.label, "message": r.message} for r in rejection.reasons
        ],
        "status": rejection.status,
        "resolution": rejection.resolution,
        "resolved_at": iso_jst(rejection.resolved_at),
        "resolved_by": rejection.resolved_by,
        "note": rejection.note,
        "notice": rejection.notice_state.value,
        "attachments": [a.filename for a in message.attachments],
        "record": message.id,
        "terms": list(message.term_ids),
    }


def detail_json(app: App, detail: RejectionDetail) -> dict[str, Any]:
    rejection = detail.rejection
    data = rejection_json(rejection)
    data["reference"] = rejection.message.reference
    data["attachments"] = [
        {
            "id": a.id,
            "filename": a.filename,
            "doc_type": a.doc_type,
            "content_type": a.content_type,
            "size": a.size,
            "stored_path": str(app.store.path(a.stored_path)),
        }
        for a in rejection.message.attachments
    ]
    data["forms"] = [form.text for form in detail.forms]
    data["notes"] = list(rejection.message.notes)
    data["notices"] = [
        {
            "id": n.id,
            "status": n.status,
            "status_label": n.status_label,
            "to": n.to_address,
            "created_at": iso_jst(n.created_at),
            "sent_at": iso_jst(n.sent_at),
            "operator": n.operator,
            "message_id": n.message_id,
            "note": n.note,
        }
        for n in detail.notices
    ]
    data["history"] = [
        {
            "at": iso_jst(e.at),
            "operator": e.operator,
            "action": e.action,
            "label": e.action_label,
            "note": e.note,
        }
        for e in detail.history
    ]
    return data


def term_option(app: App, term_id: int | None) -> Term | None:
    if term_id is None:
        return None
    term = next((t for t in app.settings.terms if t.id == term_id), None)
    if term is None:
        raise click.UsageError(f"第{term_id}期（id = {term_id}）は設定ファイルにありません。")
    return term


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
    "--reason",
    type=click.Choice([c.value for c in ReasonCode]),
    metavar="CODE",
    help="この理由コードを含むものだけ（例 OUTSIDE_PERIOD）。",
)
@click.option(
    "--notified/--not-notified",
    default=None,
    help="不備のご連絡を送ったもの（送信結果不明を含む）／まだ送っていないものだけ。",
)
@click.option(
    "--since", type=IsoDateTime(), help="この日時以降に受信したものだけ（例 2025-05-01）。"
)
@click.option(
    "--until", type=UntilDateTime(), help="この日（日時）までに受信したものだけ（例 2025-05-31）。"
)
@click.option(
    "--sort",
    type=click.Choice([s.value for s in RejectionSort]),
    default=RejectionSort.ID.value,
    show_default=True,
    help="並べ順: received 受信日時 / id 番号 / name 氏名 / status 状態",
)
@click.option("--reverse", is_flag=True, help="逆順（新しい順など）に並べる。")
@list_options(search=SEARCH_HELP)
@pass_ctx
@operator_errors
def rejections_list(
    ctx: Context,
    status: str,
    term_id: int | None,
    reason: str | None,
    notified: bool | None,
    since: datetime | None,
    until: datetime | None,
    sort: str,
    reverse: bool,
    search: str | None,
    limit: int | None,
    offset: int,
    as_json: bool,
) -> None:
    """不備ログを表示する（既定は未対応のもの）。1 件 1 行で、理由は短い名前で表示します。

    理由の説明・添付ファイル・対応の履歴は `intake rejections show 番号` で確認できます。
    """
    app = ctx.app()
    filters = RejectionFilter(
        status=rejection_status(status),
        term=term_option(app, term_id),
        reason=reason,
        notified=notified,
        received_since=since,
        received_before=until,
        search=parse_search(search),
        sort=RejectionSort(sort),
        descending=reverse,
    )
    with app.read() as q:
        paged = views.list_rejections(q, filters, page_of(limit, offset))
    print_list(
        paged,
        as_json=as_json,
        to_json=rejection_json,
        title="不備ログ",
        columns=[
            Column("番号"),
            Column("受信日時"),
            Column("申込者", flexible=True),
            Column("理由", flexible=True),
            Column("連絡"),
            Column("状態", flexible=True),
            Column("件名", flexible=True, droppable=True),
        ],
        row=lambda r: [
            str(r.id),
            short_jst(r.message.received_at),
            r.message.display_name or r.message.from_address or "",
            "、".join(r.reason_labels),
            r.notice_label,
            f"{r.status_label}（{r.resolution_label}）" if r.resolution else r.status_label,
            r.message.display_subject,
        ],
        one_line=True,
    )


@rejections.command("show")
@click.argument("rejection_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON オブジェクトで出力する。")
@pass_ctx
@operator_errors
def rejections_show(ctx: Context, rejection_id: int, as_json: bool) -> None:
    """不備記録 1 件の詳細（理由の説明、添付ファイル、様式の内容、不備のご連絡、対応の履歴）。

    メールの本文は `intake messages show 記録番号` で表示できます。
    """
    app = ctx.app()
    with app.read() as q:
        detail = views.rejection_detail(
            q,
            app.store,
            app.documents,
            rejection_id,
            max_bytes=app.settings.limits.message_max_bytes,
        )
    if as_json:
        print_json(detail_json(app, detail))
        return
    rejection = detail.rejection
    m = rejection.message
    echo(f"不備記録 {rejection.id}（{rejection.status_label}）")
    echo(f"件名　　: {m.display_subject}")
    echo(f"差出人　: {m.from_display or m.from_address or ''}")
    echo(f"受信日時: {short_jst(m.received_at)}")
    echo(f"メール　: 記録番号 {m.id}（本文は intake messages show {m.id}）")
    if m.reference:
        echo(f"受付番号: {m.reference}（申込 {m.application_id}）")
    echo("理由:")
    for r in rejection.reasons:
        echo(f"  - {r.code}（{r.label}）: {r.message}")
    echo("添付ファイル:")
    for a in m.attachments:
        echo(f"  - {a.display_name}（{a.size:,} バイト） 保存先 {app.store.path(a.stored_path)}")
    if detail.forms:
        echo("様式の内容:")
        for form in detail.forms:
            echo(f"  - {form.text}")
    for note in m.notes:
        echo(f"備考: {note}")
    echo(f"不備のご連絡: {rejection.notice_label}")
    for n in detail.notices:
        when = short_jst(n.sent_at or n.created_at)
        extra = f"。{n.note}" if n.note else ""
        echo(
            f"  - 通知 {n.id}: {n.status_label}（{when}、{n.operator}、宛先 {n.to_address}）{extra}"
        )
    for event in detail.history:
        echo(
            f"履歴: {short_jst(event.at)} {event.operator} {event.action_label}（{event.action}）"
            + (f"「{event.note}」" if event.note else "")
        )
    if rejection.is_resolved:
        echo(
            f"対応: {rejection.resolution_label}"
            f"（{short_jst(rejection.resolved_at)} {rejection.resolved_by}）"
            f"「{rejection.note or ''}」"
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
    metavar="CODE",
    help="この理由コードを含む未対応の不備をすべて（例 OUTSIDE_PERIOD）。",
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
        filters = RejectionFilter(term=term_option(app, term_id), reason=reason)
        with app.read() as q:
            targets = views.rejection_ids(q, filters)
    who = operator_name(operator)
    failures = 0
    for target in targets:
        try:
            result = reprocess(app.uow(), app.store, app.settings, target, operator=who, note=note)
        except AlreadyResolved as exc:
            # Closed by an earlier one of this batch (a supplement completed it): not a failure.
            echo(f"不備記録 {target}: {exc}（対象外）")
            continue
        except ReviewError as exc:
            echo(f"不備記録 {target}: {exc}", err=True)
            failures += 1
            continue
        if result.outcome.value == "rejected":
            echo(f"不備記録 {target}: まだ不備があります（{', '.join(result.new_codes)}）")
        else:
            extra = f"、申込 {result.application_id}" if result.application_id else ""
            echo(f"不備記録 {target}: 受け付けました（{result.outcome.value}{extra}）")
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
        echo(f"不備記録 {rejection_id}: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(f"不備記録 {rejection_id} を申込 {application_id} として受け付けました。")
