"""Referral's schema: what it knows of each case (consents, decision) and the needs records it shared."""

from sqlalchemy import Column, DateTime, Index, Integer, Numeric, String, Table, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables

metadata = service_metadata("referral")
add_messaging_tables(metadata)

cases = Table(
    "cases", metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("case_ref", String(32), nullable=False, unique=True),
    Column("county_code", String(6)),
    Column("township_code", String(9)),
    Column("household_size", Integer),
    Column("consents", JSONB),
    Column("decision", JSONB),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

needs_records = Table(
    "needs_records", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("case_ref", String(32), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("need_type", String(20), nullable=False),
    Column("remaining_amount", Numeric(14, 2), nullable=False),
    Column("household_size", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    UniqueConstraint("case_id", "need_type"),
    Index("ix_needs_records_published", "published_at", "id"),
)
