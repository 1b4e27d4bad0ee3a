"""Option types and the options every list shares (--limit, --offset, --search, --json)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import click

from intake.domain.lifecycle import RejectionStatus
from intake.domain.model import TOKYO
from intake.domain.readmodel import Page

F = TypeVar("F", bound=Callable[..., Any])

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")

# `--status` of the rejection lists: a state, or every rejection.
ALL = "all"
REJECTION_STATUS_CHOICES = [*(s.value for s in RejectionStatus), ALL]


def rejection_status(choice: str) -> RejectionStatus | None:
    """The rejection state a `--status` choice selects; None for all."""
    return None if choice == ALL else RejectionStatus(choice)


class IsoDateTime(click.ParamType):  # type: ignore[type-arg]
    """ISO 8601 with an offset; without one, Tokyo time."""

    name = "ISO8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"日時の形式が違います（例 2025-04-21T09:00:00+09:00）: {value}", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=TOKYO)


class UntilDateTime(IsoDateTime):
    """The end of a range, exclusive: a bare date (2025-05-31) means to the end of that day."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        parsed = super().convert(value, param, ctx)
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
            return parsed + timedelta(days=1)
        return parsed


def list_options(*, search: str | None = None) -> Callable[[F], F]:
    """--limit / --offset / --json, and --search with what it looks in (when given)."""

    def decorate(func: F) -> F:
        func = click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力する。")(func)
        func = click.option(
            "--offset",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="先頭からこの件数を飛ばす。",
        )(func)
        func = click.option(
            "--limit",
            type=click.IntRange(min=0),
            help="最大でこの件数だけ表示する（省略時はすべて）。",
        )(func)
        if search is not None:
            func = click.option("--search", "search", metavar="TEXT", help=search)(func)
        return func

    return decorate


def page_of(limit: int | None, offset: int) -> Page:
    return Page(limit=limit, offset=offset)
