"""Intake's typed entities and statuses: what the repository returns (never a database row). No personal
data in the clear: ``personal`` is the sealed (encrypted) part of an application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ApplicationStatus(StrEnum):
    """Where a case is in its flow, as intake follows it from the other services' events."""

    held = "held"
    """Flagged as a possible duplicate: waits for a supervisor's review (R-FLOW-5)."""
    submitted = "submitted"
    assessed = "assessed"
    reviewed = "reviewed"
    returned = "returned"
    approved = "approved"
    rejected = "rejected"
    merged = "merged"
    needs_attention = "needs_attention"
    """A service could not process the case (``attention`` says which, why and where it stopped)."""


class Channel(StrEnum):
    walk_in = "walk_in"
    gov_system = "gov_system"
    """Proactive discovery: another government system referred the household (R-OVS-2)."""


class FlagStatus(StrEnum):
    open = "open"
    cleared = "cleared"
    merged = "merged"


@dataclass(frozen=True, slots=True)
class Application:
    """A case as intake holds it: its current revision's facts, the sealed personal part, its status."""

    id: str
    case_no: str
    revision: int
    status: ApplicationStatus
    channel: Channel
    referring_system: str | None
    idempotency_key: str | None
    request_hash: str | None
    county_code: str
    township_code: str
    category: str
    subtype: str
    incident_date: date
    household_size: int
    persons_helped: int
    facts: dict[str, Any]
    consents: dict[str, bool]
    personal: str
    applicant_bidx: str
    merged_into: str | None
    decided_at: datetime | None
    raised: bool
    attention: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @property
    def flow_status(self) -> ApplicationStatus:
        """Where the case is in its flow; a ``needs_attention`` case is where it stopped, so a later event
        (after a replay or an amendment) still moves it on, which also resolves the attention."""
        if self.status is ApplicationStatus.needs_attention and self.attention:
            return ApplicationStatus(self.attention.get("previous_status", ApplicationStatus.submitted))
        return self.status


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of an application, frozen as submitted (an amendment adds one, never edits one)."""

    application_id: str
    revision: int
    category: str
    subtype: str
    incident_date: date
    county_code: str
    township_code: str
    persons_helped: int
    facts: dict[str, Any]
    personal: str
    amended_by: str | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DuplicateFlag:
    """A suspected duplicate (R-FLOW-5); ``matched_*`` place the matched case when the query joined it."""

    id: str
    application_id: str
    matched_application_id: str
    kind: str
    status: FlagStatus
    county_code: str
    township_code: str
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_reason: str | None
    created_at: datetime
    matched_county_code: str | None = None
    matched_township_code: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """An archive item (R-ARC-1); the content itself lives in document storage at ``storage_uri``."""

    id: str
    application_id: str
    kind: str
    media_type: str
    size_bytes: int
    sha256: str
    storage_uri: str
    metadata: dict[str, str]
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CoveragePeriod:
    """One of assessment's county policy versions' periods, as its policy-coverage events announce them."""

    version: str
    county_code: str
    effective_from: date
    effective_to: date | None
    updated_at: datetime | None = None

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class LeadSource(StrEnum):
    """Where a lead of proactive discovery (主动发现, R-OVS-2) comes from."""

    monitoring_platform = "monitoring_platform"
    """低收入人口动态监测平台: the low-income population monitoring platform's alert."""
    hotline_12345 = "hotline_12345"
    """A 12345 government hotline transfer."""
    grid_worker = "grid_worker"
    """网格员: a community grid worker's report."""
    hospital = "hospital"
    school = "school"
    township_officer = "township_officer"
    """A township officer recorded it (a visit, a neighbour's word)."""


class LeadUrgency(StrEnum):
    emergency = "emergency"
    """Basic living suddenly disrupted (R-CAT-1): the shorter response target."""
    normal = "normal"


class LeadStatus(StrEnum):
    open = "open"
    """A visit task of the township, waiting for first contact."""
    contacted = "contacted"
    """First contact made (a visit or a call); an application or a closing follows."""
    converted = "converted"
    """It became an application (``application_id``)."""
    closed = "closed"
    """Closed with a reason (no need found, already helped, moved away, ...)."""


