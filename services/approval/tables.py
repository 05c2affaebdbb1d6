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
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables
from shared.retention import add_retention_tables

metadata = service_metadata("approval")
add_messaging_tables(metadata)
add_retention_tables(metadata)  # R-RET-1/R-RET-2: county periods, dry runs, purges

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
    Column("reexamination_window_days", Integer),  # R-REX-1: the window in force when decided (approval step)
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
    Column("lead_id", UUID(as_uuid=False), unique=True),
    # lead_id: help at the scene (R-FLOW-2 with R-OVS-2), granted on the lead before its application existed
    Index("ix_help_first_grants_open_deadline", "status", "deadline"),
)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("source", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("category", String(32)),
    Column("subtype", String(32)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("closed_at", DateTime(timezone=True)),
)
"""R-OVS-2 with R-FLOW-2: the leads intake announced (LeadOpened; codes only, no personal data), each with
the case id reserved for its application, so a township may grant help at the scene; ``closed_at`` once
intake closed the lead without an application (LeadClosed): no help at the scene from then on."""

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

reexamination_policies = Table(
    "reexamination_policies",
    metadata,
    # R-REX-1, R-REX-4: a county's effective-dated windows and deadlines (days), set by its policy admin.
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("request_window_days", Integer, nullable=False),
    Column("decision_days", Integer, nullable=False),
    Column("complaint_days", Integer, nullable=False),
    Column("actor", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_reexamination_policies_lookup", "county_code", "effective_from"),
)

reexaminations = Table(
    "reexaminations",
    metadata,
    # R-REX-1..3: a re-examination (复核) of a decided case, and its outcome.
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("ground", String(20), nullable=False),
    Column("grounds_text", Text, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("notice_on", Date, nullable=False),
    Column("window_closes_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("decision_before", String(20), nullable=False),
    Column("amount_before", Numeric(14, 2), nullable=False),
    Column("level_before", String(20), nullable=False),
    Column("decision_after", String(20)),
    Column("amount_after", Numeric(14, 2)),
    Column("difference", Numeric(14, 2)),
    Column("not_recovered", Numeric(14, 2)),
    Column("level", String(20)),
    Column("decided_by", String(100)),
    Column("reasons", Text),
    Column("decided_at", DateTime(timezone=True)),
    Index("uq_reexaminations_case_seq", "case_id", "seq", unique=True),
    Index(
        "uq_reexaminations_one_open",
        "case_id",
        unique=True,
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_reexaminations_status_deadline", "status", "deadline"),
)

complaints = Table(
    "complaints",
    metadata,
    # R-REX-4: a complaint about handling (delay, conduct) is a ticket with a deadline, linked to the case.
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("topic", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("filed_by", String(100), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("assigned_to", String(100)),
    Column("assigned_by", String(100)),
    Column("assigned_at", DateTime(timezone=True)),
    Column("answer", Text),
    Column("answered_by", String(100)),
    Column("answered_at", DateTime(timezone=True)),
    Column("closed_by", String(100)),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_complaints_status_deadline", "status", "deadline"),
)

# --- budgets (R-OVS-3): envelopes per county, year and funding source; commitments; the trace ---

budget_envelopes = Table(
    "budget_envelopes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("source", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("committed", Numeric(14, 2), nullable=False, server_default="0"),
    Column("spent", Numeric(14, 2), nullable=False, server_default="0"),
    Column("actor", String(100)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("county_code", "year", "source"),
)

budget_commitments = Table(
    "budget_commitments",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False, index=True),
    Column("envelope_id", BigInteger, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("spent", Numeric(14, 2), nullable=False, server_default="0"),
    Column("released", Numeric(14, 2), nullable=False, server_default="0"),
    Column("overrun", Numeric(14, 2), nullable=False, server_default="0"),
    Column("actor", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

budget_movements = Table(
    "budget_movements",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("envelope_id", BigInteger),
    Column("commitment_id", BigInteger),
    Column("case_id", UUID(as_uuid=False)),
    Column("kind", String(20), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("instruction_id", UUID(as_uuid=False)),
    Column("actor", String(100)),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_budget_movements_envelope", "envelope_id", "id"),
)

budget_policies = Table(
    "budget_policies",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("source_order", JSONB, nullable=False),
    Column("by_category", JSONB, nullable=False),
    Column("over_envelope", String(20), nullable=False),
    Column("actor", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_budget_policies_lookup", "county_code", "effective_from"),
)

# --- supervision (R-OVS-1): the county's indicator targets per year, and how the results were used ---

scorecard_targets = Table(
    "scorecard_targets",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("indicator", String(40), nullable=False),
    Column("target", Numeric(10, 4), nullable=False),
    Column("actor", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("county_code", "year", "indicator"),
)

scorecard_findings = Table(
    "scorecard_findings",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("year", Integer, nullable=False),
    Column("indicator", String(40)),
    Column("finding", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("follow_up_on", Date, nullable=False),
    Column("actor", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_scorecard_findings_place", "county_code", "year", "township_code"),
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
