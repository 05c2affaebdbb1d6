"""The tables every service keeps for reliable messaging: outbox, inbox and dead letters.

They live in the service's own schema (added to its metadata by ``add_messaging_tables``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB


def add_messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(200)),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "id", postgresql_where="published_at IS NULL"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    dead_letter = Table(
        "dead_letter",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", String(64)),
        Column("event_type", String(200)),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", String(200)),
        Column("value", Text, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("replayed_at", DateTime(timezone=True)),
    )
    from shared.audit import add_audit_table

    add_audit_table(metadata)  # every service also keeps its audit chain (shared/audit.py)
    return outbox, inbox, dead_letter
