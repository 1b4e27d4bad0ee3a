"""names from the application form on each message, for the search box

Revision ID: 0006_message_names
Revises: 0005_web_console
Create Date: 2026-12-02 10:00:00.000000

Messages recorded before this revision get the names of the application they made (the
forms of a rejected message were not kept; its subject's romaji name is still searched).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_message_names"
down_revision: str | None = "0005_web_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("name_kanji", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("name_kana", sa.String(length=255), nullable=True))
    applications = sa.table(
        "applications",
        sa.column("message_pk", sa.Integer()),
        sa.column("name_kanji", sa.String()),
        sa.column("form", sa.JSON()),
    )
    messages = sa.table(
        "messages",
        sa.column("id", sa.Integer()),
        sa.column("name_kanji", sa.String()),
        sa.column("name_kana", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(applications.c.message_pk, applications.c.name_kanji, applications.c.form)
    ).all()
    for message_pk, name_kanji, form in rows:
        kana = (form or {}).get("name_kana") if isinstance(form, dict) else None
        connection.execute(
            messages.update()
            .where(messages.c.id == message_pk)
            .values(
                name_kanji=(name_kanji or None) and str(name_kanji)[:255],
                name_kana=(kana or None) and str(kana)[:255],
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("name_kana")
        batch.drop_column("name_kanji")
