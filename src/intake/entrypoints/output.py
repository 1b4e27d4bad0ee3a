"""Printing for operators: aligned tables in a terminal, JSON for scripts.

Text from mail is hostile wherever it is shown: format controls (U+202E RIGHT-TO-LEFT OVERRIDE
turns 「…fdp.exe」 into 「…exe.pdf」 on screen) are printed as ``\\u202e``, never acted on; JSON
carries them as its own ``\\u`` escapes, so the data is unchanged.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO, cast

from rich.console import Console
from rich.table import Table
from rich.text import Text

from intake.domain.text import escape_invisible, is_format_control


def print_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if not text.isascii():
        text = "".join(json.dumps(ch)[1:-1] if is_format_control(ch) else ch for ch in text)
    sys.stdout.write(text + "\n")


class _Visible(io.TextIOBase):
    """A stream that shows format controls instead of letting the terminal act on them."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, text: str) -> int:
        self._target.write(escape_invisible(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()


def console(stderr: bool = False) -> Console:
    # Piped output keeps whole lines rather than wrapping at 80 columns.
    target = sys.stderr if stderr else sys.stdout
    return Console(
        file=cast(TextIO, _Visible(target)), width=None if target.isatty() else 200, highlight=False
    )


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = Table(title=title, show_lines=False, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Cells hold text from mail: never interpret it as rich markup.
        table.add_row(*(Text(cell) for cell in row))
    console().print(table)
