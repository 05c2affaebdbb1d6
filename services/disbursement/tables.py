"""Disbursement's schema: beneficiaries (payee encrypted), decisions as received, payment instructions."""

from sqlalchemy import Column, Date, DateTime, Index, Integer, Numeric, String, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables

metadata = service_metadata("disbursement")
add_messaging_tables(metadata)

beneficiaries = Table(
    "beneficiaries", metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("payee", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

approved_cases = Table(
    "approved_cases", metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("form", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("stages", JSONB, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

payment_instructions = Table(
    "payment_instructions", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("stage", Integer, nullable=False),
    Column("reference", String(64), nullable=False, unique=True),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("payee", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("case_id", "stage"),
    Index("ix_payment_instructions_status_created", "status", "created_at"),
)
