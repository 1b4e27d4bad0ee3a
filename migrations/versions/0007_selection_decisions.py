"""the selection (受講生の決定): prepared workbooks, decisions, decision notices, alerts

Revision ID: 0007_selection_decisions
Revises: 0006_message_names
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_selection_decisions"
down_revision: str | None = "0006_message_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "selection_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("notice_by", sa.Date(), nullable=False),
        sa.Column("sent_to", sa.JSON(), nullable=False),
        _at("sent_at", nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _at("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_alerts")),
        sa.UniqueConstraint("term_id", "notice_by", name=op.f("uq_selection_alerts_term_id")),
    )
    op.create_table(
        "selection_workbooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("application_ids", sa.JSON(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        _at("prepared_at", nullable=False),
        sa.Column("prepared_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_workbooks")),
        sa.UniqueConstraint("token", name=op.f("uq_selection_workbooks_token")),
    )
    with op.batch_alter_table("selection_workbooks") as batch_op:
        batch_op.create_index(batch_op.f("ix_selection_workbooks_term_id"), ["term_id"])

    op.create_table(
        "decision_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("operator", sa.String(length=255), nullable=False),
        _at("created_at", nullable=False),
        _at("claimed_at", nullable=True),
        _at("sent_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_decision_notices_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_notices")),
    )
    with op.batch_alter_table("decision_notices") as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_notices_application_id"), ["application_id"])
        batch_op.create_index(batch_op.f("ix_decision_notices_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_decision_notices_term_id"), ["term_id"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("workbook_id", sa.Integer(), nullable=True),
        _at("decided_at", nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_decisions_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["workbook_id"],
            ["selection_workbooks.id"],
            name=op.f("fk_decisions_workbook_id_selection_workbooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("application_id", name=op.f("uq_decisions_application_id")),
    )
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_term_id"), ["term_id"])


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_term_id"))
    op.drop_table("decisions")
    with op.batch_alter_table("decision_notices") as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_notices_term_id"))
        batch_op.drop_index(batch_op.f("ix_decision_notices_status"))
        batch_op.drop_index(batch_op.f("ix_decision_notices_application_id"))
    op.drop_table("decision_notices")
    with op.batch_alter_table("selection_workbooks") as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_workbooks_term_id"))
    op.drop_table("selection_workbooks")
    op.drop_table("selection_alerts")
