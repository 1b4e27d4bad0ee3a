"""`intake selection …`: 受講生の決定, from the agency's workbook to the applicants' notices.

prepare → the agency writes 決定 / 補欠 / 見送り → import → notify; list and show read where
it stands, hold / release / confirm are an operator's say over one notice.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from intake.bootstrap import LockBusy
from intake.config import ConfigError
from intake.domain.labels import DECISION_LABELS
from intake.domain.readmodel import DecisionNoticeView, Page, Paged, SelectionRow
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_FAILURE, fail, operator_errors
from intake.entrypoints.cli.output import Column, echo, print_json, print_list
from intake.entrypoints.cli.params import list_options
from intake.services import decision_notices
from intake.services.audit import operator_name
from intake.services.cutoff import term_by_id
from intake.services.selection import SelectionError, prepare_workbook
from intake.services.views import selection as views

P = ParamSpec("P")
R = TypeVar("R")
OPERATOR_HELP = "操作した担当者の名前（既定: ログイン名）。"
BUSY = "別の送信処理が実行中のため、何もしませんでした。しばらくしてからもう一度実行してください"


def _can_prompt() -> bool:
    """Whether someone is at a terminal to answer the confirmation (replaced in tests)."""
    return sys.stdin.isatty()


def _refusals(func: Callable[P, R]) -> Callable[P, R]:
    """A refusal is one Japanese line per problem on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SelectionError as exc:
            for problem in exc.problems:
                echo(f"エラー: {problem}", err=True)
            sys.exit(EXIT_FAILURE)
        except decision_notices.DecisionNoticeError as exc:
            fail(str(exc), EXIT_FAILURE)
        except LockBusy:
            fail(BUSY, EXIT_FAILURE)

    return wrapper


def _bool_word(value: bool | None) -> str:
    return "" if value is None else ("はい" if value else "いいえ")


def row_json(row: SelectionRow, rank: int) -> dict[str, Any]:
    notice = row.notice
    status = row.notice_status
    return {
        "application_id": row.application_id,
        "receipt_no": row.reference,
        "rank": rank,
        "name_romaji": row.name_romaji,
        "name_kanji": row.name_kanji,
        "email": row.email,
        "eligibility": row.eligibility.value,
        "is_one_stop_center": row.is_one_stop_center,
        "annual_consultations": row.annual_consultations,
        "prefecture": row.prefecture,
        "decision": row.decision.value if row.decision else None,
        "decision_label": row.decision_label or None,
        "decided_at": iso_jst(row.decided_at),
        "notice_status": status.value if status else None,
        "notice_id": notice.id if notice else None,
        "notice_sent_at": iso_jst(notice.sent_at) if notice else None,
    }


def notice_json(notice: DecisionNoticeView) -> dict[str, Any]:
    return {
        "id": notice.id,
        "kind": notice.decision.value,
        "name": notice.name,
        "to": notice.to_address,
        "status": notice.status.value,
        "message_id": notice.message_id,
        "attempts": notice.attempts,
        "note": notice.note,
        "operator": notice.operator,
        "created_at": iso_jst(notice.created_at),
        "sent_at": iso_jst(notice.sent_at),
    }


@click.group("selection")
def selection() -> None:
    """受講生の決定: 選考表の作成・取り込み、受講決定のお知らせの送信。"""


@selection.command("prepare")
@click.option("--term", "term_id", type=int, required=True, help="期（terms の id）。")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="書き出す Excel ファイル（.xlsx）。")  # fmt: skip
@click.option("--before-cutoff", is_flag=True, help="締切処理の前でも作る（途中経過の確認用）。")
@click.option("--operator", help=OPERATOR_HELP)
@pass_ctx
@operator_errors
@_refusals
def prepare(
    ctx: Context, term_id: int, out: Path, before_cutoff: bool, operator: str | None
) -> None:
    """選考表（Excel）を作る。締切処理のあとに実行します。

    最初のシート「選考」に選考対象（受講資格あり・要確認）の申込を目安の順に 1 行ずつ並べ、
    空の「決定」列を付けます。
    資格なしは別シート、都道府県別などの集計も別シートです。
    """
    app = ctx.app()
    result = prepare_workbook(
        app.uow(), app.settings, term_id, out, operator=operator_name(operator),
        before_cutoff=before_cutoff,
    )  # fmt: skip
    echo(
        f"{result.term.name}の選考表を作りました: {result.path}"
        f"（選考対象 {result.candidates} 名、対象外 {result.ineligible} 名、"
        f"定員 {result.term.capacity} 名）"
    )
    echo(
        "並び順は目安です。機関に「決定」の列へ 決定・補欠・見送り を入力してもらい、"
        f"intake selection import --term {term_id} ファイル名 で取り込んでください。"
    )


