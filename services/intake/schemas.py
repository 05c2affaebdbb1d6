"""The intake API's request and response bodies (validated at the edge: a bad field is a 422 naming it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.intake.domain.model import (
    ApplicationStatus,
    Channel,
    CorrectionField,
    CorrectionStatus,
    FlagStatus,
    LeadSource,
    LeadStatus,
    LeadUrgency,
    VisitStatus,
)
from services.intake.domain.needs import needs_problem
from shared import idnumber
from shared.contracts.common import Category, Subtype
from shared.contracts.intake import Consents, EducationCosts, MedicalCosts, Property, StatedNeed
from shared.money import Money


def _valid_id(value: str) -> str:
    try:
        return idnumber.validate(value)
    except idnumber.InvalidIdNumber as exc:
        raise ValueError(str(exc)) from exc


ResidentId = Annotated[
    str, Field(min_length=18, max_length=18, examples=["14030219800101001X"]), AfterValidator(_valid_id)
]
Name = Annotated[str, Field(min_length=1, max_length=50)]


def _valid_needs(value: list[StatedNeed]) -> list[StatedNeed]:
    problem = needs_problem(value)
    if problem:
        raise ValueError(problem)
    return value


NeedsAssessment = Annotated[
    list[StatedNeed],
    Field(
        max_length=10,
        description="The structured needs assessment (R-AID-1): each need type once; money needs (living, "
        "housing_repair, goods, medical, education) with their amount. Amended with the application.",
    ),
    AfterValidator(_valid_needs),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberIn(Strict):
    name: Name
    id_number: ResidentId
    relation: Annotated[str, Field(min_length=1, max_length=20, examples=["self", "spouse", "child"])]
    dibao: bool = False
    """低保: minimum-living-standard household member."""
    tekun: bool = False
    """特困: extremely poor, supported person."""
    jiandang: bool = False
    """建档立卡: registered poor household."""


class AddressIn(Strict):
    county_code: Annotated[str, Field(pattern=r"^\d{6}$", examples=["140302"])]
    township_code: Annotated[str, Field(pattern=r"^\d{9}$", examples=["140302001"])]
    detail: Annotated[str, Field(min_length=1, max_length=200)]


class IncidentIn(Strict):
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    occurred_on: date
    ongoing: bool = False


class PayeeIn(Strict):
    name: Name
    bank: Annotated[str, Field(min_length=1, max_length=100)]
    account: Annotated[str, Field(pattern=r"^\d{12,30}$")]


class ApplicationFacts(Strict):
    """What an application states; ``household`` lists everyone, the applicant with relation ``self``."""

    household: Annotated[list[MemberIn], Field(min_length=1, max_length=30)]
    phone: Annotated[str | None, Field(pattern=r"^\+?\d{7,15}$")] = None
    address: AddressIn
    category: Category
    subtype: Subtype
    incident: IncidentIn
    persons_helped: Annotated[int, Field(ge=1, le=30)]
    requested_months: Annotated[int | None, Field(ge=1, le=6)] = None
    annual_household_income: Money
    property: Property
    medical: MedicalCosts | None = None
    education: EducationCosts | None = None
    payee: PayeeIn | None = None
    needs: NeedsAssessment = []


class ApplicationIn(ApplicationFacts):
    """One household's application (walk-in, or from another government system: R-OVS-2)."""

    consents: Consents
    channel: Channel = Channel.walk_in
    referring_system: Annotated[str | None, Field(max_length=100)] = None


NO_NUL = r"^[^\x00]*$"
Actor = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="Ignored: the caller identified by the access token is recorded",
    ),
]
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]


class AmendmentIn(ApplicationFacts):
    """The whole application as amended: a new revision, re-assessed; earlier revisions stay as they were.
    Consents change only through the withdrawal endpoint; ``consents``, if given, must equal the current."""

    consents: Consents | None = None
    amended_by: Actor = None
    reason: Reason


class MemberOut(BaseModel):
    name: str
    id_number: str
    relation: str
    dibao: bool
    tekun: bool
    jiandang: bool


class HoldReason(BaseModel):
    """Why a case is ``held`` and what happens next, in words a clerk understands (English and Chinese).
    Never names another case: the matched cases may belong to another jurisdiction."""

    code: str
    """The flag kind(s), e.g. ``person_in_open_case`` or ``household_being_helped``."""
    message: str
    message_zh: str
    next_step: str
    next_step_zh: str
    reviewed_by: list[str]
    """The roles that review it (POST .../duplicate-review): a township or county approver (supervisor)."""


