"""applications, applicants, experience entries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:39:16.498154
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applicants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("name_romaji", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicants")),
        sa.UniqueConstraint("name_key", "email", name=op.f("uq_applicants_name_key")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_romaji", sa.String(length=255), nullable=False),
        sa.Column("name_kanji", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("eligibility", sa.String(length=20), nullable=False),
        sa.Column("eligibility_explanation", sa.Text(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_applications_applicant_id_applicants"),
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.id"], name=op.f("fk_applications_message_pk_messages")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["applications.id"],
            name=op.f("fk_applications_superseded_by_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_term_id"), ["term_id"], unique=False)

    op.create_table(
        "experience_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sheet_row", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("window_name", sa.Text(), nullable=True),
        sa.Column("employment_type", sa.String(length=40), nullable=True),
        sa.Column("days_worked", sa.Integer(), nullable=True),
        sa.Column("duties", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_experience_entries_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experience_entries")),
    )
    with op.batch_alter_table("experience_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_experience_entries_application_id"), ["application_id"], unique=False
        )

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_attachments_application_id"), ["application_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_application_id_applications"),
            "applications",
            ["application_id"],
            ["id"],
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_messages_application_id"), ["application_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_application_id_applications"),
            "applications",
            ["application_id"],
            ["id"],
        )

    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplemented_by_pk", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_rejections_supplemented_by_pk_messages"),
            "messages",
            ["supplemented_by_pk"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_rejections_supplemented_by_pk_messages"), type_="foreignkey"
        )
        batch_op.drop_column("supplemented_by_pk")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_messages_application_id_applications"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_messages_application_id"))
        batch_op.drop_column("application_id")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attachments_application_id_applications"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_attachments_application_id"))
        batch_op.drop_column("application_id")

    with op.batch_alter_table("experience_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experience_entries_application_id"))

    op.drop_table("experience_entries")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_term_id"))
        batch_op.drop_index(batch_op.f("ix_applications_status"))
        batch_op.drop_index(batch_op.f("ix_applications_applicant_id"))

    op.drop_table("applications")
    op.drop_table("applicants")
