"""Downloads (attachments, rosters, exports): always saved, never shown in the browser.

A file name from mail is hostile: it may carry folders, control or bidirectional characters
(「申込書‮xslx.exe」), quotes that end the header, or names Windows refuses. The name sent is
cleaned, and given twice as RFC 6266 asks: ``filename*`` (RFC 5987, UTF-8) for browsers, and
an ASCII ``filename`` for the rest.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from starlette.responses import Response

from intake.domain.text import strip_directories

MAX_NAME_LENGTH = 150
FALLBACK_STEM = "download"
# Types a browser could run or render are never sent as such.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/msword",
        "application/zip",
        "image/jpeg",
        "image/png",
        "text/csv",
        "message/rfc822",
    }
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _visible(ch: str) -> bool:
    # Cc: controls; Cf: format characters, the bidirectional overrides among them.
    return unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")


def safe_file_name(name: str | None, default: str = FALLBACK_STEM) -> str:
    """A file name that is just a name: no folders, no invisible or reserved characters."""
    cleaned = unicodedata.normalize("NFC", strip_directories(name or ""))
    cleaned = "".join(ch for ch in cleaned if _visible(ch))
    cleaned = _WINDOWS_FORBIDDEN.sub("_", cleaned).strip().strip(".").strip()
    if not cleaned or _WINDOWS_RESERVED.match(cleaned):
        cleaned = f"{default}{PurePosixPath(cleaned).suffix}" if cleaned else default
    if len(cleaned) > MAX_NAME_LENGTH:
        suffix = PurePosixPath(cleaned).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        cleaned = cleaned[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return cleaned


def ascii_file_name(name: str) -> str:
    """The same name in ASCII, for clients that do not read ``filename*``."""
    suffix = PurePosixPath(name).suffix
    stem = name[: len(name) - len(suffix)]

    def fold(text: str) -> str:
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")

    ascii_stem = _ASCII_UNSAFE.sub("_", fold(stem)).strip("._") or FALLBACK_STEM
    ascii_suffix = _ASCII_UNSAFE.sub("", fold(suffix))
    return ascii_stem + (ascii_suffix if len(ascii_suffix) > 1 else "")


def content_disposition(name: str | None) -> str:
    filename = safe_file_name(name)
    return (
        f'attachment; filename="{ascii_file_name(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


def download_response(data: bytes, name: str | None, content_type: str | None = None) -> Response:
    """The bytes as a download, whatever they are."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in SAFE_TYPES:
        media_type = "application/octet-stream"
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": content_disposition(name),
            "x-content-type-options": "nosniff",
        },
    )
