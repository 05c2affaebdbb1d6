"""payment attempts and corrections, payee changes, handovers, help first, reserve funds, ledger

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "disbursement"


def upgrade() -> None:
    op.add_column("beneficiaries", sa.Column("case_no", sa.String(length=64), nullable=True), schema=S)
    op.add_column(
        "approved_cases",
        sa.Column(
            "help_first_amount",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        schema=S,
    )
    op.alter_column("payment_instructions", "payee", existing_type=sa.Text(), nullable=True, schema=S)
    for column in (
        sa.Column("kind", sa.String(length=20), server_default="stage", nullable=False),
        sa.Column("form", sa.String(length=20), server_default="cash", nullable=False),
        sa.Column("funding", sa.String(length=20), server_default="budget", nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correction_of", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("fund_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ):
        op.add_column("payment_instructions", column, schema=S)
    op.drop_constraint("uq_payment_instructions_case_id_stage", "payment_instructions", schema=S)
    op.create_index(
        "uq_payment_instructions_case_stage",
        "payment_instructions",
        ["case_id", "stage"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("correction_of IS NULL"),
    )
    op.create_index(
        "ix_payment_instructions_township_paid",
        "payment_instructions",
        ["township_code", "paid_at"],
        schema=S,
    )
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("instruction_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("payee", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
        sa.UniqueConstraint(
            "instruction_id", "attempt", name=op.f("uq_payment_attempts_instruction_id_attempt")
        ),
        schema=S,
    )
    # Never paid twice: at most one paid attempt per instruction.
    op.create_index(
        "uq_payment_attempts_one_paid",
        "payment_attempts",
        ["instruction_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("status = 'paid'"),
    )
    op.create_table(
        "payee_changes",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("old_payee", sa.Text(), nullable=True),
        sa.Column("new_payee", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payee_changes")),
        schema=S,
    )
    op.create_index(op.f("ix_payee_changes_case_id"), "payee_changes", ["case_id"], schema=S)
    op.create_table(
        "help_first_grants",
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("grant_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_help_first_grants")),
        schema=S,
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("instruction_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("procurement_reference", sa.String(length=100), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("handed_over_by", sa.String(length=100), nullable=False),
        sa.Column("witness", sa.String(length=100), nullable=False),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
        sa.UniqueConstraint("instruction_id", name=op.f("uq_handovers_instruction_id")),
        schema=S,
    )
    op.create_table(
        "reserve_funds",
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("proportion", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("previous_year_spending", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("spending_source", sa.String(length=20), nullable=False),
        sa.Column("allocated", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("allocation_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_reserve_funds_balance_not_negative")),
        sa.PrimaryKeyConstraint("township_code", "year", name=op.f("pk_reserve_funds")),
        schema=S,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("fund", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=True),
        sa.Column("case_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("instruction_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("source_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_entries_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        schema=S,
    )
    op.create_index("ix_ledger_entries_township_at", "ledger_entries", ["township_code", "at"], schema=S)
    op.create_index("ix_ledger_entries_case", "ledger_entries", ["case_id"], schema=S)
    # The ledger (工作台账) is append-only: corrections are new entries, never edits (R-OVS-3).
    op.execute(
        'CREATE FUNCTION "disbursement".ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ '
        "BEGIN RAISE EXCEPTION 'the ledger is append-only: % refused', TG_OP; END $$"
    )
    op.execute(
        'CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON "disbursement".ledger_entries '
        'FOR EACH ROW EXECUTE FUNCTION "disbursement".ledger_append_only()'
    )


def downgrade() -> None:
    op.execute('DROP TRIGGER ledger_append_only ON "disbursement".ledger_entries')
    op.execute('DROP FUNCTION "disbursement".ledger_append_only()')
    op.drop_index("ix_ledger_entries_case", table_name="ledger_entries", schema=S)
    op.drop_index("ix_ledger_entries_township_at", table_name="ledger_entries", schema=S)
    op.drop_table("ledger_entries", schema=S)
    op.drop_table("reserve_funds", schema=S)
    op.drop_table("handovers", schema=S)
    op.drop_table("help_first_grants", schema=S)
    op.drop_index(op.f("ix_payee_changes_case_id"), table_name="payee_changes", schema=S)
    op.drop_table("payee_changes", schema=S)
    op.drop_index("uq_payment_attempts_one_paid", table_name="payment_attempts", schema=S)
    op.drop_table("payment_attempts", schema=S)
    op.drop_index("ix_payment_instructions_township_paid", table_name="payment_instructions", schema=S)
    op.drop_index("uq_payment_instructions_case_stage", table_name="payment_instructions", schema=S)
    op.create_unique_constraint(
        "uq_payment_instructions_case_id_stage", "payment_instructions", ["case_id", "stage"], schema=S
    )
    for column in (
        "updated_at",
        "paid_at",
        "status_reason",
        "fund_entry_id",
        "correction_of",
        "attempts",
        "township_code",
        "county_code",
        "funding",
        "form",
        "kind",
    ):
        op.drop_column("payment_instructions", column, schema=S)
    op.alter_column("payment_instructions", "payee", existing_type=sa.Text(), nullable=False, schema=S)
    op.drop_column("approved_cases", "help_first_amount", schema=S)
    op.drop_column("beneficiaries", "case_no", schema=S)
