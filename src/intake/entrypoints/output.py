"""Printing for operators: aligned tables in a terminal, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def console(stderr: bool = False) -> Console:
    # Piped output keeps whole lines rather than wrapping at 80 columns.
    target = sys.stderr if stderr else sys.stdout
    return Console(file=target, width=None if target.isatty() else 200, highlight=False)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = Table(title=title, show_lines=False, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Cells hold text from mail: never interpret it as rich markup.
        table.add_row(*(Text(cell) for cell in row))
    console().print(table)
