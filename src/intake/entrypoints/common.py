"""What every command shares: the context, exit codes, and turning failures into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import click
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from intake.adapters.imap import ImapError
from intake.adapters.schema import SchemaOutdated
from intake.adapters.smtp import SmtpError
from intake.bootstrap import App, build_app
from intake.config import ConfigError, config_path_from, load_settings
from intake.domain.lifecycle import IllegalTransition, RejectionStatus
from intake.entrypoints.output import console
from intake.services.acks import AckNotFound, AckStateError
from intake.services.cutoff import CutoffIncomplete, UnknownTerm
from intake.services.errors import NotFound

EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_MAILBOX = 4
EXIT_NOT_FOUND = 5
EXIT_MAIL_SERVER = 4  # SMTP problems share the mailbox code: "a mail server cannot be reached"
EXIT_BUSY = 6

P = ParamSpec("P")
R = TypeVar("R")

EPILOG = (
    "終了コード: 0 正常 / 1 予期しないエラー / 2 使い方・設定の誤り / "
    "3 データベース未作成・未更新・接続不可 / 4 メールサーバーに接続・ログインできない / "
    "5 該当する記録がない / 6 intake run がすでに動いている"
)


def fail(message: str, code: int) -> NoReturn:
    # One line however long: cron mails and log scrapers read it whole, never re-wrapped.
    console(stderr=True).print(f"[bold red]エラー:[/] {escape(message)}", soft_wrap=True)
    sys.exit(code)


def operator_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn known failures into one Japanese line and a meaningful exit code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
        except SchemaOutdated as exc:
            fail(str(exc), EXIT_DATABASE)
        except ImapError as exc:
            fail(str(exc), EXIT_MAILBOX)
        except SmtpError as exc:
            fail(str(exc), EXIT_MAIL_SERVER)
        except (NotFound, AckNotFound, UnknownTerm) as exc:
            fail(str(exc), EXIT_NOT_FOUND)
        except (AckStateError, IllegalTransition, CutoffIncomplete) as exc:
            fail(str(exc), EXIT_FAILURE)
        except OperationalError as exc:
            fail(f"データベースに接続できません（{first_line(exc.orig)}）", EXIT_DATABASE)

    return wrapper


# `--status` of the rejection lists: a state, or every rejection.
ALL = "all"
REJECTION_STATUS_CHOICES = [*(s.value for s in RejectionStatus), ALL]


def rejection_status(choice: str) -> RejectionStatus | None:
    """The rejection state a `--status` choice selects; None for all."""
    return None if choice == ALL else RejectionStatus(choice)


def first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class Context:
    def __init__(self, config: str | None) -> None:
        self.config_option = config

    def settings_path(self) -> Path:
        return config_path_from(self.config_option)

    def app(self, *, check_schema: bool = True) -> App:
        return build_app(load_settings(self.settings_path()), check_schema=check_schema)


pass_ctx = click.make_pass_decorator(Context)