class Attention(BaseModel):
    """``needs_attention``: a service could not process the case; what to do is in ``reason``."""

    service: str
    reason: str
    failed_event_type: str | None = None
    at: datetime
    previous_status: str
    """Where the case was when it stopped; an amendment (or a replay after the fix) moves it on."""
    scheme_referral_id: str | None = None
    """Set when a referral to a government scheme passed its due date without an outcome (R-AID-1); the
    scheme's final outcome resolves it."""


class ApplicationOut(BaseModel):
    """Personal data is masked (张*明, 140302********1234)."""

    id: str
    case_no: str
    status: ApplicationStatus
    revision: int
    channel: Channel
    referring_system: str | None
    county_code: str
    township_code: str
    category: Category
    subtype: Subtype
    household: list[MemberOut]
    persons_helped: int
    consents: Consents
    submitted_at: datetime
    updated_at: datetime
    merged_into: str | None = None
    """Set when a supervisor merged this case into another (duplicate review); it stays searchable."""
    open_duplicate_flags: int = 0
    """Open duplicate flags: while any is open the case is ``held`` and not assessed."""
    missing_documents: list[str] = []
    """R-ARC-1: required archive items not recorded yet."""
    hold_reason: HoldReason | None = None
    """Set while the case is ``held`` for duplicate review: why, and who reviews it next."""
    attention: Attention | None = None
    """Set while the case is ``needs_attention``: which service could not process it, and why."""
    needs: list[StatedNeed] = []
    """The needs assessment of the current revision (R-AID-1)."""


class RevisionOut(BaseModel):
    revision: int
    category: Category
    subtype: Subtype
    incident_date: date
    persons_helped: int
    amended_by: str | None
    reason: str | None
    created_at: datetime


class ReviewOutcome(StrEnum):
    cleared = "cleared"
    """Not a duplicate (or a justified one): the case moves on to assessment."""
    merged = "merged"
    """A duplicate: merged into the other case, which carries on; this one stops, stays searchable."""


class DuplicateReviewIn(Strict):
    """A supervisor's audited decision on a held case's duplicate flags."""

    outcome: ReviewOutcome
    actor: Actor = None
    reason: Reason
    merged_into: Annotated[
        str | None,
        Field(
            pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
            r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        ),
    ] = None
    """For ``merged``: which flagged case it merges into (defaults to the first flagged one)."""


class OfficeOut(BaseModel):
    """The office to contact about a case of another jurisdiction (R-FLOW-5)."""

    county_code: str
    county_name: str | None
    township_code: str | None
    township_name: str | None


class FlagOut(BaseModel):
    id: str
    application_id: str
    matched_application_id: str | None
    """None when the matched case is outside your jurisdiction: then only ``matched_office`` is given."""
    matched_office: OfficeOut | None = None
    """Where the matched case is, when it is outside your jurisdiction (R-FLOW-5)."""
    kind: str
    status: FlagStatus
    county_code: str
    township_code: str
    created_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_reason: str | None


class PersonSearchIn(Strict):
    """Find every case of a person (by blind index; the number never appears in a URL or a log)."""

    id_number: ResidentId


