"""The header block of a raw mail as real senders write it: where it starts, where it ends, and
the headers that follow a malformed line.

Tools that save .eml files put a UTF-8 BOM or blank lines before the headers, and mbox files an
envelope line (``From sender date``): the parser would take all headers for body. A header block
with a malformed line (a continuation that lost its indentation, a line without a colon) ends
there for the parser, so Subject, From, Date and Content-Type after it are lost. When what follows
is unambiguously more headers (up to the blank line, with at least one header every mail has),
the line is read as the continuation it was, or set aside, and the rest is read; every repair is
said in Japanese. When it is not unambiguous (a body that simply has no blank line before it),
nothing is changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

from intake.adapters.mimedefects import field_name, shown
from intake.adapters.rfc2047 import decode_raw_header

__all__ = [
    "MAX_HEADER_BYTES",
    "header_block",
    "header_end",
    "header_values",
    "header_values_of_file",
    "repair",
    "start_of_headers",
]

# A header block larger than this is not a real mail header; stop reading there.
MAX_HEADER_BYTES = 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_BLANK_LINES_RE = re.compile(rb"(?:[ \t]*(?:\r\n|\n|\r))+")
_ENVELOPE_RE = re.compile(rb"From (?![ \t]*:)[^\r\n]*(?:\r\n|\n|\r)")
# What the standard library's parser accepts as a header line, and a name before a colon with
# white space between them (RFC 5322's obsolete syntax, which it does not accept).
_HEADER_RE = re.compile(rb"[\x21-\x39\x3b-\x7e]*:")
_SPACED_HEADER_RE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]+:")
_LINE_RE = re.compile(rb"([^\r\n]*)(\r\n|\n|\r|)")
_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_END_LINES = 5_000

# Headers every real mail has one of: their presence after a malformed line makes it certain
# that the header block goes on.
_KNOWN = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "reply-to",
        "return-path",
        "received",
        "sender",
        "in-reply-to",
        "references",
        "x-mailer",
        "user-agent",
    }
)
# Headers whose value is one token: a stray line after them is not their continuation.
_SINGLE_TOKEN = frozenset(
    {"date", "message-id", "mime-version", "content-transfer-encoding", "content-id"}
)
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
_PARAMETER_HEADERS = frozenset({"content-type", "content-disposition"})
_PARAMETER_RE = re.compile(rb"[ \t]*[\w.*-]+[ \t]*=")


def header_end(buf: bytes | bytearray) -> int | None:
    """Where the header block of ``buf`` ends (the blank line), or None when not yet seen."""
    if buf.startswith(b"\r\n") or buf.startswith(b"\n"):
        return 0
    m = _HEADER_END_RE.search(buf)
    return None if m is None else m.start()


def header_block(raw: bytes, defects: list[str]) -> bytes:
    end = header_end(raw[: MAX_HEADER_BYTES + 4])
    if end is None:
        if len(raw) > MAX_HEADER_BYTES:
            defects.append(
                f"ヘッダーが長すぎる（{MAX_HEADER_BYTES:,} バイト超）ため、"
                "先頭部分だけを読み取りました"
            )
            return raw[:MAX_HEADER_BYTES]
        return raw
    return raw[:end]


def header_values(raw: bytes, names: Sequence[str]) -> tuple[str, ...]:
    """The first value of each named header as sent (unfolded, white space folded; "" when
    missing), from the header block of ``raw``."""
    try:
        block = header_block(repair(raw, []), [])
        msg = BytesParser(policy=compat32).parsebytes(block + b"\r\n\r\n", headersonly=True)
    except Exception:  # hostile bytes: nothing identifies the mail
        return tuple("" for _ in names)
    values = {key.strip().lower(): str(value) for key, value in reversed(list(msg.raw_items()))}
    return tuple(" ".join(values.get(name, "").split()) for name in names)


def header_values_of_file(path: Path, names: Sequence[str]) -> tuple[str, ...]:
    """:func:`header_values` of a stored mail, reading only its beginning."""
    with open(path, "rb") as fh:
        return header_values(fh.read(MAX_HEADER_BYTES + 65536), names)


def start_of_headers(raw: bytes, defects: list[str]) -> int:
    """Where the headers begin: after a BOM, blank lines and an mbox envelope line, when a
    header line follows them (0 otherwise)."""
    pos, notes = 0, []
    if raw.startswith(_BOM):
        pos = len(_BOM)
        notes.append("メールの先頭に BOM（EF BB BF）があったため、取り除いて読み取りました")
    blank = _BLANK_LINES_RE.match(raw, pos)
    if blank:
        pos = blank.end()
        notes.append("メールの先頭に空行があったため、取り除いて読み取りました")
    envelope = _ENVELOPE_RE.match(raw, pos)
    if envelope:
        pos = envelope.end()  # an mbox file's own line: normal, nothing to say
    if pos == 0 or not _HEADER_RE.match(raw, pos):
        return 0
    defects.extend(notes)
    return pos


def repair(raw: bytes, defects: list[str]) -> bytes:
    """``raw`` with leading debris removed and the headers after a malformed line made
    readable; ``raw`` itself when nothing needed it (or when repairing failed)."""
    notes: list[str] = []
    try:
        start = start_of_headers(raw, notes)
        repaired = _recover(raw[start:] if start else raw, notes)
    except Exception:  # never let a repair cost the mail: the parser reads it as it is
        return raw
    defects.extend(notes)
    return repaired


def _recover(raw: bytes, defects: list[str]) -> bytes:
    lines: list[re.Match[bytes]] = []
    pos = 0
    while pos < len(raw) and len(lines) < _END_LINES:
        line = _LINE_RE.match(raw, pos)
        assert line is not None  # the pattern matches the empty string
        if not line.group(1) or pos > MAX_HEADER_BYTES:
            break  # the blank line: the header block ends
        lines.append(line)
        pos = line.end()
        if not line.group(2):
            break
    else:
        if len(lines) >= _END_LINES:
            return raw
    kinds = [_kind(line.group(1), i) for i, line in enumerate(lines)]
    if "bad" not in kinds and "spaced" not in kinds:
        return raw
    plan = _plan([line.group(1) for line in lines], kinds)
    guessed = [i for i, (action, plain, _) in enumerate(plan) if action != "keep" and not plain]
    if guessed:
        # A stray line not plainly a continuation: only when real headers follow it is it
        # certain that the header block goes on (a body may simply lack the blank line).
        first = guessed[0]
        after = [_name(lines[i].group(1)) for i in range(first, len(lines)) if kinds[i] == "header"]
        bad = kinds.count("bad")
        if not _KNOWN.intersection(after) or len(after) < bad:
            return raw
    return _rewrite(raw, lines, plan, pos, defects)


def _kind(content: bytes, index: int) -> str:
    if content[:1] in (b" ", b"\t"):
        return "continuation"
    if _HEADER_RE.match(content) or (index == 0 and content.startswith(b"From ")):
        return "header"
    spaced = _SPACED_HEADER_RE.match(content)
    if spaced and spaced.group(1).decode("ascii").lower() in _KNOWN:
        return "spaced"
    return "bad"


def _name(content: bytes) -> str:
    return content.split(b":", 1)[0].strip().decode("ascii", "replace").lower()


def _plan(contents: list[bytes], kinds: list[str]) -> list[tuple[str, bool, str | None]]:
    """Per line: keep, rename (white space before the colon), join (to the header before) or
    drop; whether that is plain from the line itself; the header it continues."""
    plan: list[tuple[str, bool, str | None]] = []
    header: str | None = None
    last = b""
    for content, kind in zip(contents, kinds, strict=True):
        if kind in ("header", "spaced"):
            header = _name(content)
            plan.append(("keep" if kind == "header" else "rename", True, None))
        elif kind == "continuation":
            plan.append(("keep", True, None))
        elif header is None or header in _SINGLE_TOKEN:
            plan.append(("drop", False, None))
            continue
        elif _plainly_continues(header, last, content):
            plan.append(("join", True, header))
        elif _may_continue(header, content):
            plan.append(("join", False, header))
        else:
            plan.append(("drop", False, None))
            continue
        last = content
    return plan


def _rewrite(
    raw: bytes,
    lines: list[re.Match[bytes]],
    plan: list[tuple[str, bool, str | None]],
    end: int,
    defects: list[str],
) -> bytes:
    out: list[bytes] = []
    for line, (action, _plain, header) in zip(lines, plan, strict=True):
        content, newline = line.group(1), line.group(2) or b"\r\n"
        if action == "rename":
            content = _SPACED_HEADER_RE.sub(rb"\1:", content, count=1)
        elif action in ("join", "drop"):
            text = shown(decode_raw_header(content)[0], 200)
            if action == "drop":
                defects.append(
                    f"ヘッダーの途中に形式の正しくない行「{text}」があったため、その行を除いて"
                    "後に続くヘッダーを読み取りました"
                )
                continue
            defects.append(
                f"ヘッダーの途中に字下げのない行「{text}」があったため、"
                f"前の {field_name(header or '')} ヘッダーの続きとして読み取りました"
            )
            content = b" " + content
        out.append(content + newline)
    return b"".join(out) + raw[end:]


def _plainly_continues(header: str, last: bytes, line: bytes) -> bool:
    """A line that lost its indentation and is plainly the rest of the header before it: an
    encoded-word, a MIME parameter, or after a line ending in 「;」 or 「,」."""
    return (
        line.lstrip().startswith(b"=?")
        or (header in _PARAMETER_HEADERS and _PARAMETER_RE.match(line) is not None)
        or last.rstrip().endswith((b";", b","))
    )


def _may_continue(header: str, line: bytes) -> bool:
    """The rest of a Subject, or an address in angle brackets after its display name."""
    return header == "subject" or (header in _ADDRESS_HEADERS and line.lstrip().startswith(b"<"))