@dataclass(frozen=True, slots=True)
class Lead:
    """A lead (线索) about a household that may need help: a visit task of its township with a response-time
    target (R-OVS-2). ``personal`` (name, ID number, phone, address, what was reported) is sealed."""

    id: str
    source: LeadSource
    reported_by: str
    source_ref: str | None
    county_code: str
    township_code: str
    urgency: LeadUrgency
    category: str | None
    subtype: str | None
    personal: str
    person_bidx: str | None
    status: LeadStatus
    target_version: str
    response_hours: int
    received_at: datetime
    due_at: datetime
    assigned_to: str | None
    assigned_at: datetime | None
    first_contact_at: datetime | None
    contacted_by: str | None
    contact_note: str | None
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
    application_id: str | None
    converted_at: datetime | None
    overdue_notified_at: datetime | None
    created_at: datetime
    updated_at: datetime
    case_id: str | None = None
    """The case id reserved for the lead's application (R-FLOW-2 with R-OVS-2); None for a lead recorded
    before reservations."""
    scene_help_grant_id: str | None = None
    scene_help_amount: Decimal | None = None
    scene_help_granted_at: datetime | None = None
    """Help first granted at the scene by approval (HelpFirstGranted on the lead, R-FLOW-2)."""
    paperwork_deadline: date | None = None
    paperwork_overdue_at: datetime | None = None
    """Approval announced the scene help's paperwork overdue (PaperworkOverdue, the application missing)."""
    reopened_at: datetime | None = None
    """Closed, then help was granted at the scene before approval learned of the closing: open again, for
    the application that must follow (R-FLOW-2); the closing stays on record."""


@dataclass(frozen=True, slots=True)
class LeadSourceCounts:
    """R-OVS-2 figures of one source: leads received, and what became of them."""

    source: str
    received: int
    contacted: int
    converted: int
    closed: int
    overdue: int
    contacted_late: int


@dataclass(frozen=True, slots=True)
class LeadFigures:
    """R-OVS-2 figures: counts by source; the time from receipt to first contact (``percentile_cont``)."""

    by_source: list[LeadSourceCounts]
    measured: int
    median: timedelta | None
    p90: timedelta | None


class VisitStatus(StrEnum):
    """A home-visit report (入户调查) is the archive item only once both visitors signed it."""

    awaiting_confirmation = "awaiting_confirmation"
    """Recorded by the first visitor; waits for the second one's confirmation (signature)."""
    confirmed = "confirmed"


@dataclass(frozen=True, slots=True)
class HomeVisit:
    """R-ARC-1: one home-visit report. ``report`` is sealed (findings and living conditions are personal
    data); the two visitors are distinct named officers (token subjects), each signing by their own call."""

    id: str
    application_id: str
    visited_on: date
    first_visitor: str
    second_visitor: str
    report: str
    photo_document_ids: list[str]
    status: VisitStatus
    recorded_at: datetime
    confirmed_at: datetime | None
    document_id: str | None


@dataclass(frozen=True, slots=True)
class CaseStep:
    """A review (审核) or approval (审批) opinion as approval published it."""

    id: int
    application_id: str
    step: str
    opinion: str
    level: str
    actor: str | None
    reasons: str | None
    amount: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class SchemeReferralEvent:
    """A referral of the case to a government scheme as referral published it (R-AID-1): ``kind``
    scheme_referral (created, with ``due_on``), scheme_overdue, or scheme_outcome (``status`` accepted,
    applied, granted with ``amount``, refused with ``reason``)."""

    id: int
    application_id: str
    event_id: str
    kind: str
    scheme_referral_id: str
    scheme: str
    need_type: str
    status: str
    amount: Decimal | None
    reason: str | None
    due_on: date | None
    at: datetime


class CorrectionField(StrEnum):
    """What a person may ask to correct (PIPL art. 46): their name (or a member's), the phone, the address,
    the payee's name, bank or account. The ID number is the person's identity, not a field: a wrong one is a
    new application."""

    name = "name"
    phone = "phone"
    address = "address"
    payee_name = "payee_name"
    payee_bank = "payee_bank"
    payee_account = "payee_account"


class CorrectionStatus(StrEnum):
    requested = "requested"
    applied = "applied"
    refused = "refused"


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction request; ``value_sealed`` holds the corrected value, only encrypted."""

    id: str
    application_id: str
    county_code: str
    township_code: str
    field: CorrectionField
    member_seq: int | None
    value_sealed: str
    reason: str
    requested_by: str
    requested_at: datetime
    status: CorrectionStatus
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_reason: str | None
    applied_revision: int | None
