"""Assessment's schema: effective-dated county policies and frozen assessments."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables

metadata = service_metadata("assessment")
add_messaging_tables(metadata)

policies = Table(
    "policies",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("parameters", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", String(100), nullable=False, server_default="seed"),
    Index("ix_policies_county_from", "county_code", "effective_from"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("inputs", JSONB, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("application_revision", Integer, nullable=False),
    Column("raise_decision", JSONB),
    Column("recorded_by", String(100)),
    UniqueConstraint("case_id", "revision"),
    Index(
        "uq_assessments_application_revision",
        "case_id",
        "application_revision",
        unique=True,
        postgresql_where=text("raise_decision IS NULL"),
    ),
)
"""``revision`` is the assessment's own revision per case (what approval orders by); each pins the frozen
application revision it assessed and the policy version it used. Rows are never updated."""

decided_cases = Table(
    "decided_cases",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("decision", String(20), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
"""Cases approval has decided (from its CaseDecided events): a raise on one is refused (R-AMT-4)."""
