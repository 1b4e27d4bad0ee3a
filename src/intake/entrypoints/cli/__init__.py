"""The `intake` command line, one module per command group.

- :mod:`.db` ``db upgrade`` · :mod:`.mail` ``poll``, ``messages list|show``, ``ingest``
- :mod:`.applications` · :mod:`.rejections` (and :mod:`.notify`) · :mod:`.acks`
- :mod:`.terms` ``terms list|check``, ``cutoff`` · :mod:`.export` ``export …``,
  ``attachments get`` · :mod:`.run` ``run``, ``status`` · :mod:`.demo` · :mod:`.users`
  ``users …`` · :mod:`.web` ``web`` (the console: :mod:`intake.entrypoints.web`)
  · :mod:`.selection` ``selection …`` (受講生の決定)
- shared: :mod:`.context`, :mod:`.exits` (exit codes), :mod:`.output`, :mod:`.params`

Commands read through the read side (:mod:`intake.services.views`) and act through the
services; adapters are reached only through :mod:`intake.bootstrap`.
"""

from __future__ import annotations

import logging

import click

from intake.entrypoints.cli import (
    acks,
    applications,
    db,
    demo,
    export,
    mail,
    notify,
    rejections,
    run,
    selection,
    terms,
    users,
    web,
)
from intake.entrypoints.cli.context import Context
from intake.entrypoints.cli.exits import EPILOG
from intake.entrypoints.logs import configure_logging

__all__ = ["main"]


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


rejections.rejections.add_command(notify.notify)
for command in (
    db.db,
    mail.poll,
    mail.messages,
    applications.applications,
    mail.ingest,
    demo.demo,
    rejections.rejections,
    acks.acks,
    export.export_group,
    export.attachments_group,
    terms.terms_group,
    terms.cutoff,
    selection.selection,
    run.status,
    run.run,
    users.users,
    web.web,
):
    main.add_command(command)
