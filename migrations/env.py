"""Alembic environment: run by intake.adapters.schema with a connection already open."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from intake.adapters.orm import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    from intake.adapters.orm import make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
else:
    _run(connection)
