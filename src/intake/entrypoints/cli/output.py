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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from intake.domain.readmodel import Paged
from intake.domain.text import is_format_control, visible

T = TypeVar("T")
UNBOUNDED = 10_000  # "as wide as the content"
_MIN_FLEXIBLE = 3  # a shortened column keeps at least this many cells (with its "…")
_GAP = 2  # cells between two columns (a divider and a space)


def print_json(data: Any) -> None:
    """JSON for scripts; format controls travel as JSON's own ``\\u`` escapes (the data is
    unchanged, and a terminal showing it is not reordered)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if not text.isascii():
        text = "".join(json.dumps(ch)[1:-1] if is_format_control(ch) else ch for ch in text)
    sys.stdout.write(text + "\n")


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


@dataclass(frozen=True)
class Column:
    """A table column. ``flexible`` ones (names, reasons, notes) give way when the table is
    too wide, the widest first; the others (numbers, dates, labels) keep their width. In a
    one-line table, ``droppable`` ones (the subject) are left out before anything is cut."""

    header: str
    flexible: bool = False
    droppable: bool = False


def fit_widths(
    natural: Sequence[int], columns: Sequence[Column], available: int
) -> list[int | None]:
    """Each column's width within ``available`` cells (gaps included); None: left out."""
    widths: list[int | None] = list(natural)

    def total() -> int:
        shown = [w for w in widths if w is not None]
        return sum(shown) + _GAP * (len(shown) - 1)

    for i, column in enumerate(columns):
        if column.droppable and total() > available:
            widths[i] = None
    while total() > available:
        candidates = [
            i
            for i, column in enumerate(columns)
            if column.flexible and (widths[i] or 0) > _MIN_FLEXIBLE
        ]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i] or 0)
        widths[widest] = (widths[widest] or 0) - 1
    return widths


def print_table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    one_line: bool = False,
) -> None:
    """A table fitted to the output width: flexible columns wrap, or with ``one_line`` every
    row stays on one line (droppable columns left out first, then long cells end in "…")."""
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
    if one_line:
        natural = [
            max([cell_len(column.header), *(row[i].cell_len for row in cells)])
            for i, column in enumerate(columns)
        ]
        fitted = fit_widths(natural, columns, width or UNBOUNDED)
        kept = [i for i, fit in enumerate(fitted) if fit is not None]
        for i in kept:
            table.add_column(columns[i].header, width=fitted[i], no_wrap=True, overflow="ellipsis")
        cells = [[row[i] for i in kept] for row in cells]
    else:
        for column in columns:
            table.add_column(column.header, no_wrap=not column.flexible, overflow="fold")
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    Console(
        file=buffer, width=width or UNBOUNDED, highlight=False, color_system=None, soft_wrap=False
    ).print(table)
    for line in buffer.getvalue().splitlines():
        click.echo(line.rstrip())


def print_list(
    paged: Paged[T],
    *,
    as_json: bool,
    to_json: Callable[[T], Any],
    title: str,
    columns: Sequence[Column],
    row: Callable[[T], Sequence[str]],
    one_line: bool = False,
) -> None:
    """One page of a list: a JSON array, or a titled table and how to see the next page."""
    if as_json:
        print_json([to_json(item) for item in paged.items])
        return
    rows = [row(item) for item in paged.items]
    print_table(count_title(title, paged), columns, rows, one_line=one_line)
    more_hint(paged)


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
