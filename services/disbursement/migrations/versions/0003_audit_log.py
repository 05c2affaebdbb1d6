"""audit log: hash-chained, append-only (shared/audit.py)

Revision ID: 0003
Revises: 0002
"""

from shared.migrations import create_audit_log, drop_audit_log

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log("disbursement")


def downgrade() -> None:
    drop_audit_log("disbursement")
