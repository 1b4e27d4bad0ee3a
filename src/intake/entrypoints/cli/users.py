"""`intake users …`: the web console's users (operators act, viewers only read)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from intake.domain.accounts import PASSWORD_MIN_LENGTH, Role
from intake.domain.readmodel import Page, Paged
from intake.domain.timefmt import iso_jst, short_jst
from intake.entrypoints.cli.context import Context, pass_ctx
from intake.entrypoints.cli.exits import EXIT_CONFIG, EXIT_NOT_FOUND, fail, operator_errors
from intake.entrypoints.cli.output import Column, print_list
from intake.entrypoints.cli.params import list_options
from intake.services import users as user_service
from intake.services.audit import operator_name

P = ParamSpec("P")
R = TypeVar("R")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, as `echo … |` or a password manager's CLI gives it; the line end is not
        # part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("パスワードは --password-stdin で標準入力から渡してください。", EXIT_CONFIG)
    value: str = click.prompt(
        "パスワード", hide_input=True, confirmation_prompt="パスワード（確認）"
    )
    return value


def _refusals(func: Callable[P, R]) -> Callable[P, R]:
    """Refusals of the account rules become one Japanese line and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except user_service.UnknownUser as exc:
            fail(str(exc), EXIT_NOT_FOUND)
        except user_service.AccountError as exc:
            fail(str(exc), EXIT_CONFIG)

    return wrapper


@click.group()
def users() -> None:
    """操作画面（intake web）の利用者: 担当者（operator）と閲覧のみ（viewer）。"""


STDIN_HELP = (
    f"パスワード（{PASSWORD_MIN_LENGTH} 文字以上）を標準入力から 1 行読む（省略時は画面で入力）。"
)


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="operator: 閲覧と操作ができる / viewer: 閲覧のみ。",
)
@click.option("--password-stdin", "password_stdin", is_flag=True, help=STDIN_HELP)
@pass_ctx
@operator_errors
@_refusals
def users_add(ctx: Context, name: str, role: str, password_stdin: bool) -> None:
    """利用者を追加する（パスワードは 12 文字以上）。"""
    app = ctx.app()
    password = _password(password_stdin)
    user = user_service.add_user(
        app.uow(), app.passwords(), name, Role(role), password, operator=operator_name(None)
    )
    click.echo(f"利用者 {user.name}（{user.role_label}）を追加しました。")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", "password_stdin", is_flag=True, help=STDIN_HELP)
@pass_ctx
@operator_errors
@_refusals
def users_passwd(ctx: Context, name: str, password_stdin: bool) -> None:
    """利用者のパスワードを変える（その利用者のログイン中のセッションはすべて終了する）。"""
    app = ctx.app()
    password = _password(password_stdin)
    user = user_service.change_password(
        app.uow(), app.passwords(), name, password, operator=operator_name(None)
    )
    click.echo(f"利用者 {user.name} のパスワードを変更しました。")


def _disable_command(name: str, disabled: bool, help_text: str, done: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("user_name", metavar="NAME")
    @pass_ctx
    @operator_errors
    @_refusals
    def command(ctx: Context, user_name: str) -> None:
        user = user_service.set_disabled(
            ctx.app().uow(), user_name, disabled, operator=operator_name(None)
        )
        click.echo(f"利用者 {user.name} を{done}。")

    return command


users.add_command(
    _disable_command(
        "disable",
        True,
        "利用者を無効にする（ログイン中なら、次の操作からログアウトされる）。",
        "無効にしました",
    )
)
users.add_command(
    _disable_command(
        "enable", False, "無効にした利用者を、もう一度ログインできるようにする。", "有効にしました"
    )
)


@users.command("list")
@list_options()
@pass_ctx
@operator_errors
def users_list(ctx: Context, limit: int | None, offset: int, as_json: bool) -> None:
    """利用者の一覧。"""
    rows = user_service.list_users(ctx.app().uow())
    end = None if limit is None else offset + limit
    paged = Paged(tuple(rows[offset:end]), len(rows), Page(limit, offset))
    print_list(
        paged,
        as_json=as_json,
        to_json=lambda u: {
            "name": u.name,
            "role": u.role.value,
            "active": u.active,
            "created_at": iso_jst(u.created_at),
            "last_login_at": iso_jst(u.last_login_at),
            "disabled_at": iso_jst(u.disabled_at),
        },
        title="利用者",
        columns=[
            Column("利用者名", flexible=True),
            Column("権限"),
            Column("状態"),
            Column("登録日時"),
            Column("最終ログイン"),
        ],
        row=lambda u: [
            u.name,
            u.role_label,
            "有効" if u.active else "無効",
            short_jst(u.created_at),
            short_jst(u.last_login_at) or "（なし）",
        ],
    )
