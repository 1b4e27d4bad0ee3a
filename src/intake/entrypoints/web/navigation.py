"""The console's pages in navigation order. A page not built yet is served by a placeholder
that says so and names the commands that do the work meanwhile; building the page means
adding its routes and setting ``ready=True`` here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str
    ready: bool
    # For a placeholder: what the page will do, and the commands that do it today.
    purpose: str = ""
    commands: tuple[str, ...] = ()
    meanwhile: str = "それまでは、次のコマンドで同じ確認・操作ができます。"


NAVIGATION: tuple[Page, ...] = (
    Page("dashboard", "ダッシュボード", "/", ready=True),
    Page(
        "rejections",
        "不備ログ",
        "/rejections",
        ready=False,
        purpose="不備のあったメールを一覧し、名前・差出人・受付番号で探して、"
        "1 件ずつ内容を確かめ、再処理・受付扱い・対応済み・不備のご連絡を行う画面です。",
        commands=(
            "intake rejections list",
            "intake rejections show 番号",
            "intake rejections reprocess 番号",
            "intake rejections resolve 番号 --note メモ",
        ),
    ),
    Page(
        "applications",
        "申込者一覧",
        "/applications",
        ready=False,
        purpose="期ごとの申込者の一覧と、1 件ごとの様式の内容・受講資格の判定を見る画面です。",
        commands=("intake applications list --term 期", "intake applications show 番号"),
    ),
    Page(
        "acks",
        "受付完了メール",
        "/acks",
        ready=False,
        purpose="受付完了メールの送信予定・保留・送信失敗を確かめ、保留・再開・確認を行う画面です。",
        commands=(
            "intake acks list",
            "intake acks hold 番号",
            "intake acks release 番号",
            "intake acks confirm 番号",
        ),
    ),
    Page(
        "terms",
        "期と締切",
        "/terms",
        ready=False,
        purpose="期ごとの受付期間と締切処理、名簿（Excel）の版を確かめ、ダウンロードする画面です。",
        commands=(
            "intake terms list",
            "intake terms check",
            "intake export applications --term 期 --out 申込者一覧.xlsx",
        ),
    ),
    Page(
        "audit",
        "操作履歴",
        "/audit",
        ready=False,
        purpose="だれが・いつ・どの記録に・何をしたかを、担当者・操作・日付で絞り込んで見る画面です。",
        commands=("intake rejections show 番号",),
        meanwhile="それまでは、不備記録ごとの対応の履歴を次のコマンドで確かめられます。",
    ),
)
