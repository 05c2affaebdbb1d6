"""needs for every case, government schemes (USCC, scheme referrals, 低保 suggestions), charity projects

Frozen DDL (issue 18): the case's stated needs and approved months; partners' 统一社会信用代码 and scheme;
an offer's project; the projects, the scheme referrals and the 低保 suggestions.

Revision ID: referral_needs
Revises: 0005
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "referral_needs"
down_revision = "0005"
branch_labels = None
depends_on = None


def _schema() -> str:
    return str(context.config.attributes.get("schema", "referral"))


def upgrade() -> None:
    schema = _schema()
    op.add_column("cases", sa.Column("stated_needs", postgresql.JSONB(astext_type=sa.Text())), schema=schema)
    op.add_column("cases", sa.Column("months", sa.Integer()), schema=schema)
    op.add_column("partners", sa.Column("uscc", sa.String(length=18)), schema=schema)
    op.add_column("partners", sa.Column("scheme", sa.String(length=30)), schema=schema)
    op.add_column("tasks", sa.Column("project_id", sa.UUID(as_uuid=False)), schema=schema)
    op.create_table(
        "projects",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("need_types", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("areas", postgresql.ARRAY(sa.String(length=9)), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("places_held", sa.Integer(), server_default="0", nullable=False),
        sa.Column("places_taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("budget_committed", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("eligibility", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_reason", sa.String(length=20)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("seq", name=op.f("uq_projects_seq")),
        schema=schema,
    )
    op.create_index("ix_projects_partner", "projects", ["partner_id", "seq"], schema=schema)
    op.create_index(
        "ix_projects_open", "projects", ["ends_on"], schema=schema, postgresql_where="status = 'open'"
    )
    op.create_table(
        "scheme_referrals",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("partner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("scheme", sa.String(length=30), nullable=False),
        sa.Column("need_type", sa.String(length=20), nullable=False),
        sa.Column("requested_amount", sa.Numeric(precision=14, scale=2)),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("outcome_amount", sa.Numeric(precision=14, scale=2)),
        sa.Column("outcome_reason", sa.String(length=500)),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_referrals")),
        sa.UniqueConstraint(
            "case_id",
            "partner_id",
            "need_type",
            name=op.f("uq_scheme_referrals_case_id_partner_id_need_type"),
        ),
        schema=schema,
    )
    op.create_index("ix_scheme_referrals_case", "scheme_referrals", ["case_id"], schema=schema)
    op.create_index(
        "ix_scheme_referrals_due",
        "scheme_referrals",
        ["due_on"],
        schema=schema,
        postgresql_where="status IN ('open', 'accepted', 'applied')",
    )
    op.create_table(
        "scheme_suggestions",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("scheme", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.UUID(as_uuid=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_suggestions")),
        sa.UniqueConstraint("case_id", "scheme", name=op.f("uq_scheme_suggestions_case_id_scheme")),
        schema=schema,
    )
    op.create_index(
        "ix_scheme_suggestions_open",
        "scheme_suggestions",
        ["county_code", "created_at"],
        schema=schema,
        postgresql_where="status = 'open'",
    )


def downgrade() -> None:
    schema = _schema()
    op.drop_table("scheme_suggestions", schema=schema)
    op.drop_table("scheme_referrals", schema=schema)
    op.drop_table("projects", schema=schema)
    op.drop_column("tasks", "project_id", schema=schema)
    op.drop_column("partners", "scheme", schema=schema)
    op.drop_column("partners", "uscc", schema=schema)
    op.drop_column("cases", "months", schema=schema)
    op.drop_column("cases", "stated_needs", schema=schema)