@selection.command("import")
@click.option("--term", "term_id", type=int, required=True, help="期（terms の id）。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--over-capacity", is_flag=True, help="決定が定員を超えていても取り込む。")
@click.option("--operator", help=OPERATOR_HELP)
@pass_ctx
@operator_errors
@_refusals
def import_(
    ctx: Context, term_id: int, file: Path, over_capacity: bool, operator: str | None
) -> None:
    """決定を書き込んだ選考表を取り込む（問題が 1 つでもあれば何も記録しない）。

    もう一度取り込むと、お知らせを送っていない申込の決定は置き換わります。
    お知らせを送った申込の決定は変えられません。
    補欠から決定への変更は通知期日（17:00）までです。
    """
    app = ctx.app()
    try:
        result = app.import_decisions(
            term_id, file.read_bytes(), operator=operator_name(operator),
            over_capacity=over_capacity,
        )  # fmt: skip
    except SelectionError as exc:
        echo(
            f"エラー: 選考表 {file} を取り込めませんでした（問題 {len(exc.problems)} 件）。"
            "何も記録していません。",
            err=True,
        )
        raise
    plan = result.plan
    counts = Counter(plan.decisions.values())
    echo(
        f"{result.term.name}の決定を取り込みました: "
        + "・".join(f"{name} {counts[decision]}" for decision, name in DECISION_LABELS.items())
        + f"（変更 {len(plan.changes)} 件、変更なし {plan.unchanged} 件）"
    )
    if plan.selected > result.term.capacity:
        echo(f"注意: 決定が {plan.selected} 件で、定員 {result.term.capacity} 名を超えています。")
    if result.undecided_outside:
        echo(
            f"注意: 選考表を作ったあとに増えた選考対象の申込が {result.undecided_outside} 件あり、"
            "決定がありません。intake selection prepare で作り直してください。"
        )
    echo(f"お知らせは intake selection notify --term {term_id} で送ります。")


def _planned_line(planned: decision_notices.PlannedNotice) -> str:
    line = f"{planned.notice_name}: {planned.reference} {planned.name} <{planned.to_address}>"
    if planned.late:
        return line + "（通知期日を過ぎたため送りません。送るには --after-deadline）"
    if planned.problem:
        return line + f"（送らずに保留: {planned.problem}）"
    return line


@selection.command("notify")
@click.option("--term", "term_id", type=int, required=True, help="期（terms の id）。")
@click.option("--yes", "assume_yes", is_flag=True, help="確認せずに送信する。")
@click.option("--dry-run", is_flag=True, help="誰に何を送るかを表示するだけで、送信しない。")
@click.option("--after-deadline", is_flag=True,
              help="通知期日（17:00）を過ぎていても受講決定のお知らせを送る。")  # fmt: skip
