"""purchased-service contracts, partner rewards, scheme referrals' overdue mark

Frozen DDL (issue 18 part 4, R-CHA-3; R-AID-1): a county's contracts with partners (政府购买服务: the tender
reference, period, budget and target volumes), the rewards and commendations it gives them (激励扶持), and
the instant a scheme referral was found past its due date without a final outcome.

Revision ID: referral_contracts
Revises: referral_needs
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "referral_contracts"
down_revision = "referral_needs"
branch_labels = None
depends_on = None


def _schema() -> str:
    return str(context.config.attributes.get("schema", "referral"))


def upgrade() -> None:
    schema = _schema()
    op.create_table(
        "partner_contracts",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("procurement_ref", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("targets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_contracts")),
        sa.UniqueConstraint(
            "county_code", "procurement_ref", name=op.f("uq_partner_contracts_county_code_procurement_ref")
        ),
        schema=schema,
    )
    op.create_index(
        "ix_partner_contracts_partner",
        "partner_contracts",
        ["partner_id", "county_code", "starts_on"],
        schema=schema,
    )
    op.create_table(
        "partner_rewards",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2)),
        sa.Column("ranking_from", sa.Date()),
        sa.Column("ranking_to", sa.Date()),
        sa.Column("awarded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_rewards")),
        schema=schema,
    )
    op.create_index(
        "ix_partner_rewards_partner", "partner_rewards", ["partner_id", "awarded_on"], schema=schema
    )
    op.add_column("scheme_referrals", sa.Column("overdue_at", sa.DateTime(timezone=True)), schema=schema)


def downgrade() -> None:
    schema = _schema()
    op.drop_column("scheme_referrals", "overdue_at", schema=schema)
    op.drop_index("ix_partner_rewards_partner", table_name="partner_rewards", schema=schema)
    op.drop_table("partner_rewards", schema=schema)
    op.drop_index("ix_partner_contracts_partner", table_name="partner_contracts", schema=schema)
    op.drop_table("partner_contracts", schema=schema)
