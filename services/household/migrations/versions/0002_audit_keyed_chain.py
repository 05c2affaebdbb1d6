"""audit log: keyed chain (HMAC, key ids), positions, places, statuses; TRUNCATE refused (shared/audit.py)

Frozen DDL: entries written before keep their plain SHA-256 chain and get their positions (seq) numbered
here, as the owner, with the append-only trigger lifted for that one statement. Idempotent.

Revision ID: 0002
Revises: 0001
"""

from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    "seq BIGINT",
    "key_id VARCHAR(32)",
    "county_code VARCHAR(12)",
    "township_code VARCHAR(12)",
    "status SMALLINT",
)


def _schema() -> str:
    return str(context.config.attributes.get("schema", "household"))


def upgrade() -> None:
    schema = _schema()
    table = f'"{schema}".audit_log'
    for column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")
    op.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_log_append_only")
    # the schema name comes from the deployment's settings, never from input
    numbered = f"SELECT id, row_number() OVER (ORDER BY id) AS seq FROM {table}"  # noqa: S608
    op.execute(f"UPDATE {table} a SET seq = n.seq FROM ({numbered}) n WHERE a.id = n.id AND a.seq IS NULL")  # noqa: S608
    op.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_log_append_only")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN seq SET NOT NULL")
    op.execute(
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_constraint
                         WHERE conname = 'uq_audit_log_seq' AND conrelid = '{table}'::regclass) THEN
            ALTER TABLE {table} ADD CONSTRAINT uq_audit_log_seq UNIQUE (seq);
          END IF;
        END $$"""  # noqa: S608 - the schema name comes from the deployment's settings
    )
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_audit_log_place ON {table} (county_code, township_code, id)")
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_audit_log_at ON {table} (at)")
    op.execute(
        f"""CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".audit_log_append_only()"""
    )


def downgrade() -> None:
    schema = _schema()
    table = f'"{schema}".audit_log'
    op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_truncate ON {table}")
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS uq_audit_log_seq")
    for index in ("ix_audit_log_at", "ix_audit_log_place"):
        op.execute(f'DROP INDEX IF EXISTS "{schema}".{index}')
    for column in ("status", "township_code", "county_code", "key_id", "seq"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column}")
