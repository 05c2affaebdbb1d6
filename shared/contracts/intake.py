"""Events published by intake on ``<prefix>.intake.v1`` (key: case id)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.common import Category, NeedType, Subtype
from shared.events import Event, event
from shared.money import Money


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberFacts(_Part):
    """What assessment needs of a member: no name, no ID number."""

    relation: str
    age: int
    dibao: bool = False
    tekun: bool = False
    jiandang: bool = False


class Property(_Part):
    deposits: Money
    vehicles: int
    vehicle_value: Money
    houses: int


class MedicalCosts(_Part):
    total_bills: Money
    basic_insurance: Money
    critical_illness_insurance: Money
    commercial_insurance: Money
    medical_assistance: Money


class EducationCosts(_Part):
    tuition: Money
    accommodation: Money
    living: Money
    non_basic: Money
    education_assistance: Money


class StatedNeed(_Part):
    """One need of the structured needs assessment at intake (R-AID-1, R-CHA-1): its type and, where it
    applies (money needs), the amount in CNY. No free text: partners may see needs, never a narrative."""

    need_type: NeedType
    amount: Money | None = None


class Consents(_Part):
    verify_economic_situation: bool
    share_with_charities: bool
    share_health_data: bool


PAYEE_SEAL_CONTEXT = "gov.assistance.intake.payee"
CONTACT_SEAL_CONTEXT = "gov.assistance.intake.contact"
"""Associated data of ``contact_sealed``: the applicant's phone, read only by the household service to send
notices."""
MEMBERS_SEAL_CONTEXT = "gov.assistance.intake.members"
"""Associated data of ``members_sealed``: the members' ID numbers, read only by assessment to ask the city's
verification system (核对) and the source registries (R-CAT-3, R-CAT-4)."""


class Payee(_Part):
    """Needed by disbursement only: the account the money goes to (socialised channel, R-AID-2)."""

    name: str
    bank: str
    account: str


@event("gov.assistance.intake.application-submitted.v1")
class ApplicationSubmitted(Event):
    case_id: str
    case_no: str
    revision: int
    channel: str
    referring_system: str | None
    county_code: str
    township_code: str
    category: Category
    subtype: Subtype
    incident_date: date
    incident_ongoing: bool
    household: list[MemberFacts]
    persons_helped: int
    requested_months: int | None
    annual_household_income: Money
    property: Property
    medical: MedicalCosts | None
    education: EducationCosts | None
    consents: Consents
    payee: Payee | None = None
    """Never filled by this version: the account travels sealed (``payee_sealed``)."""
    payee_sealed: str | None = None
    """The payee (name, bank, account) as JSON, encrypted with the services' field keys (AES-256-GCM, context
    ``PAYEE_SEAL_CONTEXT``): only a service holding the keys — disbursement — reads it; the broker, the
    outbox and every other consumer see ciphertext."""
    submitted_at: datetime
    applicant_index: str | None = None
    """The applicant's blind index (``FieldCipher.blind_index(id_number, purpose="id_number")``): lets the
    household service match a government system's verifier without ever holding the ID number. Absent from
    events of earlier versions (their cases answer no status query)."""
    contact_sealed: str | None = None
    """The applicant's phone, encrypted like ``payee_sealed`` (context ``CONTACT_SEAL_CONTEXT``): only the
    household service decrypts it, and only to send a notice. Absent: no phone on file, nothing is sent."""
    amended_at: datetime | None = None
    """Set on revisions after the first: the application was amended (a new revision, re-assessed)."""
    amended_by: str | None = None
    """Who amended it (the token's subject): an account changed by an amendment is a payee change this person
    asked for, which someone else approves (R-AID-2)."""
    duplicate_review: str | None = None
    """``cleared`` when a supervisor cleared duplicate flags before the case could move on."""
    needs: list[StatedNeed] = Field(default_factory=list)
    """The structured needs assessment (R-AID-1): every need of the household, for emergencies too. Empty in
    events of earlier versions. Referral sets the decision's help against it; what remains becomes the
    consented needs records (R-CHA-1, R-CHA-2)."""
    members_sealed: str | None = None
    """The members' resident ID numbers as a JSON list in ``household`` order, encrypted like
    ``payee_sealed`` (context ``MEMBERS_SEAL_CONTEXT``): only assessment decrypts it, to send the
    verification request (R-CAT-3) and the registry status check (R-CAT-4). Absent: assessment cannot
    verify and says so."""


@event("gov.assistance.intake.document-recorded.v1")
class DocumentRecorded(Event):
    """An archive item was recorded on a case (R-ARC-1): its kind (intake's document kinds, e.g.
    ``verification_authorisation``, the signed 家庭经济状况核对授权书) and content hash; no personal data."""

    case_id: str
    kind: str
    sha256: str
    recorded_at: datetime


class RecordedItem(_Part):
    """One archive item of a batch: its kind and content hash, as on DocumentRecorded; no personal data."""

    kind: str
    sha256: str
    recorded_at: datetime


@event("gov.assistance.intake.documents-recorded.v1")
class DocumentsRecorded(Event):
    """The archive items a batch recorded on a case (R-ARC-1, ``POST .../documents/batch``), in one message
    for a township's paper set instead of one DocumentRecorded per item. Each item as DocumentRecorded
    carries one: its kind (such as ``verification_authorisation``) and content hash, in the order sent.
    Items already on file are not listed; a batch of replays publishes nothing. No personal data."""

    case_id: str
    items: list[RecordedItem] = Field(min_length=1)
    """The new items, in the order sent (at least one)."""


@event("gov.assistance.intake.consent-withdrawn.v1")
class ConsentWithdrawn(Event):
    case_id: str
    consent: str
    withdrawn_at: datetime


@event("gov.assistance.intake.lead-overdue.v1")
class LeadOverdue(Event):
    """R-OVS-2: a lead's household was not contacted within its response target ("nothing silent"); announced
    once per lead, for the county's supervisors and dashboards. No personal data: codes and times only."""

    lead_id: str
    """Intake's id of the lead (``GET /intake/v1/leads/{lead_id}``)."""
    county_code: str
    township_code: str
    source: str
    """Where the lead came from (monitoring_platform, hotline_12345, grid_worker, hospital, school,
    township_officer)."""
    urgency: str
    received_at: datetime
    due_at: datetime
    """First contact was due by then."""
    detected_at: datetime


@event("gov.assistance.intake.lead-opened.v1")
class LeadOpened(Event):
    """R-OVS-2 with R-FLOW-2: a lead became a visit task of its township; approval learns of it so that help
    may be granted at the scene before the application exists. ``case_id`` is reserved for the lead: the
    application the lead converts into takes it, so approval's case finds the scene grant. No personal
    data: codes, ids and times only (the household's name, number and address stay in intake)."""

    lead_id: str
    """Intake's id of the lead (``GET /intake/v1/leads/{lead_id}``)."""
    case_id: str
    """The case id reserved for the lead's application."""
    county_code: str
    township_code: str
    source: str
    """Where the lead came from (monitoring_platform, hotline_12345, grid_worker, hospital, school,
    township_officer)."""
    urgency: str
    """emergency or normal."""
    category: Category | None = None
    subtype: Subtype | None = None
    received_at: datetime


@event("gov.assistance.intake.lead-closed.v1")
class LeadClosed(Event):
    """R-OVS-2: a lead closed with a reason, without an application (a lead that had help at the scene
    cannot be closed, R-FLOW-2). Approval refuses help at the scene on it from then on. No personal data:
    the reason stays in intake."""

    lead_id: str
    case_id: str
    """The case id that was reserved for the lead's application; no application will take it."""
    county_code: str
    township_code: str
    closed_at: datetime


@event("gov.assistance.intake.archive-completeness.v1")
class ArchiveCompleteness(Event):
    """R-ARC-1: the case archive's state, published whenever it changes (submission, amendment, a document, a
    home-visit report): the items its checklist requires, the ones missing, and those of them that block
    review and approval under the county's setting. Published with the case row locked, so ``as_of`` grows
    with every change of the case's archive: a consumer keeps the latest."""

    case_id: str
    county_code: str
    township_code: str
    policy_version: str
    required: list[str]
    missing: list[str]
    blocking: list[str]
    """Missing items that stop an approving review or decision (empty: nothing blocks)."""
    as_of: datetime


@event("gov.assistance.intake.retention-policy-set.v1")
class RetentionPolicySet(Event):
    """R-RET-1: a county's new effective-dated version of its retention periods, set once at intake (the
    policy's one owner) by the county's policy administrator; the other five services keep a copy in their
    own ``retention_policies`` through their inbox, so every service purges by the same periods. Key: the
    county code. No personal data."""

    version: str
    county_code: str
    effective_from: date
    years: dict[str, int]
    """Whole years per data class (the classes it names; the others keep the national default)."""
    set_by: str
    reason: str | None = None
    set_at: datetime
