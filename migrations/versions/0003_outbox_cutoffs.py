"""acknowledgement outbox and term cutoffs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:52:15.205398
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "term_cutoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("roster_path", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("summary_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_cutoffs")),
        sa.UniqueConstraint("term_id", "closes_at", name=op.f("uq_term_cutoffs_term_id")),
    )
    with op.batch_alter_table("term_cutoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_cutoffs_term_id"), ["term_id"], unique=False)

    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_acknowledgements_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
    )
    with op.batch_alter_table("acknowledgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_acknowledgements_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_acknowledgements_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_acknowledgements_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acknowledgements_status"))
        batch_op.drop_index(batch_op.f("ix_acknowledgements_due_at"))
        batch_op.drop_index(batch_op.f("ix_acknowledgements_application_id"))

    op.drop_table("acknowledgements")
    with op.batch_alter_table("term_cutoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_cutoffs_term_id"))

    op.drop_table("term_cutoffs")
