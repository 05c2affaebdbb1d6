"""R-OVS-1: the county's indicator targets per year, and the findings and actions the scorecards led to

Revision ID: approval_budget_scorecards
Revises: approval_budget
"""

import sqlalchemy as sa
from alembic import op

revision = "approval_budget_scorecards"
down_revision = "approval_budget"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecard_targets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("target", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_targets")),
        sa.UniqueConstraint(
            "county_code", "year", "indicator", name=op.f("uq_scorecard_targets_county_code_year_indicator")
        ),
        schema="approval",
    )
    op.create_table(
        "scorecard_findings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=True),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_findings")),
        schema="approval",
    )
    op.create_index(
        "ix_scorecard_findings_place",
        "scorecard_findings",
        ["county_code", "year", "township_code"],
        unique=False,
        schema="approval",
    )


def downgrade() -> None:
    op.drop_index("ix_scorecard_findings_place", table_name="scorecard_findings", schema="approval")
    op.drop_table("scorecard_findings", schema="approval")
    op.drop_table("scorecard_targets", schema="approval")
