"""Multipart boundaries that a client folded inside their quotes.

Some clients fold a long ``boundary="…"`` parameter in the middle of its quoted value. The parser
then looks for a delimiter containing the line break, finds none, and every part (every
attachment) is lost. The delimiter lines in the body show what was meant: the boundary without
the fold (or, per RFC 5322, without only the line break). When one of those is in the body, the
mail is parsed again with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from intake.adapters.mimeparams import payload_of

__all__ = ["refold"]

# Nested multiparts only show once the one around them is read: a few rounds at most.
_ROUNDS = 4
_MAX_PARTS = 2_000
_FOLD_RE = re.compile(r"\r?\n[ \t]*")
_BREAK_RE = re.compile(r"\r?\n")


def refold(msg: Message, raw: Callable[[], bytes], defects: list[str]) -> Message:
    """``msg``, or ``raw()`` parsed again with the boundaries the sender meant."""
    fixes: dict[str, str] = {}
    for _ in range(_ROUNDS):
        try:
            found = {k: v for k, v in _folded(msg).items() if k not in fixes}
        except Exception:  # hostile headers: the first reading stands
            break
        if not found:
            break
        fixes.update(found)
        try:
            msg = BytesParser(_class=_parser_class(dict(fixes)), policy=compat32).parsebytes(raw())
        except Exception:  # e.g. RecursionError on absurd nesting: keep the first reading
            return msg
    if fixes:
        defects.append(
            "multipart の区切り（boundary）の指定が引用符の中で折り返されていたため、"
            "本文中の区切りに合わせて読み取りました"
        )
    return msg


def _folded(msg: Message) -> dict[str, str]:
    """Folded boundaries of multiparts left unread, each with what the body shows was meant."""
    fixes: dict[str, str] = {}
    stack = [msg]
    seen = 0
    while stack and seen < _MAX_PARTS:
        part = stack.pop()
        seen += 1
        payload = payload_of(part)
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
            continue
        if part.get_content_maintype() != "multipart" or not isinstance(payload, str):
            continue
        boundary = part.get_boundary()
        if not boundary or "\n" not in boundary:
            continue
        for candidate in (_FOLD_RE.sub("", boundary), _BREAK_RE.sub("", boundary)):
            delimiter = re.compile(rf"^--{re.escape(candidate)}[ \t]*\r?$", re.MULTILINE)
            if candidate and delimiter.search(payload):
                fixes[boundary] = candidate
                break
    return fixes


def _parser_class(fixes: dict[str, str]) -> type[Message]:
    class Refolded(Message):
        def get_boundary(self, failobj: Any = None) -> Any:
            boundary = super().get_boundary(failobj)
            return fixes.get(boundary, boundary) if isinstance(boundary, str) else boundary

    return Refolded
