"""Exit codes, and turning known failures into one Japanese line with the right code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar

from intake.bootstrap import DatabaseUnreachable, ImapError, SchemaOutdated, SmtpError
from intake.config import ConfigError
from intake.domain.lifecycle import IllegalTransition
from intake.entrypoints.cli.output import echo
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
    echo(f"エラー: {message}", err=True)
    sys.exit(code)


def first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


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
        except DatabaseUnreachable as exc:
            fail(f"データベースに接続できません（{first_line(exc.orig)}）", EXIT_DATABASE)

    return wrapper
