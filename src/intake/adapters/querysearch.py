"""How the read side's search box and term filter become SQL, on SQLite and PostgreSQL.

Every word of a search must be found (case ignored, ``%`` and ``_`` taken literally) in one
of the columns given, or be the 受付番号 of the record's application; a term's mail is the
mail received in its period or placed in it (``messages.term_ids``, a JSON array).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from intake.adapters.orm import Application, Message
from intake.domain.search import SearchToken


class json_array_has(FunctionElement[bool]):  # named as the SQL function it stands for
    """``json_array_has(column, value)``: the JSON array in ``column`` contains the integer
    ``value`` (messages.term_ids)."""

    type = Boolean()
    inherit_cache = True
    name = "json_array_has"


@compiles(json_array_has, "sqlite")
def _json_array_has_sqlite(element: json_array_has, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (
        f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) "
        f"WHERE json_each.value = {compiler.process(value, **kw)})"
    )


@compiles(json_array_has, "postgresql")
def _json_array_has_postgresql(element: json_array_has, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (
        f"(CAST({compiler.process(column, **kw)} AS JSONB) "
        f"@> jsonb_build_array(CAST({compiler.process(value, **kw)} AS INTEGER)))"
    )


def matches(columns: Sequence[Any], token: SearchToken) -> list[Any]:
    return [
        column.icontains(spelling, autoescape=True)
        for column in columns
        for spelling in token.spellings
    ]


def reference_match(column: Any, token: SearchToken) -> ColumnElement[bool]:
    """``column`` (an application id) is the application of the 受付番号 typed."""
    if token.reference is None:
        return false()
    term_id, application_id = token.reference
    matched: ColumnElement[bool] = column.in_(
        select(Application.id).where(
            Application.id == application_id, Application.term_id == term_id
        )
    )
    return matched


def search(
    tokens: Sequence[SearchToken], columns: Sequence[Any], application_id: Any
) -> ColumnElement[bool]:
    """Every word found in one of ``columns``, or a 受付番号 naming ``application_id``."""
    return and_(
        true(),
        *(or_(*matches(columns, t), reference_match(application_id, t)) for t in tokens),
    )


def message_search(tokens: Sequence[SearchToken]) -> ColumnElement[bool]:
    """Every word found in the subject, sender, names (romaji, kanji, kana), Message-ID,
    or the 受付番号 of the application the message made."""
    columns = [
        Message.subject,
        Message.from_address,
        Message.from_display,
        Message.applicant_name,
        Message.name_kanji,
        Message.name_kana,
        Message.message_id,
    ]
    return search(tokens, columns, Message.application_id)
