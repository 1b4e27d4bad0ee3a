"""The Japanese wording of what went wrong while reading a mail (its "defects").

Defect messages are shown to the secretariat (as 「解析上の注意: …」): plain Japanese, technical
identifiers (header names, charsets, exception classes) kept as they are, and anything the
sender wrote made safe to show.
"""

from __future__ import annotations

import re
from email import errors as email_errors

from intake.adapters.charsets import Guess
from intake.domain.text import escape_invisible

# C0 and C1 controls and DEL: escaped when shown, dropped from display names.
DISPLAY_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
# How much of the bytes as sent a note keeps when their charset had to be guessed.
RAW_BYTES_SHOWN = 200

REPLACED = "「\ufffd」（U+FFFD）に置き換えました"

# Japanese names for the headers operators know; others are shown by their field name.
_HEADER_LABELS = {
    "subject": "件名（Subject ヘッダー）",
    "from": "差出人（From ヘッダー）",
    "to": "宛先（To ヘッダー）",
    "cc": "CC（Cc ヘッダー）",
    "reply-to": "返信先（Reply-To ヘッダー）",
}

# Explanations of the stdlib's MIME defect classes (docstrings are English).
_MIME_DEFECT_TEXT: dict[type[email_errors.MessageDefect], str] = {
    email_errors.NoBoundaryInMultipartDefect: "multipart なのに区切り（boundary）の指定がない",
    email_errors.StartBoundaryNotFoundDefect: "multipart の区切り（boundary）が本文中にない",
    email_errors.CloseBoundaryNotFoundDefect: "multipart の終わりの区切り（boundary）がない",
    email_errors.FirstHeaderLineIsContinuationDefect: "最初のヘッダー行が継続行になっている",
    email_errors.MisplacedEnvelopeHeaderDefect: "ヘッダーの途中に「From 」で始まる行がある",
    email_errors.MissingHeaderBodySeparatorDefect: "ヘッダーと本文の間の空行がない",
    email_errors.MultipartInvariantViolationDefect: "multipart と宣言されているが中身がない",
    email_errors.InvalidMultipartContentTransferEncodingDefect: (
        "multipart に使えない Content-Transfer-Encoding が指定されている"
    ),
    email_errors.UndecodableBytesDefect: "解読できないバイトがある",
    email_errors.InvalidBase64PaddingDefect: "base64 の末尾（パディング）が正しくない",
    email_errors.InvalidBase64CharactersDefect: "base64 に使えない文字がある",
    email_errors.InvalidBase64LengthDefect: "base64 の長さが正しくない",
}


def shown(text: str, limit: int = 80) -> str:
    """A sender-supplied value made safe to show: control characters (format controls such as
    U+202E included) escaped, truncated."""
    text = escape_invisible(DISPLAY_CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text))
    return text if len(text) <= limit else text[:limit] + "…"


def raw_bytes(data: bytes, limit: int = RAW_BYTES_SHOWN) -> str:
    """Bytes as sent, readable and safe: ASCII as it is, every other byte as ``\\xe9``."""
    return shown(data.decode("ascii", "backslashreplace"), limit)


def guessed_charset(what: str, guess: Guess) -> str:
    """``what`` was read with a charset nothing in the mail confirms (the bytes are kept)."""
    if guess.declared:
        why = f"の文字コード「{shown(guess.declared)}」は不明なため"
    else:
        why = "に文字コードの指定がない 8 ビットの文字があるため"
    return (
        f"{what}{why}、{guess.codec} と推定して読み取りました"
        f"（元のバイト列: {raw_bytes(guess.raw)}）"
    )


def field_name(name: str) -> str:
    """``content-type`` -> ``Content-Type``."""
    words = name.strip().lower().split("-")
    return shown("-".join(word[:1].upper() + word[1:] for word in words))


def header_label(name: str) -> str:
    lname = name.strip().lower()
    return _HEADER_LABELS.get(lname, f"{field_name(lname)} ヘッダー")


def param_label(header: str, param: str) -> str:
    where = f"{field_name(header)} の {param}"
    if param in {"filename", "name"}:
        return f"添付ファイル名（{where}）"
    if param == "charset":
        return f"文字コードの指定（{where}）"
    return f"{field_name(header)} ヘッダーの {param} パラメーター"


def fallback_note(exc: BaseException) -> str:
    return (
        "mail-parser での解析に失敗したため標準ライブラリで解析しました"
        f"（{type(exc).__name__}: {shown(str(exc), 200)}）"
    )


def undecodable(what: str) -> str:
    """``what`` had characters that could not be decoded and were replaced."""
    return f"{what}に解読できない文字があり、{REPLACED}"


def mime_defect(defect: email_errors.MessageDefect) -> str:
    """One defect the standard library's parser found in the MIME structure."""
    detail = next(
        (text for cls, text in _MIME_DEFECT_TEXT.items() if isinstance(defect, cls)),
        "形式に誤りがある",
    )
    return f"メールの MIME 構造に問題があります: {detail}（{type(defect).__name__}）"
