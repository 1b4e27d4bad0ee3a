"""The console's signing key: a file of random bytes, created 0600 on first start."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from intake.config import ConfigError

KEY_BYTES = 32


class SecretKeyError(ConfigError):
    """The key file cannot be read or created; the message is for the operator."""


def load_or_create_secret_key(path: Path) -> bytes:
    """The key in ``path``; a new random one written there (mode 0600) when it is missing.

    Two processes starting at once (``intake run`` and ``intake web``) end up with the same
    key: the file appears complete or not at all, and the first one to appear stays.
    """
    if path.exists():
        return _read(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(KEY_BYTES) + "\n")
                out.flush()
                os.fsync(out.fileno())
            # A hard link appears whole or not at all, and never replaces a key that another
            # process created first.
            os.link(tmp_name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp_name)
    except OSError as exc:
        raise SecretKeyError(
            f"署名鍵ファイル {path} を作成できません: {exc.strerror}（[web] secret_key_file）"
        ) from exc
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(
            f"署名鍵ファイル {path} を読めません（[web] secret_key_file）: {exc}"
        ) from exc
    if len(text) < 32:
        raise SecretKeyError(
            f"署名鍵ファイル {path} の鍵が短すぎます（32 文字以上の乱数にしてください）"
        )
    if path.stat().st_mode & 0o077:
        raise SecretKeyError(
            f"署名鍵ファイル {path} が他の利用者にも読める設定です。"
            f"`chmod 600 {path}` を実行してください"
        )
    return text.encode("ascii")
