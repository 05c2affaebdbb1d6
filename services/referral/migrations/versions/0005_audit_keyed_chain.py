"""audit log: keyed chain (HMAC, key ids), positions, places, statuses; TRUNCATE refused (shared/audit.py)

Revision ID: 0005
Revises: 0004
"""

from shared.migrations import key_audit_chain, unkey_audit_chain

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    key_audit_chain("referral")


def downgrade() -> None:
    unkey_audit_chain("referral")