@click.option("--operator", help=OPERATOR_HELP)
@pass_ctx
@operator_errors
@_refusals
def notify(
    ctx: Context,
    term_id: int,
    assume_yes: bool,
    dry_run: bool,
    after_deadline: bool,
    operator: str | None,
) -> None:
    """決定の方に受講決定のお知らせを送る（受講申込書のメールアドレスあて、1 人 1 回）。

    期の設定で notify_not_selected = true なら、見送りの方に選考結果のお知らせも送ります。
    すべて送れたとき（送るものがないときも）終了コード 0、
    保留・送信失敗・期日後で送らなかったものがあれば 1 です。
    端末から実行しない場合は --yes が必要です。
    """
    app = ctx.app()
    settings = app.settings
    if settings.smtp is None and not dry_run:
        raise ConfigError("設定ファイルに [smtp] がないため、メールを送れません")
    term, planned = decision_notices.plan_notices(app.uow(), settings, term_id)
    if not planned:
        echo(f"{term.name}で送る決定のお知らせはありません。")
        return
    echo(f"{term.name}で送る決定のお知らせ（{len(planned)} 件）:")
    for item in planned:
        echo(f"  {_planned_line(item)}")
    if dry_run:
        echo("（--dry-run のため送信していません）")
        return
    if not assume_yes:
        if not _can_prompt():
            fail(
                "確認の入力ができないため送信しません（端末から実行していません）。"
                "内容を確認したうえで --yes を付けて実行してください",
                EXIT_FAILURE,
            )
        if not click.confirm("送信しますか？", default=False):
            echo("送信を取りやめました。")
            sys.exit(EXIT_FAILURE)
    report = app.send_decision_notices(
        term_id, operator=operator_name(operator), after_deadline=after_deadline
    )
    with app.read_selection() as q:
        shown = {
            name: views.notices_by_id(q, ids)
            for name, ids in (
                ("sent", report.sent),
                ("held", report.recovered + report.held),
                ("failed", report.failed),
            )
        }
    echo(f"決定のお知らせを {len(shown['sent'])} 件送信しました。")
    for title, name in (("保留", "held"), ("送信失敗", "failed")):
        for notice in shown[name]:
            echo(f"{title}: お知らせ {notice.id} {notice.to_address} — {notice.note}", err=True)
    for item in report.late:
        echo(f"未送信（通知期日後）: {item.reference} {item.name}", err=True)
    if not report.complete:
        sys.exit(EXIT_FAILURE)


@selection.command("list")
@click.option("--term", "term_id", type=int, required=True, help="期（terms の id）。")
@list_options()
@pass_ctx
@operator_errors
def list_(ctx: Context, term_id: int, limit: int | None, offset: int, as_json: bool) -> None:
    """選考対象の申込を目安の順に、決定とお知らせの送信状況とともに表示する。"""
    app = ctx.app()
    term = term_by_id(app.settings, term_id)
    now = datetime.now(UTC)
    with app.read_selection() as q:
        rows = views.selection_rows(q, term)
        warnings = views.deadline_warnings(q, [term], now, app.settings.ack.closure_days)
    ranked = list(enumerate(rows, start=1))
    end = None if limit is None else offset + limit
    paged = Paged(tuple(ranked[offset:end]), len(ranked), Page(limit, offset))
    if not as_json:
        progress = views.selection_progress(rows)
        deadline = short_jst(term.decision_deadline) if term.decision_deadline else "未設定"
        echo(
            f"{term.name}: 選考対象 {progress.candidates} 名（定員 {term.capacity} 名）、"
            f"決定 {progress.selected}・補欠 {progress.waitlisted}・見送り "
            f"{progress.not_selected}・未入力 {progress.undecided}、"
            f"届いていない受講決定のお知らせ {progress.selected_unsent} 件、通知期日 {deadline}"
        )
        for warning in warnings:
            echo(f"警告: {warning}")
    print_list(
        paged,
        as_json=as_json,
        to_json=lambda item: row_json(item[1], item[0]),
        title="選考",
        columns=[
            Column("順位"),
            Column("受付番号"),
            Column("氏名", flexible=True),
            Column("ローマ字", flexible=True),
            Column("メール（申込書）", flexible=True),
            Column("一元"),
            Column("相談件数"),
            Column("受講資格"),
            Column("決定"),
            Column("お知らせ"),
        ],
        row=lambda item: [
            str(item[0]),
            item[1].reference,
            item[1].name_kanji or "",
            item[1].name_romaji,
            item[1].email or "",
            _bool_word(item[1].is_one_stop_center),
            "" if item[1].annual_consultations is None else f"{item[1].annual_consultations:,}",
            item[1].eligibility_label,
            item[1].decision_label,
            item[1].notice_label,
        ],
    )