class DocumentIn(Strict):
    """R-ARC-1: one archive item; the content is stored elsewhere, here its metadata, hash and location."""

    kind: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$", examples=["medical_bills"])]
    media_type: Annotated[
        str, Field(min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$", examples=["application/pdf"])
    ]
    size_bytes: Annotated[int, Field(ge=1, le=10**12, strict=True)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    storage_uri: Annotated[
        str,
        Field(
            min_length=5,
            max_length=1000,
            pattern=r"^[a-z][a-z0-9+.-]*://[^\s\x00]+$",
            examples=["s3://archive/140302/2026/scan-0001.pdf"],
        ),
    ]
    metadata: Annotated[
        dict[
            Annotated[str, Field(max_length=50, pattern=NO_NUL)],
            Annotated[str, Field(max_length=500, pattern=NO_NUL)],
        ],
        Field(max_length=20),
    ] = {}
    """E.g. pages, issuer, document date. No personal data: it is not encrypted."""
    recorded_by: Actor = None


class DocumentOut(BaseModel):
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


DOCUMENT_BATCH_MAX = 50
"""The most archive items one batch records (a checklist has about a dozen)."""


class DocumentBatchIn(Strict):
    """R-ARC-1: several archive items of one case recorded at once (a township's paper set), all or none."""

    documents: Annotated[list[DocumentIn], Field(min_length=1, max_length=DOCUMENT_BATCH_MAX)]


class RecordedDocumentOut(DocumentOut):
    replayed: bool
    """True when this content was already on file as this kind (nothing new recorded for it)."""


class DocumentBatchOut(BaseModel):
    """The batch's items in the order sent, each new or a replay of what was already on file."""

    documents: list[RecordedDocumentOut]


class ChecklistItem(BaseModel):
    kind: str
    title: str
    stage: str
    recorded: bool


class ArchiveOut(BaseModel):
    """R-ARC-1: the case's checklist (by sub-type, from the intake policy in force), what is missing, and
    every recorded document."""

    application_id: str
    policy_version: str
    required: list[ChecklistItem]
    missing: list[str]
    documents: list[DocumentOut]


class ConsentName(StrEnum):
    verify_economic_situation = "verify_economic_situation"
    share_with_charities = "share_with_charities"
    share_health_data = "share_health_data"


# --- leads of proactive discovery (主动发现, R-OVS-2) ---

Township = Annotated[str, Field(pattern=r"^\d{9}$", examples=["140302001"])]
Note = Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]


class LeadIn(Strict):
    """A lead from another government system (its token's subject is recorded as the reporter) or recorded
    by a township officer. Personal data is stored sealed and shown masked."""

    source: LeadSource
    """Where it comes from; a government system's token cannot claim ``township_officer``."""
    source_ref: Annotated[str | None, Field(min_length=1, max_length=100, pattern=NO_NUL)] = None
    """The reporter's own id of the lead: the same reference reported again is the same lead."""
    township_code: Township
    urgency: LeadUrgency = LeadUrgency.normal
    category: Category | None = None
    subtype: Subtype | None = None
    name: Name | None = None
    id_number: ResidentId | None = None
    phone: Annotated[str | None, Field(pattern=r"^\+?\d{7,15}$")] = None
    address: Annotated[str | None, Field(min_length=1, max_length=200, pattern=NO_NUL)] = None
    description: Note


class LeadOut(BaseModel):
    """A lead as its township's visit task; personal data masked (张*明, 140302********1234)."""

    id: str
    source: LeadSource
    reported_by: str
    source_ref: str | None
    county_code: str
    township_code: str
    urgency: LeadUrgency
    category: Category | None
    subtype: Subtype | None
    name: str | None
    id_number: str | None
    phone: str | None
    status: LeadStatus
    target_version: str
    """The county's response-target version in force on receipt (domain/seed/lead_response.json)."""
    response_hours: int
    received_at: datetime
    due_at: datetime
    """First contact is due by then (received_at + response_hours)."""
    overdue: bool
    """Past ``due_at`` with no first contact while open: listed for the township ("nothing silent")."""
    assigned_to: str | None
    assigned_at: datetime | None
    first_contact_at: datetime | None
    contacted_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
    application_id: str | None
    converted_at: datetime | None
    case_id: str | None = None
    """The case id reserved for the lead's application (R-FLOW-2): help granted at the scene is bound to it,
    and the application the lead converts into takes it."""
    scene_help_amount: str | None = None
    scene_help_granted_at: datetime | None = None
    """Help first granted at the scene by approval (R-FLOW-2), before the application."""
    paperwork_deadline: date | None = None
    """The application and its paperwork are due by then (10 working days after the scene grant)."""
    paperwork_overdue: bool = False
    """Approval announced the scene help's paperwork overdue with the application missing (PaperworkOverdue):
    nothing silent."""
    reopened_at: datetime | None = None
    """The lead was closed, but help had been granted at the scene before approval learned of the closing:
    it is open again for the application that must follow (R-FLOW-2); ``closed_*`` keep the closing."""


class LeadAssignmentIn(Strict):
    """Who of the township visits the household (a named officer: the assignee is not the caller)."""

    assigned_to: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]


class LeadContactIn(Strict):
    """First contact made (a visit or a call); the caller is recorded as who made it."""

    note: Note | None = None


class LeadCloseIn(Strict):
    reason: Reason
    """Why no application follows (no need found, already helped, moved away, ...)."""


class LeadIncidentIn(Strict):
    description: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    """Defaults to what the lead reported."""
    occurred_on: date
    ongoing: bool = False


