"""Alembic migrations build exactly the schema the ORM expects, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from intake.adapters.orm import Base, make_engine
from intake.adapters.schema import (
    SchemaOutdated,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)


@pytest.mark.postgres
def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with pytest.raises(SchemaOutdated, match="intake db upgrade"):
        ensure_current(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    ensure_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    upgrade(engine)  # running it again is harmless
    assert current_revision(engine) == head_revision()
    engine.dispose()
