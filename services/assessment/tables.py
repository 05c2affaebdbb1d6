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
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import service_metadata
from shared.messaging import add_messaging_tables
from shared.retention import add_retention_tables

metadata = service_metadata("assessment")
add_messaging_tables(metadata)
add_retention_tables(metadata)  # R-RET-1/R-RET-2: county periods, dry runs, purges

FIRST_OF_REVISION = "basis = 'application' AND (raise_decision IS NULL OR raise_decision = 'null'::jsonb)"
"""The assessment of an application revision as submitted: not a raise (R-AMT-4), not a re-assessment on
verified figures (R-CAT-3). ``raise_decision`` of such a row is the JSON ``null`` SQLAlchemy writes for
``None`` (or SQL NULL): a bare ``IS NULL`` never matches it. Written out as literal SQL, the same text in
the partial index and in the queries it serves (repository), so the planner can prove the index applies —
also in a generic plan, where a bound parameter in its place would not."""

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
    Column("basis", String(20), nullable=False, server_default="application"),
    UniqueConstraint("case_id", "revision"),
    Index(
        "uq_assessments_first_per_revision",
        "case_id",
        "application_revision",
        unique=True,
        postgresql_where=text(FIRST_OF_REVISION),
    ),
)
"""``revision`` is the assessment's own revision per case (what approval orders by); each pins the frozen
application revision it assessed and the policy version it used. Rows are never updated. ``basis``:
``application`` (as submitted, once per application revision), ``verification`` (re-assessed on a
verification or registry answer, R-CAT-3/R-CAT-4)."""

decided_cases = Table(
    "decided_cases",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("decision", String(20), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
"""Cases approval has decided (from its CaseDecided events): a raise on one is refused (R-AMT-4)."""

verifications = Table(
    "verifications",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("case_id", UUID(as_uuid=False), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("application_revision", Integer, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("township_code", String(9), nullable=False),
    Column("state", String(30), nullable=False),
    Column("members_sealed", Text),
    Column("request_id", String(100)),
    Column("answer_sealed", Text),
    Column("answer_digest", String(64)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(500)),
    Column("hold_reason", String(1000)),
    Column("deadline", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("answered_at", DateTime(timezone=True)),
    UniqueConstraint("case_id", "kind", "application_revision"),
    Index("uq_verifications_request_id", "request_id", unique=True),
    Index("ix_verifications_state_next", "state", "next_attempt_at"),
)
"""One request per case, kind (economic 核对 R-CAT-3, registry status R-CAT-4) and application revision to
another government system. ``members_sealed`` (the ID numbers, intake's ciphertext) and ``answer_sealed``
(the verified figures) are only ever stored encrypted."""

authorisations = Table(
    "authorisations",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
"""The signed authorisation to verify (家庭经济状况核对授权书) on file per case, from intake's events."""

essential_spending = Table(
    "essential_spending",
    metadata,
    Column("case_id", UUID(as_uuid=False), primary_key=True),
    Column("item", String(60), primary_key=True),
    Column("verified_by", String(100)),
    Column("verified_at", DateTime(timezone=True)),
    Column("finding", String(2000)),
)
"""R-CAT-4: the essential-spending checklist of a registry-confirmed priority household, item by item."""
