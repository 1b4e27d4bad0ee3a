"""Printing for operators: tables that fit the terminal, plain lines, JSON for scripts.

Width: ``COLUMNS`` when set, else the terminal's width when printing to one; printed to a
pipe or a file without ``COLUMNS``, a table is as wide as its content (nothing wrapped or cut).
Lines never end in padding. Everything printed passes :func:`intake.domain.text.visible`:
an applicant's control characters and bidirectional overrides are shown, not obeyed.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from intake.domain.model import TOKYO
from intake.domain.readmodel import Paged
from intake.domain.text import format_short, visible

UNBOUNDED = 10_000  # "as wide as the content"
_MIN_FLEXIBLE = 6  # a shortened column keeps at least this many cells (with its "…")


def iso_jst(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(TOKYO).isoformat(timespec="seconds")


def short_jst(instant: datetime | None) -> str:
    return "" if instant is None else format_short(instant)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def output_width(stream: TextIO | None = None) -> int | None:
    """The width to fit: COLUMNS, else the terminal's; None for a pipe or a file."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    target = stream or sys.stdout
    try:
        if target.isatty():
            return os.get_terminal_size(target.fileno()).columns
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return None


def echo(text: str = "", *, err: bool = False) -> None:
    """One line (or several) for a person; nothing in it drives the terminal."""
    click.echo("\n".join(visible(line).rstrip() for line in text.split("\n")), err=err)


def fit_widths(natural: Sequence[int], flexible: Sequence[bool], available: int) -> list[int]:
    """Column widths within ``available`` cells: the widest flexible columns give way first,
    down to a few cells each; fixed columns (numbers, dates) keep their width."""
    widths = list(natural)
    while sum(widths) > available:
        candidates = [i for i, f in enumerate(flexible) if f and widths[i] > _MIN_FLEXIBLE]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def print_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    one_line: Sequence[bool] | None = None,
) -> None:
    """A table fitted to the output width. With ``one_line`` (one flag per column: may this
    column be shortened?), every row stays on one line and long cells end in "…"; without
    it, long cells wrap."""
    width = output_width()
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    cells = [[Text(visible(cell)) for cell in row] for row in rows]
    if one_line is None:
        for header in headers:
            table.add_column(header, overflow="fold")
    else:
        natural = [
            max([cell_len(header), *(row[i].cell_len for row in cells)])
            for i, header in enumerate(headers)
        ]
        gaps = 2 * (len(headers) - 1)  # a divider and a space between columns
        fitted = fit_widths(natural, one_line, (width or UNBOUNDED) - gaps)
        for header, fit in zip(headers, fitted, strict=True):
            table.add_column(header, width=fit, no_wrap=True, overflow="ellipsis")
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    Console(
        file=buffer, width=width or UNBOUNDED, highlight=False, color_system=None, soft_wrap=False
    ).print(table)
    for line in buffer.getvalue().splitlines():
        click.echo(line.rstrip())


def count_title(what: str, paged: Paged[Any]) -> str:
    """「不備ログ（29 件）」, or for one page of many 「不備ログ（全 29 件中 1〜20 件）」."""
    if not paged.is_partial:
        return f"{what}（{paged.total} 件）"
    if not paged.items:
        return f"{what}（全 {paged.total} 件中 0 件）"
    return f"{what}（全 {paged.total} 件中 {paged.first}〜{paged.last} 件）"


def more_hint(paged: Paged[Any]) -> None:
    """After a page that is not the last: how to see the next one."""
    if paged.items and paged.last < paged.total:
        echo(f"続きは --offset {paged.last} で表示できます。")
