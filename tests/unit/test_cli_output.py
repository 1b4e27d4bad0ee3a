"""Tables that fit the terminal (COLUMNS, or as wide as the content in a pipe), without
padding, and never driven by what an applicant wrote."""

from __future__ import annotations

import unicodedata

import pytest

from intake.domain.text import visible
from intake.entrypoints.cli.output import Column, fit_widths, output_width, print_table

COLUMNS = [
    Column("番号"),
    Column("受信日時"),
    Column("申込者", flexible=True),
    Column("理由", flexible=True),
    Column("件名", flexible=True, droppable=True),
]
ROWS = [
    [
        "1",
        "2025-04-20 16:30",
        "鈴木 一郎",
        "実務経験申告書がない、在職証明書がない",
        "受講申込_SUZUKI",
    ],
    ["12", "2025-07-01 17:03", "tanaka@example.jp", "募集期間外の受信", "受講申込_TANAKA Ken"],
]


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def test_flexible_columns_give_way_widest_first_and_droppable_ones_go_first() -> None:
    natural = [4, 16, 17, 40, 22]
    assert fit_widths(natural, COLUMNS, 200) == natural
    fitted = fit_widths(natural, COLUMNS, 80)
    assert fitted[4] is None and fitted[:2] == [4, 16]
    assert sum(w or 0 for w in fitted) + 2 * 3 <= 80 and fitted[3] == 40 - 3
    tight = fit_widths(natural, COLUMNS, 30)
    assert tight[2] == tight[3] == 3  # as far as they go: the rest is the table's to cut


def test_one_line_table_fits_columns_and_leaves_no_padding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert output_width() == 60
    print_table("不備ログ（2 件）", COLUMNS, ROWS, one_line=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 1 + len(ROWS)  # title, header, rule, one line a row
    assert all(line == line.rstrip() and width(line) <= 60 for line in lines)
    assert "件名" not in lines[1] and "…" in lines[3]

    monkeypatch.delenv("COLUMNS")
    assert output_width() is None  # captured output is no terminal
    print_table("不備ログ（2 件）", COLUMNS, ROWS, one_line=True)
    wide = capsys.readouterr().out
    assert "実務経験申告書がない、在職証明書がない" in wide and "受講申込_TANAKA Ken" in wide
    assert all(line == line.rstrip() for line in wide.splitlines())


def test_wrapping_tables_keep_dates_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    print_table("受信メール", COLUMNS, ROWS)
    out = capsys.readouterr().out
    assert "2025-04-20 16:30" in out and "2025-07-01 17:03" in out
    assert all(width(line) <= 50 and line == line.rstrip() for line in out.splitlines())


def test_what_an_applicant_wrote_cannot_drive_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hostile = "受講申込\x1b[2J\x9b31m_\u202eevil\u2066[red]x[/red]\r"
    assert visible(hostile) == "受講申込\\x1b[2J\\x9b31m_\\u202eevil\\u2066[red]x[/red]\\x0d"
    assert visible("改行\nと\tタブ") == "改行\nと\tタブ"
    print_table("t", [Column("件名", flexible=True)], [[hostile]], one_line=True)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert "[red]x[/red]" in out  # shown as written, not taken as rich markup
