"""The household service's schema: its own view of each case (built from the five services' events), the
notices sent to the household, the government systems subscribed to status pushes and their webhook
deliveries, and the failed status queries per source (rate limit).

Personal data: only the applicant's blind index (never the ID number) and the phone, sealed by intake and
kept as that ciphertext (decrypted only to send a notice)."""

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
from shared.retention import add_retention_tables

metadata = service_metadata("household")
add_messaging_tables(metadata)
add_retention_tables(metadata)  # R-RET-1/R-RET-2: county periods, dry runs, purges

cases = Table(
    "cases",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("case_no", String(40), unique=True),
    Column("applicant_index", String(64)),
    Column("contact_sealed", Text),
    Column("sms_opt_out", Boolean, nullable=False, server_default="false"),
    Column("county_code", String(6)),
    Column("township_code", String(9)),
    Column("category", String(20)),
    Column("subtype", String(30)),
    Column("stage", String(30), nullable=False, server_default="accepted"),
    Column("submitted_at", DateTime(timezone=True)),
    Column("decided_at", DateTime(timezone=True)),
    Column("facts", JSONB, nullable=False, server_default="{}"),
    # what the notices cite: assessment reasons and figures, review reasons, decision, stages, payments
    Column("missing", JSONB, nullable=False, server_default="[]"),
    Column("paid_total", Numeric(14, 2), nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_cases_place", "county_code", "township_code"),
)

notices = Table(
    "notices",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("county_code", String(6)),
    Column("township_code", String(9)),
    Column("facts", JSONB, nullable=False),
    Column("local_date", Date, nullable=False),
    Column("template_version", String(40)),
    Column("sms_text", Text),
    Column("has_letter", Boolean, nullable=False, server_default="false"),
    Column("status", String(20), nullable=False),
    # queued | sending | sent | failed | no_phone | opted_out
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", String(200)),
    Column("gateway_id", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_notices_case", "case_id", "created_at"),
    Index("ix_notices_due", "next_attempt_at", postgresql_where="status = 'queued'"),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("url", String(500), nullable=False),
    Column("secret", Text, nullable=False),
    # encrypted ``whsec_…``; shown once at registration
    Column("county_code", String(6)),
    # only cases of this county (none: the whole city)
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("subscriber_id", UUID(as_uuid=False), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("status", String(20), nullable=False),
    # pending | delivered | dead_letter
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status", Integer),
    Column("last_error", String(200)),
    Column("delivered_at", DateTime(timezone=True)),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
)

query_failures = Table(
    "query_failures",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
)
