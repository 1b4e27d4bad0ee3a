"""`intake db …`: create or migrate the database."""

from __future__ import annotations

import click

from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import operator_errors


@click.group()
def db() -> None:
    """データベースの作成・更新。"""


@db.command("upgrade")
@pass_ctx
@operator_errors
def db_upgrade(ctx: Context) -> None:
    """データベースを作成する、または最新の構成に更新する（何度実行してもよい）。"""
    before, after = ctx.app(check_schema=False).upgrade_database()
    if before == after:
        click.echo(f"データベースは最新です（リビジョン {after}）。")
    else:
        click.echo(f"データベースを更新しました（{before or '新規作成'} → {after}）。")
