"""audit log: hash-chained, append-only (shared/audit.py)

Revision ID: 0004
Revises: 0003
"""

from shared.migrations import create_audit_log, drop_audit_log

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log("referral")


def downgrade() -> None:
    drop_audit_log("referral")
