"""audit log: hash-chained, append-only (shared/audit.py)

Revision ID: 0002
Revises: 0001
"""
from shared.migrations import create_audit_log, drop_audit_log

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log('assessment')


def downgrade() -> None:
    drop_audit_log('assessment')
