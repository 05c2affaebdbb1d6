"""Referral's schema: what it knows of each case (consents, decision), the needs records it shared, the
partner registry, the offers to partners (FHIR Tasks), each partner's event feed and webhook deliveries."""

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
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables
from shared.retention import add_retention_tables

metadata = service_metadata("referral")
add_messaging_tables(metadata)
add_retention_tables(metadata)  # R-RET-1/R-RET-2: county periods, dry runs, purges

cases = Table(
    "cases",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("case_ref", String(32), nullable=False, unique=True),
    Column("county_code", String(6)),
    Column("township_code", String(9)),
    Column("household_size", Integer),
    Column("consents", JSONB),
    Column("decision", JSONB),
    Column("stated_needs", JSONB),
    # The structured needs assessment from intake (R-AID-1); null before it arrived.
    Column("months", Integer),
    # The months of the latest assessment (the 低保 suggestion rule).
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

needs_records = Table(
    "needs_records",
    metadata,
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
    Column("match_state", String(20), nullable=False, server_default="unmatched"),
    # unmatched (waiting for a partner) | offered | accepted | fulfilled | closed (withdrawn).
    UniqueConstraint("case_id", "need_type"),
    Index("ix_needs_records_published", "published_at", "id"),
    Index("ix_needs_records_unmatched", "published_at", postgresql_where="match_state = 'unmatched'"),
)

partners = Table(
    "partners",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("description", Text),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column("website", String(300)),
    Column("need_types", ARRAY(String(20)), nullable=False),
    Column("service_areas", ARRAY(String(9)), nullable=False),
    Column("status", String(20), nullable=False),
    Column("api_key_hash", String(64), nullable=False, unique=True),
    Column("webhook_url", String(500)),
    Column("webhook_secret", Text),
    # Encrypted (``whsec_…``); shown once at registration.
    Column("kafka_topic", String(10), nullable=False, server_default="shared"),
    Column("uscc", String(18)),
    # 统一社会信用代码 (GB 32100-2015), checked at registration; null for partners registered before it.
    Column("scheme", String(30)),
    # A government scheme's kind (medical_assistance, dibao_tekun, ...); null for other partners.
    # shared: the shared partner topic keyed by partner | own: ``<prefix>.referral.partner.<id>.v1``.
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("record_id", UUID(as_uuid=False), nullable=False),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_reason", String(500)),
    Column("offered_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("responded_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Column("fulfilled_amount", Numeric(14, 2)),
    Column("fulfilled_form", String(20)),
    Column("requested_amount", Numeric(14, 2)),
    Column("project_id", UUID(as_uuid=False)),
    # The charity project the offer was made through (null: a partner without projects).
    # What this offer asked for: the record's amount still uncovered when offered (less after a
    # part-fulfilment).
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("record_id", "partner_id"),
    Index("ix_tasks_case_id", "case_id"),
    Index("ix_tasks_partner_id", "partner_id", "offered_at"),
    Index("ix_tasks_requested", "expires_at", postgresql_where="status = 'requested'"),
    Index(
        "ix_tasks_open_by_partner",
        "partner_id",
        postgresql_where="status IN ('requested', 'accepted', 'in-progress')",
    ),
)

partner_events = Table(
    "partner_events",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    # The feed cursor.
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("record_id", UUID(as_uuid=False), nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("hidden", Boolean, nullable=False, server_default="false"),
    # Set when consent is withdrawn: the feed stops showing the record's data.
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_partner_events_feed", "partner_id", "seq"),
    Index("ix_partner_events_record", "record_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    # Also the ``webhook-id`` header: the same on every attempt, so receivers deduplicate by it.
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("record_id", UUID(as_uuid=False), nullable=False),
    Column("status", String(20), nullable=False),
    # pending | delivered | dead_letter | cancelled.
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_status", Integer),
    Column("last_error", String(500)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    Index("ix_webhook_deliveries_partner", "partner_id", "id"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("name", String(200), nullable=False),
    Column("need_types", ARRAY(String(20)), nullable=False),
    Column("areas", ARRAY(String(9)), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("places_held", Integer, nullable=False, server_default="0"),
    # Open offers (requested) made through the project: held until answered.
    Column("places_taken", Integer, nullable=False, server_default="0"),
    # Accepted offers: taken on acceptance, freed when an accepted task is cancelled.
    Column("budget", Numeric(14, 2), nullable=False),
    Column("budget_committed", Numeric(14, 2), nullable=False, server_default="0"),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("eligibility", JSONB, nullable=False),
    Column("status", String(20), nullable=False),
    # open | closed
    Column("closed_reason", String(20)),
    # full | ended | budget_spent | withdrawn
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_projects_partner", "partner_id", "seq"),
    Index("ix_projects_open", "ends_on", postgresql_where="status = 'open'"),
)

scheme_referrals = Table(
    "scheme_referrals",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("scheme", String(30), nullable=False),
    Column("need_type", String(20), nullable=False),
    Column("requested_amount", Numeric(14, 2)),
    Column("status", String(20), nullable=False),
    # open | accepted | applied | granted | refused
    Column("due_on", Date, nullable=False),
    Column("outcome_amount", Numeric(14, 2)),
    Column("outcome_reason", String(500)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("outcome_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("overdue_at", DateTime(timezone=True)),
    # When the sweep found it past its due date without a final outcome (published once, R-AID-1).
    UniqueConstraint("case_id", "partner_id", "need_type"),
    Index("ix_scheme_referrals_case", "case_id"),
    Index(
        "ix_scheme_referrals_due",
        "due_on",
        postgresql_where="status IN ('open', 'accepted', 'applied')",
    ),
)

scheme_suggestions = Table(
    "scheme_suggestions",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("scheme", String(30), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    # open | referred
    Column("referral_id", UUID(as_uuid=False)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "scheme"),
    Index("ix_scheme_suggestions_open", "county_code", "created_at", postgresql_where="status = 'open'"),
)

partner_contracts = Table(
    "partner_contracts",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("procurement_ref", String(60), nullable=False),
    # 招投标编号: the tender or procurement reference (R-AID-3, R-CHA-3).
    Column("title", String(200), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("budget", Numeric(14, 2), nullable=False),
    Column("targets", JSONB, nullable=False),
    # [{"need_type": ..., "volume": n}]: the help the partner is to give per need type in the period.
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("county_code", "procurement_ref"),
    Index("ix_partner_contracts_partner", "partner_id", "county_code", "starts_on"),
)

contract_amendments = Table(
    "contract_amendments",
    metadata,
    # R-CHA-3: an effective-dated revision of a contract's terms, never an overwrite of partner_contracts.
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("contract_id", UUID(as_uuid=False), nullable=False),
    Column("revision", Integer, nullable=False),
    # 1, 2, ... per contract; effective dates never go back, so the order of revisions is the order in force.
    Column("effective_on", Date, nullable=False),
    Column("budget", Numeric(14, 2), nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("targets", JSONB, nullable=False),
    # The full terms from effective_on on; ``changes``: {field: {"from": old, "to": new}} of what changed.
    Column("changes", JSONB, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("amended_by", String(100), nullable=False),
    Column("amended_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("contract_id", "revision"),
)

contract_cancellations = Table(
    "contract_cancellations",
    metadata,
    # R-CHA-3: an early termination; the contract counts nothing from effective_on on.
    Column("contract_id", UUID(as_uuid=False), primary_key=True),
    Column("effective_on", Date, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("cancelled_by", String(100), nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=False),
)

partner_rewards = Table(
    "partner_rewards",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("partner_id", UUID(as_uuid=False), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("kind", String(20), nullable=False),
    # commendation (表彰) | reward (奖励) | subsidy (扶持资金) | publicity (宣传推介)
    Column("awarded_on", Date, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("amount", Numeric(14, 2)),
    Column("ranking_from", Date),
    Column("ranking_to", Date),
    # The published ranking period the reward answers (both or neither).
    Column("awarded_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_partner_rewards_partner", "partner_id", "awarded_on"),
)
