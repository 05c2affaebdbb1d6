"""repeat rule, duplicate flags, archive documents, application revisions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "applications", sa.Column("merged_into", sa.UUID(as_uuid=False), nullable=True), schema="intake"
    )
    op.add_column(
        "applications", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True), schema="intake"
    )
    op.add_column(
        "applications",
        sa.Column("raised", sa.Boolean(), server_default="false", nullable=False),
        schema="intake",
    )
    op.create_index(
        "ix_applications_status_created",
        "applications",
        ["status", "created_at", "id"],
        unique=False,
        schema="intake",
    )
    op.create_table(
        "application_revisions",
        sa.Column("application_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.String(length=32), nullable=False),
        sa.Column("incident_date", sa.Date(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("persons_helped", sa.Integer(), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("personal", sa.Text(), nullable=False),
        sa.Column("amended_by", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_application_revisions_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", "revision", name=op.f("pk_application_revisions")),
        schema="intake",
    )
    # revision 1 of every application recorded before this migration
    op.execute(
        "INSERT INTO intake.application_revisions (application_id, revision, category, subtype, "
        "incident_date, county_code, township_code, persons_helped, facts, personal, created_at) "
        "SELECT id, revision, category, subtype, incident_date, county_code, township_code, persons_helped, "
        "facts, personal, created_at FROM intake.applications"
    )
    op.create_table(
        "duplicate_flags",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("application_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("matched_application_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_duplicate_flags_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["matched_application_id"],
            ["intake.applications.id"],
            name=op.f("fk_duplicate_flags_matched_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flags")),
        schema="intake",
    )
    op.create_index(
        "ix_duplicate_flags_list", "duplicate_flags", ["created_at", "id"], unique=False, schema="intake"
    )
    op.create_index(
        "ix_duplicate_flags_application", "duplicate_flags", ["application_id"], unique=False, schema="intake"
    )
    op.create_index(
        "ix_duplicate_flags_status_created",
        "duplicate_flags",
        ["status", "created_at", "id"],
        unique=False,
        schema="intake",
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("application_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_uri", sa.String(length=1000), nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_documents_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "application_id", "kind", "sha256", name=op.f("uq_documents_application_id_kind_sha256")
        ),
        schema="intake",
    )
    op.create_index(
        "ix_documents_application", "documents", ["application_id"], unique=False, schema="intake"
    )


def downgrade() -> None:
    op.drop_index("ix_documents_application", table_name="documents", schema="intake")
    op.drop_table("documents", schema="intake")
    op.drop_index("ix_duplicate_flags_status_created", table_name="duplicate_flags", schema="intake")
    op.drop_index("ix_duplicate_flags_application", table_name="duplicate_flags", schema="intake")
    op.drop_index("ix_duplicate_flags_list", table_name="duplicate_flags", schema="intake")
    op.drop_table("duplicate_flags", schema="intake")
    op.drop_table("application_revisions", schema="intake")
    op.drop_index("ix_applications_status_created", table_name="applications", schema="intake")
    op.drop_column("applications", "raised", schema="intake")
    op.drop_column("applications", "decided_at", schema="intake")
    op.drop_column("applications", "merged_into", schema="intake")
