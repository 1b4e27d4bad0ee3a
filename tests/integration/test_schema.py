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


@pytest.mark.postgres
def test_messages_recorded_before_0006_get_their_applications_names(database_url: str) -> None:
    import sqlalchemy as sa

    engine = make_engine(database_url)
    upgrade(engine, "0005_web_console")
    tables = sa.MetaData()
    tables.reflect(engine, only=["messages", "applicants", "applications"])
    messages, applicants, applications = (
        tables.tables[n] for n in ("messages", "applicants", "applications")
    )
    now = sa.func.now()
    common = {"received_at": now, "created_at": now}
    with engine.begin() as connection:
        for pk in (1, 2):
            connection.execute(
                messages.insert().values(
                    id=pk,
                    account="scfn",
                    folder="INBOX",
                    sha256=f"{pk}",
                    content_sha256=f"{pk}",
                    size=1,
                    raw_path=f"raw/{pk}",
                    subject="受講申込_YAMADA Taro",
                    from_display="",
                    outcome="accepted" if pk == 1 else "rejected",
                    term_ids=[1],
                    notes=[],
                    server_state="done",
                    **common,
                )
            )
        connection.execute(
            applicants.insert().values(
                id=1,
                name_key="yamadataro",
                name_romaji="YAMADA Taro",
                email="t@x.jp",
                created_at=now,
            )
        )
        connection.execute(
            applications.insert().values(
                id=1, applicant_id=1, term_id=1, status="accepted", message_pk=1,
                completed_at=now, name_romaji="YAMADA Taro", name_kanji="山田 太郎",
                email="t@x.jp", eligibility="eligible", eligibility_explanation="",
                form={"name_kana": "やまだ たろう"}, warnings=[], **common,
            )
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, name_kanji, name_kana FROM messages ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [(1, "山田 太郎", "やまだ たろう"), (2, None, None)]
    engine.dispose()
