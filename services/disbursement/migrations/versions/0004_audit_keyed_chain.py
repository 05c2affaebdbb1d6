"""audit log: keyed chain (HMAC, key ids), positions, places, statuses; TRUNCATE refused (shared/audit.py)

Revision ID: 0004
Revises: 0003
"""

from shared.migrations import key_audit_chain, unkey_audit_chain

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    key_audit_chain("disbursement")


def downgrade() -> None:
    unkey_audit_chain("disbursement")
