"""reserve-fund reports (R-RES-2): county reporting settings, reports and their history, top-ups,
year-end settlements; the case category on beneficiaries (the report's per-case lines)

Revision ID: disbursement_reserve
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "disbursement_reserve"
down_revision = "0005"
branch_labels = None
depends_on = None

S = "disbursement"
UUID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.add_column("beneficiaries", sa.Column("category", sa.String(length=40), nullable=True), schema=S)
    op.create_table(
        "reserve_settings",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("report_frequency", sa.String(length=10), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("year_end", sa.String(length=20), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "report_frequency IN ('monthly', 'quarterly')", name="ck_reserve_settings_frequency_known"
        ),
        sa.CheckConstraint("year_end IN ('carry_over', 'return')", name="ck_reserve_settings_year_end_known"),
        sa.CheckConstraint(
            "grace_days >= 0 AND grace_days <= 90", name="ck_reserve_settings_grace_days_range"
        ),
        sa.PrimaryKeyConstraint("county_code", "effective_from", name="pk_reserve_settings"),
        schema=S,
    )
    op.create_table(
        "reserve_reports",
        sa.Column("id", UUID, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("opening", MONEY, nullable=False),
        sa.Column("closing", MONEY, nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("first_submitted_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reserve_reports"),
        sa.UniqueConstraint("township_code", "period", name="uq_reserve_reports_township_code_period"),
        schema=S,
    )
    op.create_index("ix_reserve_reports_county_year", "reserve_reports", ["county_code", "year"], schema=S)
    op.create_table(
        "reserve_report_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("report_id", UUID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reserve_report_events"),
        schema=S,
    )
    op.create_index("ix_reserve_report_events_report_id", "reserve_report_events", ["report_id"], schema=S)
    op.create_table(
        "reserve_top_ups",
        sa.Column("id", UUID, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_reserve_top_ups_amount_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_reserve_top_ups"),
        schema=S,
    )
    op.create_index(
        "ix_reserve_top_ups_township_year", "reserve_top_ups", ["township_code", "year"], schema=S
    )
    op.create_table(
        "reserve_settlements",
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("policy", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("carried_in_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("settled_by", sa.String(length=100), nullable=False),
        sa.Column("settled_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("township_code", "year", name="pk_reserve_settlements"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("reserve_settlements", schema=S)
    op.drop_index("ix_reserve_top_ups_township_year", table_name="reserve_top_ups", schema=S)
    op.drop_table("reserve_top_ups", schema=S)
    op.drop_index("ix_reserve_report_events_report_id", table_name="reserve_report_events", schema=S)
    op.drop_table("reserve_report_events", schema=S)
    op.drop_index("ix_reserve_reports_county_year", table_name="reserve_reports", schema=S)
    op.drop_table("reserve_reports", schema=S)
    op.drop_table("reserve_settings", schema=S)
    op.drop_column("beneficiaries", "category", schema=S)
