"""Copying an application's stored documents out, under the names the applicant gave them.

File names come from mail, so they are never trusted as paths: each goes through
``safe_basename``, loses characters Windows shares refuse, and must land directly in the
target folder. Two documents with the same name become 「在職証明書_X.pdf」 and
「在職証明書_X (2).pdf」. Existing files are never overwritten unless asked (``force``); nothing
is written when one would be.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from intake.adapters.filestore import FileStore, write_atomically
from intake.adapters.mailparse import safe_basename
from intake.adapters.orm import Attachment
from intake.services import audit
from intake.services.errors import NotFound
from intake.services.unit_of_work import UnitOfWork

# Characters that Windows (and SMB shares) refuse in file names.
_WINDOWS_INVALID = re.compile(r'[<>:"|?*]')
_NAME_MAX_BYTES = 240


class AttachmentsError(Exception):
    """The documents cannot be written as asked (the message says why, in Japanese)."""


class TargetExists(AttachmentsError):
    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        names = "、".join(p.name for p in paths)
        super().__init__(
            f"書き出し先に同じ名前のファイルがあります: {names}。"
            "上書きする場合は --force を付けてください（何も書き出していません）"
        )


@dataclass(frozen=True)
class WrittenFile:
    attachment_id: int
    original_name: str | None  # as sent, decoded
    path: Path
    size: int
    replaced: bool  # an existing file was overwritten (force)


def export_name(filename: str | None, attachment_id: int) -> str:
    """A harmless file name for an attachment: a plain base name, never a path."""
    name = safe_basename(filename) if filename else ""
    if name == "attachment" and filename != "attachment":  # nothing usable was left
        name = ""
    # No hidden files, no names Windows cannot open.
    name = _WINDOWS_INVALID.sub("_", name).strip().strip(".").strip()
    return _fit(name) if name else f"添付ファイル_{attachment_id}"


def _fit(name: str) -> str:
    """Shorten to what file systems accept (255 bytes), keeping the extension and leaving
    room for a " (2)" suffix."""
    if len(name.encode()) <= _NAME_MAX_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = name, ""
    budget = _NAME_MAX_BYTES - len(ext.encode()) - (1 if ext else 0)
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return f"{stem}.{ext}" if ext else stem


def plan_names(attachments: list[Attachment]) -> list[str]:
    """A distinct name for each attachment, in order; later duplicates get " (2)", " (3)"."""
    used: set[str] = set()
    names: list[str] = []
    for attachment in attachments:
        base = export_name(attachment.filename, attachment.id)
        stem, dot, ext = base.rpartition(".")
        if not dot or not stem:
            stem, ext = base, ""
        candidate, n = base, 1
        while _key(candidate) in used:
            n += 1
            candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        used.add(_key(candidate))
        names.append(candidate)
    return names


def _key(name: str) -> str:
    # Case-insensitive and normalisation-insensitive file systems (Windows, macOS) see these
    # as one file.
    return unicodedata.normalize("NFC", name).casefold()


def copy_attachments(
    uow: UnitOfWork,
    store: FileStore,
    application_id: int,
    out_dir: Path,
    *,
    force: bool,
    operator: str,
) -> list[WrittenFile]:
    """Copy every document of the application into ``out_dir``; return what was written."""
    with uow:
        application = uow.repo.application(application_id)
        if application is None:
            raise NotFound(f"申込 {application_id} は存在しません")
        attachments = list(application.attachments)
        if out_dir.exists() and not out_dir.is_dir():
            raise AttachmentsError(f"書き出し先 {out_dir} はフォルダーではありません")
        out_dir.mkdir(parents=True, exist_ok=True)
        root = out_dir.resolve()
        targets = [_inside(root, name) for name in plan_names(attachments)]
        existing = [t for t in targets if os.path.lexists(t)]
        folders = [t for t in existing if t.is_dir() and not t.is_symlink()]
        if folders:
            names = "、".join(t.name for t in folders)
            raise AttachmentsError(f"書き出し先に同じ名前のフォルダーがあります: {names}")
        if existing and not force:
            raise TargetExists(existing)
        contents = [_read_verified(store, a) for a in attachments]
        written: list[WrittenFile] = []
        for attachment, target, data in zip(attachments, targets, contents, strict=True):
            replaced = os.path.lexists(target)
            write_atomically(target, data)
            written.append(
                WrittenFile(attachment.id, attachment.filename, target, len(data), replaced)
            )
        audit.record(
            uow,
            operator=operator,
            action="attachments.get",
            target=f"application:{application_id}",
            out_dir=str(root),
            force=force,
            files=[
                {"attachment": w.attachment_id, "name": w.path.name, "replaced": w.replaced}
                for w in written
            ],
        )
        uow.commit()
    return written


def _inside(root: Path, name: str) -> Path:
    target = root / name
    # A planned name is a plain base name; make sure of it before writing anything.
    if target.parent != root or name in {"", ".", ".."} or os.sep in name:
        raise AttachmentsError(f"書き出せないファイル名です: {name!r}")
    return target


def _read_verified(store: FileStore, attachment: Attachment) -> bytes:
    try:
        data = store.read(attachment.stored_path)
    except (OSError, ValueError) as exc:
        raise AttachmentsError(
            f"添付ファイル {attachment.filename or attachment.id} を保存領域から読めません（{exc}）"
        ) from exc
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentsError(
            f"添付ファイル {attachment.filename or attachment.id} の内容が記録と一致しません"
            "（保存領域のファイルが変更されています）"
        )
    return data
