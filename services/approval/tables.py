"""Approval's schema: cases as assessed, recorded review and approval steps, townships' delegated limits,
help-first grants with their paperwork clock, and working-day calendars."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables

metadata = service_metadata("approval")
add_messaging_tables(metadata)

cases = Table(
    "cases",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("category", String(32), nullable=False),
    Column("subtype", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("assessed_amount", Numeric(14, 2), nullable=False),
    Column("months", Integer, nullable=False),
    Column("household_size", Integer, nullable=False),
    Column("needs", JSONB, nullable=False),
    Column("assessment", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("submitted_at", DateTime(timezone=True)),
    # submitted_at: when intake received it (CaseAssessed.submitted_at), for time to decision (R-OVS-2).
    Index("ix_cases_status_created", "status", "created_at", "case_id"),
    Index("ix_cases_township_created", "township_code", "created_at", "case_id"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("step", String(20), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("level", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("reasons", Text, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("stages", JSONB, nullable=False),
    Column("form", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("role", String(20)),
    Column("extended_duration", JSONB),  # R-AMT-2: the county tier the approver confirmed, and who
)

township_limits = Table(
    "township_limits",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("approval_limit", Numeric(14, 2), nullable=False),
    Column("disbursement_limit", Numeric(14, 2), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", String(100)),
    Index("ix_township_limits_lookup", "township_code", "effective_from"),
)

help_first_grants = Table(
    "help_first_grants",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("grant_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("level", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("reasons", Text, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("form", String(20), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("emergency_over_on", Date),
    Column("declared_over_by", String(100)),
    Column("deadline", Date),
    Column("calendar", Text),
    Column("status", String(20), nullable=False),
    Column("overdue_notified_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Index("ix_help_first_grants_open_deadline", "status", "deadline"),
)

calendars = Table(
    "calendars",
    metadata,
    Column("scope", String(10), primary_key=True),
    # scope: 'national' or a county code (that county's amendments)
    Column("year", Integer, primary_key=True),
    Column("holidays", JSONB, nullable=False),
    Column("workdays", JSONB, nullable=False),
    Column("source", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

archive_states = Table(
    "archive_states",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("policy_version", String(60), nullable=False),
    Column("required", JSONB, nullable=False),
    Column("missing", JSONB, nullable=False),
    Column("blocking", JSONB, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("override_items", JSONB),
    Column("override_by", String(100)),
    Column("override_reason", Text),
    Column("override_at", DateTime(timezone=True)),
)
"""R-ARC-1: each case's archive as intake last reported it (ArchiveCompleteness), and a county approver's
recorded override of the items it lacked then (who, why, when, which items)."""