class LeadApplicationIn(Strict):
    """The application made from a lead, pre-filled from it: what is left out is taken from the lead (the
    applicant's name and ID number as ``self``, phone, township and address, category, sub-type, what was
    reported); what the visit found is added. The channel is the lead's (a government system's lead is a
    ``gov_system`` application naming it)."""

    household: Annotated[list[MemberIn] | None, Field(min_length=1, max_length=30)] = None
    phone: Annotated[str | None, Field(pattern=r"^\+?\d{7,15}$")] = None
    address: AddressIn | None = None
    category: Category | None = None
    subtype: Subtype | None = None
    incident: LeadIncidentIn
    persons_helped: Annotated[int, Field(ge=1, le=30)]
    requested_months: Annotated[int | None, Field(ge=1, le=6)] = None
    annual_household_income: Money
    property: Property
    medical: MedicalCosts | None = None
    education: EducationCosts | None = None
    payee: PayeeIn | None = None
    consents: Consents


class LeadConversionOut(BaseModel):
    lead: LeadOut
    application: ApplicationOut


UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
Officer = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
VisitText = Annotated[str, Field(min_length=1, max_length=4000, pattern=NO_NUL)]


class HomeVisitIn(Strict):
    """R-ARC-1: the home-visit (入户调查) report as the first visitor records it (the caller, from the token);
    ``second_visitor`` names the other officer (their account), who confirms it by their own call."""

    visited_on: date
    second_visitor: Officer
    findings: VisitText
    living_conditions: VisitText
    photo_document_ids: Annotated[
        list[Annotated[str, Field(pattern=UUID_PATTERN)]], Field(max_length=20)
    ] = []
    """Photographs already recorded as archive documents of kind ``home_visit_photo``."""


class HomeVisitOut(BaseModel):
    id: str
    application_id: str
    visited_on: date
    visitors: list[str]
    """The two officers who visited: the one who recorded the report and the one who confirmed it."""
    findings: str
    living_conditions: str
    photo_document_ids: list[str]
    status: VisitStatus
    recorded_at: datetime
    confirmed_at: datetime | None
    document_id: str | None
    """The archive item (kind ``home_visit_report``) once both signed."""


class VisitTaskOut(BaseModel):
    """A case of the township that still needs its home visit (R-ARC-1)."""

    application_id: str
    case_no: str
    county_code: str
    township_code: str
    subtype: str
    status: ApplicationStatus
    submitted_at: datetime
    report_awaiting_confirmation: bool


class TimelineEntryOut(BaseModel):
    """One step of the case, oldest first (R-FLOW-1, R-AID-1): submitted, each review and approval opinion,
    each referral to a government scheme — created (``due_on``), overdue, its outcome (accepted, applied,
    granted with ``amount``, refused with ``reason``)."""

    at: datetime
    kind: Literal["submitted", "review", "approval", "scheme_referral", "scheme_overdue", "scheme_outcome"]
    status: str
    scheme: str | None = None
    need_type: str | None = None
    amount: Decimal | None = None
    reason: str | None = None
    due_on: date | None = None
    ref: str | None = None
    """The scheme referral's id (referral's GET /referral/v1/cases/{case_id}/scheme-referrals)."""


# --- a person's corrections (PIPL art. 46, R-RIGHTS-2) ---


class CorrectionIn(Strict):
    """A person's request to correct one field of their data, recorded by an officer with the reason."""

    field: CorrectionField
    value: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
    """The corrected value (stored only encrypted; never logged)."""
    member_seq: Annotated[int | None, Field(ge=0, le=29)] = None
    """For ``name``: the household member (0-based, in the application's order); absent: the applicant."""
    reason: Reason
    requested_by: Actor = None


class CorrectionReviewIn(Strict):
    """The second officer's review: ``apply`` (an amendment: a new revision) or ``refuse`` with a reason."""

    decision: Literal["apply", "refuse"]
    reason: Annotated[str | None, Field(min_length=1, max_length=2000, pattern=NO_NUL)] = None

    @model_validator(mode="after")
    def _refusal_has_reason(self) -> CorrectionReviewIn:
        if self.decision == "refuse" and not self.reason:
            raise ValueError("reason: a refused correction is recorded with its reason")
        return self


class CorrectionOut(BaseModel):
    """A correction request as staff see it: the value masked like every staff view."""

    id: str
    application_id: str
    field: CorrectionField
    member_seq: int | None
    value_masked: str
    reason: str
    requested_by: str
    requested_at: datetime
    status: CorrectionStatus
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_reason: str | None
    applied_revision: int | None
    """The application revision the correction became (``applied``)."""
