"""Approval's request and response models: the review (审核) and approval (审批) steps, batches, help first,
townships' limits and working-day calendars."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.approval.domain.model import Opinion
from services.approval.domain.tiers import Level
from shared.api import UUID_PATTERN
from shared.contracts.approval import AidForm, Channel, Stage
from shared.money import Money

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
Reasons = Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
CaseRef = Annotated[str, Field(pattern=UUID_PATTERN)]
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class ReviewIn(BaseModel):
    """R-FLOW-1 review (审核): the township (or county) checks the case and proposes an amount."""

    model_config = ConfigDict(extra="forbid")
    opinion: Opinion
    actor: Actor = None
    reasons: Reasons
    role: Level = Level.township
    amount: Money | None = None
    """The proposed amount; defaults to the assessed amount. It decides the approving level (R-FLOW-3)."""


class DecisionIn(BaseModel):
    """R-FLOW-1 approval (审批) by someone other than the reviewer."""

    model_config = ConfigDict(extra="forbid")
    decision: Opinion
    actor: Actor = None
    reasons: Reasons
    role: Level | None = None
    """township or county approver; a township cannot approve above its limit (R-FLOW-3)."""
    amount: Money | None = None
    """Defaults to the reviewed amount; more than assessed needs a county-government raise (R-AMT-4)."""
    form: AidForm = AidForm.cash
    stages: list[Stage] | None = None
    """R-FLOW-4: staged help; defaults to one stage due today. Stages cover the amount less any help
    already granted first (R-FLOW-2)."""
    confirm_extended_duration: bool = False
    """R-AMT-2: the approver confirms the county rule the assessment cites for more than the normal 3 months
    (else 409 ``extended-duration-unconfirmed``); not needed for a county-government raise (R-AMT-4)."""


class BatchItem(DecisionIn):
    case_id: CaseRef


class ReviewBatchItem(ReviewIn):
    case_id: CaseRef


class BatchIn(BaseModel):
    items: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]


class ReviewBatchIn(BaseModel):
    items: Annotated[list[ReviewBatchItem], Field(min_length=1, max_length=1000)]


class BatchOut(BaseModel):
    succeeded: int
    failed: int
    results: list[dict[str, Any]]
    """Per item, in order: case_id, status (200 or the problem's status), case_status or problem."""


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    role: Level | None = None
    """Set from the caller's role: a township or a county approver (R-FLOW-3)."""
    """township or county department granting help first."""
    amount: Annotated[Money, Field(gt=0)]
    form: AidForm = AidForm.cash
    channel: Channel = Channel.direct
    """direct: cash or goods handed over (R-AID-2); bank_transfer: the socialised channel."""
    reasons: Reasons


class EmergencyOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None
    over_on: Day
    """The day the emergency was declared over: the 10-working-day clock starts the day after."""


class LimitIn(BaseModel):
    """A new effective-dated version of a township's delegation, set by its county (R-FLOW-3)."""

    model_config = ConfigDict(extra="forbid")
    county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    effective_from: Day
    approval_limit: Money
    disbursement_limit: Money
    actor: Actor = None


class CalendarIn(BaseModel):
    """One year's days off and make-up working days (调休)."""

    model_config = ConfigDict(extra="forbid")
    holidays: Annotated[list[date], Field(max_length=366)]
    workdays: Annotated[list[date], Field(max_length=366)] = []
    source: Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
    """e.g. the State Council notice, or the county's decision."""
    actor: Actor = None

    @model_validator(mode="after")
    def _distinct(self) -> CalendarIn:
        if set(self.holidays) & set(self.workdays):
            raise ValueError("a date cannot be both a holiday and a make-up working day")
        return self


class DecisionOut(BaseModel):
    step: str
    """review (审核) or approval (审批)."""
    decision: str
    level: str
    role: str | None = None
    actor: str
    reasons: str
    amount: str
    form: str
    stages: list[dict[str, Any]]
    at: datetime
    extended_duration: dict[str, Any] | None = None
    """R-AMT-2: the county rule (tier, policy version, figures) the approver confirmed for more than the
    normal months, and who confirmed it."""


class GrantOut(BaseModel):
    grant_id: str
    case_id: str
    level: str
    actor: str
    reasons: str
    amount: str
    form: str
    channel: str
    granted_at: datetime
    emergency_over_on: date | None
    deadline: date | None
    calendar: str | None
    """Which calendar computed the deadline, e.g. 'national 2026' or 'weekends-only (no national schedule
    loaded for 2027)'."""
    status: str
    overdue_notified_at: datetime | None
    completed_at: datetime | None


class ArchiveOverrideIn(BaseModel):
    """R-ARC-1: a county approver lets the case proceed without the archive items missing now."""

    model_config = ConfigDict(extra="forbid")
    reason: Reasons


class ArchiveStateOut(BaseModel):
    """R-ARC-1: the case archive as intake last reported it; ``blocking``: what stops an approving review or
    decision now (missing, required before review by the county, not overridden)."""

    policy_version: str
    required: list[str]
    missing: list[str]
    blocking: list[str]
    as_of: datetime
    override_items: list[str] | None
    override_by: str | None
    override_reason: str | None
    override_at: datetime | None


class CaseOut(BaseModel):
    case_id: str
    revision: int
    county_code: str
    township_code: str
    category: str
    subtype: str
    status: str
    eligible: bool
    assessed_amount: str
    months: int
    household_size: int
    decisions: list[DecisionOut] = []
    help_first: GrantOut | None = None
    archive: ArchiveStateOut | None = None
    """None until intake reported the case's archive (then an approving step is refused, R-ARC-1)."""
    created_at: datetime
    updated_at: datetime


class LimitOut(BaseModel):
    county_code: str
    township_code: str
    effective_from: date
    approval_limit: str
    disbursement_limit: str
    actor: str | None
    created_at: datetime


class LimitsOut(BaseModel):
    township_code: str
    in_force: LimitOut | None
    history: list[LimitOut]


class CalendarOut(BaseModel):
    scope: str
    year: int
    holidays: list[date]
    workdays: list[date]
    source: str
    actor: str
    updated_at: datetime


class DeadlineOut(BaseModel):
    over_on: date
    deadline: date
    calendar: str
    """Which calendar computed the deadline (R-FLOW-2)."""
