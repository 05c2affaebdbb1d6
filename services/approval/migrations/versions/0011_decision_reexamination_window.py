"""the re-examination window each decision was made under (R-REX-1): the figure its letter states and the
one a request is checked against

Revision ID: approval_letters
Revises: approval_visit
"""

import sqlalchemy as sa
from alembic import op

revision = "approval_letters"
down_revision = "approval_visit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "decisions", sa.Column("reexamination_window_days", sa.Integer(), nullable=True), schema="approval"
    )


def downgrade() -> None:
    op.drop_column("decisions", "reexamination_window_days", schema="approval")
