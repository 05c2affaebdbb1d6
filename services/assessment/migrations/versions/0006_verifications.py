"""verification (核对, R-CAT-3) and registry status (R-CAT-4) requests, authorisations on file, the
essential-spending checklist; assessments get a basis (a re-assessment on verified figures is not unique
per application revision)

Revision ID: assessment_verify
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "assessment_verify"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "assessments",
        sa.Column("basis", sa.String(20), server_default="application", nullable=False),
        schema="assessment",
    )
    op.drop_index("uq_assessments_application_revision", table_name="assessments", schema="assessment")
    op.create_index(
        "uq_assessments_application_basis",
        "assessments",
        ["case_id", "application_revision"],
        unique=True,
        schema="assessment",
        postgresql_where=sa.text("raise_decision IS NULL AND basis = 'application'"),
    )
    op.create_table(
        "verifications",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("application_revision", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("township_code", sa.String(9), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("members_sealed", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("answer_sealed", sa.Text(), nullable=True),
        sa.Column("answer_digest", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("hold_reason", sa.String(1000), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
        sa.UniqueConstraint(
            "case_id",
            "kind",
            "application_revision",
            name=op.f("uq_verifications_case_id_kind_application_revision"),
        ),
        schema="assessment",
    )
    op.create_index(
        "uq_verifications_request_id", "verifications", ["request_id"], unique=True, schema="assessment"
    )
    op.create_index(
        "ix_verifications_state_next", "verifications", ["state", "next_attempt_at"], schema="assessment"
    )
    op.create_table(
        "authorisations",
        sa.Column("case_id", UUID(as_uuid=False), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_authorisations")),
        schema="assessment",
    )
    op.create_table(
        "essential_spending",
        sa.Column("case_id", UUID(as_uuid=False), nullable=False),
        sa.Column("item", sa.String(60), nullable=False),
        sa.Column("verified_by", sa.String(100), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finding", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "item", name=op.f("pk_essential_spending")),
        schema="assessment",
    )


def downgrade() -> None:
    op.drop_table("essential_spending", schema="assessment")
    op.drop_table("authorisations", schema="assessment")
    op.drop_index("ix_verifications_state_next", table_name="verifications", schema="assessment")
    op.drop_index("uq_verifications_request_id", table_name="verifications", schema="assessment")
    op.drop_table("verifications", schema="assessment")
    op.drop_index("uq_assessments_application_basis", table_name="assessments", schema="assessment")
    op.create_index(
        "uq_assessments_application_revision",
        "assessments",
        ["case_id", "application_revision"],
        unique=True,
        schema="assessment",
        postgresql_where=sa.text("raise_decision IS NULL"),
    )
    op.drop_column("assessments", "basis", schema="assessment")
