"""the case's scheme referral events, for its timeline (R-AID-1)

Frozen DDL (issue 18): each referral of the case to a government scheme as referral published it — created
(with its due date), overdue, and its outcome (accepted, applied, granted with the amount, refused with the
reason) — once per event.

Revision ID: intake_contracts
Revises: intake_pipl
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "intake_contracts"
down_revision = "intake_pipl"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_referral_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", UUID(as_uuid=False), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scheme_referral_id", UUID(as_uuid=False), nullable=False),
        sa.Column("scheme", sa.String(length=30), nullable=False),
        sa.Column("need_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intake.applications.id"],
            name=op.f("fk_scheme_referral_events_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_referral_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_scheme_referral_events_event_id")),
        schema="intake",
    )
    op.create_index(
        "ix_scheme_referral_events_application",
        "scheme_referral_events",
        ["application_id", "at"],
        schema="intake",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_scheme_referral_events_application", table_name="scheme_referral_events", schema="intake"
    )
    op.drop_table("scheme_referral_events", schema="intake")
