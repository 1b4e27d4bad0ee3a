"""initial schema: messages, attachments, rejection log, mailbox state

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:21:35.683715
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("highest_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_states")),
        sa.UniqueConstraint("account", "folder", name=op.f("uq_mailbox_states_account")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("raw_path", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("from_display", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("applicant_name", sa.String(length=255), nullable=True),
        sa.Column("term_ids", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("server_state", sa.String(length=20), nullable=False),
        sa.Column("server_marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["messages.id"], name=op.f("fk_messages_duplicate_of_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "account", "folder", "uidvalidity", "uid", name=op.f("uq_messages_account")
        ),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_message_id_sha256", ["message_id", "sha256"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_messages_outcome"), ["outcome"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_messages_server_state"), ["server_state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_messages_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_messages_content_sha256"), ["content_sha256"], unique=False
        )

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("doc_type", sa.String(length=40), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.id"], name=op.f("fk_attachments_message_pk_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_message_pk"), ["message_pk"], unique=False)

    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_pk"], ["messages.id"], name=op.f("fk_rejections_message_pk_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejections")),
        sa.UniqueConstraint("message_pk", name=op.f("uq_rejections_message_pk")),
    )
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejections_status"), ["status"], unique=False)

    op.create_table(
        "rejection_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rejection_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rejection_pk"],
            ["rejections.id"],
            name=op.f("fk_rejection_reasons_rejection_pk_rejections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejection_reasons")),
    )
    with op.batch_alter_table("rejection_reasons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejection_reasons_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rejection_reasons_rejection_pk"), ["rejection_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rejection_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejection_reasons_rejection_pk"))
        batch_op.drop_index(batch_op.f("ix_rejection_reasons_code"))

    op.drop_table("rejection_reasons")
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejections_status"))

    op.drop_table("rejections")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_message_pk"))

    op.drop_table("attachments")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_sha256"))
        batch_op.drop_index(batch_op.f("ix_messages_content_sha256"))
        batch_op.drop_index(batch_op.f("ix_messages_server_state"))
        batch_op.drop_index(batch_op.f("ix_messages_outcome"))
        batch_op.drop_index("ix_messages_message_id_sha256")

    op.drop_table("messages")
    op.drop_table("mailbox_states")
