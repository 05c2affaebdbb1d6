"""initial schema: case view, notices, status subscribers and deliveries, failed queries; messaging tables
and the hash-chained append-only audit log (shared/messaging.py, shared/audit.py as of this revision)

Revision ID: 0001
Revises:
Create Date: 2026-12-01 22:16:44.049720
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _schema() -> str:
    """The schema the service is deployed in (DATABASE_SCHEMA); raw SQL is not schema-translated."""
    return str(context.config.attributes.get("schema", "household"))


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("target", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
        schema="household",
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("applicant_index", sa.String(length=64), nullable=True),
        sa.Column("contact_sealed", sa.Text(), nullable=True),
        sa.Column("sms_opt_out", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("subtype", sa.String(length=30), nullable=True),
        sa.Column("stage", sa.String(length=30), server_default="accepted", nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("missing", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("paid_total", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_no", name=op.f("uq_cases_case_no")),
        schema="household",
    )
    op.create_index(
        "ix_cases_place", "cases", ["county_code", "township_code"], unique=False, schema="household"
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
        schema="household",
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
        schema="household",
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("template_version", sa.String(length=40), nullable=True),
        sa.Column("sms_text", sa.Text(), nullable=True),
        sa.Column("has_letter", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("gateway_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        schema="household",
    )
    op.create_index("ix_notices_case", "notices", ["case_id", "created_at"], unique=False, schema="household")
    op.create_index(
        "ix_notices_due",
        "notices",
        ["next_attempt_at"],
        unique=False,
        schema="household",
        postgresql_where="status = 'queued'",
    )
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
        schema="household",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="household",
        postgresql_where="published_at IS NULL",
    )
    op.create_table(
        "query_failures",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_query_failures")),
        schema="household",
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        schema="household",
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subscriber_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        schema="household",
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        schema="household",
        postgresql_where="status = 'pending'",
    )
    schema = _schema()
    # UPDATE and DELETE of the audit log are refused by the database itself
    op.execute(
        f'''CREATE OR REPLACE FUNCTION "{schema}".audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql'''
    )
    op.execute(
        f'''CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "{schema}".audit_log
            FOR EACH ROW EXECUTE FUNCTION "{schema}".audit_log_append_only()'''
    )


def downgrade() -> None:
    op.drop_index(
        "ix_webhook_deliveries_due",
        table_name="webhook_deliveries",
        schema="household",
        postgresql_where="status = 'pending'",
    )
    op.drop_table("webhook_deliveries", schema="household")
    op.drop_table("subscribers", schema="household")
    op.drop_table("query_failures", schema="household")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="household",
        postgresql_where="published_at IS NULL",
    )
    op.drop_table("outbox", schema="household")
    op.drop_index(
        "ix_notices_due", table_name="notices", schema="household", postgresql_where="status = 'queued'"
    )
    op.drop_index("ix_notices_case", table_name="notices", schema="household")
    op.drop_table("notices", schema="household")
    op.drop_table("inbox", schema="household")
    op.drop_table("dead_letter", schema="household")
    op.drop_index("ix_cases_place", table_name="cases", schema="household")
    op.drop_table("cases", schema="household")
    op.drop_table("audit_log", schema="household")
    op.execute(f'DROP FUNCTION IF EXISTS "{_schema()}".audit_log_append_only()')
