"""OAuth2 access tokens for XOAUTH2 logins, from a configured command.

Mail tools commonly delegate the token dance to a helper (oama, mailctl, a cloud CLI): the
command prints a current access token on stdout. It runs for every connection, so an expired
token is never reused. Its output is a secret: it is never logged, nor put in an error message.
"""

from __future__ import annotations

import shlex
import subprocess


class TokenError(Exception):
    """The token command failed; the message says how, without the token."""


def fetch_token(command: str, *, timeout: float = 30.0) -> str:
    try:
        completed = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise TokenError(f"トークン取得コマンドが見つかりません（{exc.filename}）") from None
    except subprocess.TimeoutExpired:
        raise TokenError(f"トークン取得コマンドが {timeout:g} 秒以内に終わりませんでした") from None
    if completed.returncode != 0:
        # stderr may explain the failure; stdout may hold a (partial) token and is not shown.
        detail = completed.stderr.strip().splitlines()[-1:] or ["（エラー出力なし）"]
        raise TokenError(
            f"トークン取得コマンドが終了コード {completed.returncode} で失敗しました: "
            f"{detail[0][:200]}"
        )
    token = completed.stdout.strip()
    if not token or any(ch.isspace() for ch in token):
        raise TokenError("トークン取得コマンドの出力がアクセストークンの形ではありません")
    return token