@selection.command("show")
@click.argument("key", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="JSON オブジェクトで出力する。")
@pass_ctx
@operator_errors
def show(ctx: Context, key: str, as_json: bool) -> None:
    """申込 1 件の決定、お知らせ（宛先・送信状況）、決定の履歴を表示する。

    ID は申込番号か受付番号（T1-00012）。
    """
    app = ctx.app()
    with app.read_selection() as q:
        detail = views.selection_detail(q, app.settings.terms, key)
    row = detail.row
    if as_json:
        print_json(
            {
                **row_json(row, 0),
                "rank": None,
                "notices": [notice_json(n) for n in detail.notices],
                "history": [
                    {"at": iso_jst(e.at), "operator": e.operator, "action": e.action,
                     "note": e.note, "details": dict(e.details)}
                    for e in detail.history
                ],
            }
        )  # fmt: skip
        return
    echo(f"申込 {row.application_id}（第{row.term_id}期、受付番号 {row.reference}）")
    echo(f"氏名　　　　　　: {row.name_kanji or ''}（{row.name_romaji}）")
    echo(f"メール（申込書）: {row.email or '（記入なし）'}")
    for key_name, caption in (("org_name", "所属機関　　　　"), ("prefecture", "都道府県　　　　")):
        echo(f"{caption}: {detail.form.get(key_name) or ''}")
    echo(f"一元的相談窓口　: {_bool_word(row.is_one_stop_center)}")
    consultations = row.annual_consultations
    echo(f"年間相談件数　　: {'' if consultations is None else f'{consultations:,}'}")
    echo(f"受講資格　　　　: {row.eligibility_label}")
    decided = f"（{short_jst(row.decided_at)}、{row.decided_by}）" if row.decided_at else ""
    echo(f"決定　　　　　　: {row.decision_label or '未入力'}{decided}")
    if row.notice_due and row.notice is None:
        echo("お知らせ　　　　: 未送信（intake selection notify で送ります）")
    for notice in detail.notices:
        state = notice.status_label + (f"、{short_jst(notice.sent_at)}" if notice.sent_at else "")
        echo(f"お知らせ {notice.id}: {notice.name} → {notice.to_address}（{state}）")
        if notice.note:
            echo(f"  備考: {notice.note}")
    for event in detail.history:
        change = _change(event.details)
        echo(f"履歴: {short_jst(event.at)} {event.operator} {event.action_label} {change}")


def _change(details: Any) -> str:
    """「補欠 → 決定」 for a recorded change of decision; "" for other events."""

    def name(value: object) -> str:
        known = {d.value: text for d, text in DECISION_LABELS.items()}
        return known.get(str(value), "未入力") if value is not None else "未入力"

    after = details.get("after")
    return f"{name(details.get('before'))} → {name(after)}" if after is not None else ""


def _notice_action(name: str, verb: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("notice_id", type=int)
    @click.option("--note", help="メモ（なぜそうしたか）。")
    @click.option("--operator", help=OPERATOR_HELP)
    @pass_ctx
    @operator_errors
    @_refusals
    def command(ctx: Context, notice_id: int, note: str | None, operator: str | None) -> None:
        app = ctx.app()
        decision_notices.operator_action(
            app.uow(), name, notice_id, note, operator=operator_name(operator)
        )
        with app.read_selection() as q:
            notice = views.get_notice(q, notice_id)
        echo(f"決定のお知らせ {notice.id} を{verb}（状態: {notice.status_label}）。")

    return command


selection.add_command(
    _notice_action("hold", "保留にしました", "決定のお知らせを送らずに保留にする。")
)
selection.add_command(
    _notice_action(
        "release",
        "送信待ちに戻しました",
        "保留・送信失敗の決定のお知らせを送信待ちに戻す（送信結果不明のものは、相手に届いて"
        "いないことを確かめてから）。次の intake selection notify で送ります。",
    )
)
selection.add_command(
    _notice_action(
        "confirm",
        "送信済みにしました",
        "保留の決定のお知らせが届いていた（または電話などで伝えた）と確認できたとき、送信済みにする。",
    )
)
