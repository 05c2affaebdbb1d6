"""Intake's schema. Personal data (names, ID numbers, phone, address, incident text, payee) is stored only
encrypted (``personal``); ``id_bidx`` is a keyed blind index for duplicate and repeat checks."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables
from shared.retention import add_retention_tables

metadata = service_metadata("intake")
add_messaging_tables(metadata)
add_retention_tables(metadata)  # R-RET-1/R-RET-2: county periods, dry runs, purges

case_no_seq = Sequence("case_no_seq", metadata=metadata)

applications = Table(
    "applications",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_no", String(32), nullable=False, unique=True),
    Column("revision", Integer, nullable=False, server_default="1"),
    Column("status", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("referring_system", String(100)),
    Column("idempotency_key", String(200), unique=True),
    Column("request_hash", String(64)),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("category", String(32), nullable=False),
    Column("subtype", String(32), nullable=False),
    Column("incident_date", Date, nullable=False),
    Column("household_size", Integer, nullable=False),
    Column("persons_helped", Integer, nullable=False),
    Column("facts", JSONB, nullable=False),
    Column("consents", JSONB, nullable=False),
    Column("personal", Text, nullable=False),
    Column("applicant_bidx", String(64), nullable=False),
    Column("merged_into", UUID(as_uuid=False)),
    Column("decided_at", DateTime(timezone=True)),
    Column("raised", Boolean, nullable=False, server_default="false"),
    Column("attention", JSONB),  # needs_attention: which service could not process the case, why, when
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_applications_list", "created_at", "id"),
    Index("ix_applications_county_created", "county_code", "created_at", "id"),
    Index("ix_applications_township_created", "township_code", "created_at", "id"),
    Index("ix_applications_applicant", "applicant_bidx"),
    Index("ix_applications_status_created", "status", "created_at", "id"),
)

members = Table(
    "members",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("relation", String(20), nullable=False),
    Column("id_bidx", String(64), nullable=False),
    Column("dibao", Boolean, nullable=False),
    Column("tekun", Boolean, nullable=False),
    Column("jiandang", Boolean, nullable=False),
    Index("ix_members_id_bidx", "id_bidx"),
    Index("ix_members_application", "application_id"),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("consent", String(40), nullable=False),
    Column("action", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

application_revisions = Table(
    "application_revisions",
    metadata,
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("category", String(32), nullable=False),
    Column("subtype", String(32), nullable=False),
    Column("incident_date", Date, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("persons_helped", Integer, nullable=False),
    Column("facts", JSONB, nullable=False),
    Column("personal", Text, nullable=False),
    Column("amended_by", String(100)),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
"""Every revision of an application, frozen as submitted (an amendment adds one, never edits one)."""

duplicate_flags = Table(
    "duplicate_flags",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column(
        "matched_application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False
    ),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("resolved_by", String(100)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_duplicate_flags_list", "created_at", "id"),
    Index("ix_duplicate_flags_application", "application_id"),
    Index("ix_duplicate_flags_status_created", "status", "created_at", "id"),
)
"""Suspected duplicates: open until a supervisor clears them or merges the case (then kept, searchable)."""

documents = Table(
    "documents",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_uri", String(1000), nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("application_id", "kind", "sha256"),
    Index("ix_documents_application", "application_id"),
)
"""R-ARC-1: the case archive; the content itself lives in document storage, addressed by ``storage_uri``."""

policy_coverage = Table(
    "policy_coverage",
    metadata,
    Column("version", String(60), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_policy_coverage_county", "county_code", "effective_from"),
)
"""Assessment's county policies' periods, kept from its policy-coverage events: intake refuses an incident
date that no policy of the county covers (nobody would assess the case)."""

leads = Table(
    "leads",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("reported_by", String(100), nullable=False),
    Column("source_ref", String(100)),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("category", String(32)),
    Column("subtype", String(32)),
    Column("personal", Text, nullable=False),
    Column("person_bidx", String(64)),
    Column("status", String(16), nullable=False),
    Column("target_version", String(60), nullable=False),
    Column("response_hours", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("assigned_to", String(100)),
    Column("assigned_at", DateTime(timezone=True)),
    Column("first_contact_at", DateTime(timezone=True)),
    Column("contacted_by", String(100)),
    Column("contact_note", Text),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(100)),
    Column("close_reason", Text),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id")),
    Column("converted_at", DateTime(timezone=True)),
    Column("overdue_notified_at", DateTime(timezone=True)),  # LeadOverdue announced (once)
    # R-FLOW-2 with R-OVS-2: the case id the lead's application takes (reserved at receipt, announced in
    # LeadOpened), help granted at the scene (HelpFirstGranted) and its paperwork falling overdue
    Column("case_id", UUID(as_uuid=False), unique=True),
    Column("scene_help_grant_id", UUID(as_uuid=False)),
    Column("scene_help_amount", Numeric(14, 2)),
    Column("scene_help_granted_at", DateTime(timezone=True)),
    Column("paperwork_deadline", Date),
    Column("paperwork_overdue_at", DateTime(timezone=True)),
    # a closing that help at the scene overtook (granted before approval learned of the closing)
    Column("reopened_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("reported_by", "source_ref"),
    Index("ix_leads_township_received", "township_code", "received_at", "id"),
    Index("ix_leads_county_received", "county_code", "received_at", "id"),
    Index("ix_leads_status_due", "status", "due_at"),
    Index("ix_leads_application", "application_id"),
)
"""R-OVS-2 proactive discovery: leads from other systems (or a township officer), each a visit task of its
township with a response-time target; ``personal`` is sealed like an application's. A second report of the
same ``source_ref`` by the same reporter is the same lead."""
home_visits = Table(
    "home_visits",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("visited_on", Date, nullable=False),
    Column("first_visitor", String(100), nullable=False),
    Column("second_visitor", String(100), nullable=False),
    Column("report", Text, nullable=False),
    Column("photo_document_ids", JSONB, nullable=False),
    Column("status", String(32), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("document_id", UUID(as_uuid=False), ForeignKey("intake.documents.id")),
    Index("ix_home_visits_application", "application_id"),
)
"""R-ARC-1: home-visit (入户调查) reports; ``report`` (findings, living conditions) only encrypted. Once the
second visitor confirmed it, ``document_id`` names its archive item (kind ``home_visit_report``)."""

case_steps = Table(
    "case_steps",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("step", String(20), nullable=False),
    Column("opinion", String(20), nullable=False),
    Column("level", String(20), nullable=False),
    Column("actor", String(100)),
    Column("reasons", Text),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_case_steps_application", "application_id"),
)
"""The review (审核) and approval (审批) opinions as approval published them, for the case's forms
(R-ARC-1)."""

scheme_referral_events = Table(
    "scheme_referral_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    # scheme_referral | scheme_overdue | scheme_outcome
    Column("scheme_referral_id", UUID(as_uuid=False), nullable=False),
    Column("scheme", String(30), nullable=False),
    Column("need_type", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("amount", Numeric(14, 2)),
    Column("reason", String(500)),
    Column("due_on", Date),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_scheme_referral_events_application", "application_id", "at"),
)
"""The case's referrals to government schemes as referral published them, for its timeline (R-AID-1)."""
corrections = Table(
    "corrections",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("application_id", UUID(as_uuid=False), ForeignKey("intake.applications.id"), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("field", String(30), nullable=False),
    Column("member_seq", Integer),
    Column("value_sealed", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reviewed_by", String(100)),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("review_reason", Text),
    Column("applied_revision", Integer),
    Index("ix_corrections_application", "application_id"),
)
"""A person's request to correct their data (PIPL art. 46): the field, the corrected value (only encrypted),
why and who asked; a second officer applies it as an amendment (a new revision) or refuses it with a
reason."""
