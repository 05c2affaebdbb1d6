"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the messaging tables (shared/messaging.py as of this revision): outbox, inbox, dead letters
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
        schema="intake",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="intake",
        postgresql_where="published_at IS NULL",
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_inbox")),
        schema="intake",
    )
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=200), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
        schema="intake",
    )
    op.execute(sa.schema.CreateSequence(sa.Sequence("case_no_seq", schema="intake")))
    op.create_table(
        "applications",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("referring_system", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.String(length=32), nullable=False),
        sa.Column("incident_date", sa.Date(), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("persons_helped", sa.Integer(), nullable=False),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("consents", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("personal", sa.Text(), nullable=False),
        sa.Column("applicant_bidx", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("case_no", name=op.f("uq_applications_case_no")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_applications_idempotency_key")),
        schema="intake",
    )
    op.create_index(
        "ix_applications_applicant", "applications", ["applicant_bidx"], unique=False, schema="intake"
    )
    op.create_index(
        "ix_applications_county_created",
        "applications",
        ["county_code", "created_at", "id"],
        unique=False,
        schema="intake",
    )
    op.create_index(
        "ix_applications_list", "applications", ["created_at", "id"], unique=False, schema="intake"
    )
    op.create_index(
        "ix_applications_township_created",
        "applications",
        ["township_code", "created_at", "id"],
        unique=False,
        schema="intake",
    )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("consent", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_consent_events_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
        schema="intake",
    )
    op.create_table(
        "members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("id_bidx", sa.String(length=64), nullable=False),
        sa.Column("dibao", sa.Boolean(), nullable=False),
        sa.Column("tekun", sa.Boolean(), nullable=False),
        sa.Column("jiandang", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_members_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        schema="intake",
    )
    op.create_index("ix_members_application", "members", ["application_id"], unique=False, schema="intake")
    op.create_index("ix_members_id_bidx", "members", ["id_bidx"], unique=False, schema="intake")


def downgrade() -> None:
    op.drop_index("ix_members_id_bidx", table_name="members", schema="intake")
    op.drop_index("ix_members_application", table_name="members", schema="intake")
    op.drop_table("members", schema="intake")
    op.drop_table("consent_events", schema="intake")
    op.drop_index("ix_applications_township_created", table_name="applications", schema="intake")
    op.drop_index("ix_applications_list", table_name="applications", schema="intake")
    op.drop_index("ix_applications_county_created", table_name="applications", schema="intake")
    op.drop_index("ix_applications_applicant", table_name="applications", schema="intake")
    op.drop_table("applications", schema="intake")
    op.execute(sa.schema.DropSequence(sa.Sequence("case_no_seq", schema="intake")))
    op.drop_table("dead_letter", schema="intake")
    op.drop_table("inbox", schema="intake")
    op.drop_index("ix_outbox_unpublished", table_name="outbox", schema="intake")
    op.drop_table("outbox", schema="intake")
