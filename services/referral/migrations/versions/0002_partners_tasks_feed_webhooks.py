"""partner registry, offers (FHIR Tasks), partner feed, webhook deliveries

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

S = "referral"


def upgrade() -> None:
    op.add_column(
        "needs_records",
        sa.Column("match_state", sa.String(length=20), nullable=False, server_default="unmatched"),
        schema=S,
    )
    records = sa.table("needs_records", sa.column("status"), sa.column("match_state"), schema=S)
    op.execute(records.update().where(records.c.status == "withdrawn").values(match_state="closed"))
    op.create_index(
        "ix_needs_records_unmatched",
        "needs_records",
        ["published_at"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("match_state = 'unmatched'"),
    )

    op.create_table(
        "partners",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("need_types", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("service_areas", postgresql.ARRAY(sa.String(length=9)), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("seq", name=op.f("uq_partners_seq")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_partners_api_key_hash")),
        schema=S,
    )

    op.create_table(
        "tasks",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("record_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("fulfilled_form", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("record_id", "partner_id", name=op.f("uq_tasks_record_id_partner_id")),
        schema=S,
    )
    op.create_index("ix_tasks_case_id", "tasks", ["case_id"], unique=False, schema=S)
    op.create_index("ix_tasks_partner_id", "tasks", ["partner_id", "offered_at"], unique=False, schema=S)
    op.create_index(
        "ix_tasks_requested",
        "tasks",
        ["expires_at"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("status = 'requested'"),
    )

    op.create_table(
        "partner_events",
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("record_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_partner_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_partner_events_event_id")),
        schema=S,
    )
    op.create_index("ix_partner_events_feed", "partner_events", ["partner_id", "seq"], unique=False, schema=S)
    op.create_index("ix_partner_events_record", "partner_events", ["record_id"], unique=False, schema=S)

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("record_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_deliveries_event_id")),
        schema=S,
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_partner", "webhook_deliveries", ["partner_id", "id"], unique=False, schema=S
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries", schema=S)
    op.drop_table("partner_events", schema=S)
    op.drop_table("tasks", schema=S)
    op.drop_table("partners", schema=S)
    op.drop_index("ix_needs_records_unmatched", table_name="needs_records", schema=S)
    op.drop_column("needs_records", "match_state", schema=S)
