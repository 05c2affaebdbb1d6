"""Approval's request and response models: the review (审核) and approval (审批) steps, batches, help first,
townships' limits and working-day calendars."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.approval.domain.model import ComplaintTopic, Ground, Opinion
from services.approval.domain.tiers import Level
from shared.api import UUID_PATTERN
from shared.contracts.approval import AidForm, Channel, Reexamined, Stage
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
    lead_id: str | None = None
    """Help at the scene (R-FLOW-2 with R-OVS-2): the lead it was granted on; ``case_id`` is the case id
    reserved for the lead's application, and the deadline counts from the grant."""
    application_missing: bool = False
    """The case's application has not reached approval yet (help was given at the scene, R-FLOW-2)."""


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


# --- re-examination (复核) and complaints (R-REX-1..5) ---

Days = Annotated[int, Field(ge=1, le=366)]
Text = Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
Officer = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]


class ReexaminationPolicyIn(BaseModel):
    """A county's new effective-dated version of its windows and deadlines, in calendar days (R-REX-1,
    R-REX-4)."""

    model_config = ConfigDict(extra="forbid")
    effective_from: Day
    request_window_days: Days
    """How long after the decision notice the applicant may ask for a re-examination."""
    decision_days: Days
    """How long the re-examination may take from the request."""
    complaint_days: Days
    """How long a complaint may wait for its answer from the day it was filed."""
    actor: Actor = None


class ReexaminationPolicyOut(BaseModel):
    county_code: str
    effective_from: date
    request_window_days: int
    decision_days: int
    complaint_days: int
    actor: str | None
    created_at: datetime


class ReexaminationPoliciesOut(BaseModel):
    county_code: str
    in_force: ReexaminationPolicyOut | None
    history: list[ReexaminationPolicyOut]


class ReexaminationIn(BaseModel):
    """The applicant's request, brought by the township or a government system on their behalf (R-REX-1)."""

    model_config = ConfigDict(extra="forbid")
    ground: Ground
    """refusal: the case was refused; amount: the amount approved is contested."""
    grounds: Text
    """What the applicant says, in their words."""
    actor: Actor = None


class ReexaminationDecisionIn(BaseModel):
    """R-REX-2: upheld, or changed with reasons, by an officer who took no part in the decision."""

    model_config = ConfigDict(extra="forbid")
    outcome: Reexamined
    reasons: Reasons
    amount: Annotated[Money, Field(gt=0)] | None = None
    """For ``changed``: the new total amount (a refusal changed: defaults to the assessed amount); never above
    the assessed amount (R-AMT-4)."""
    role: Level | None = None
    """Set from the caller's role: township or county (R-REX-2, R-FLOW-3)."""
    actor: Actor = None


class ReexaminationOut(BaseModel):
    id: str
    case_id: str
    seq: int
    county_code: str
    township_code: str
    ground: str
    grounds_text: str
    channel: str
    """township, county or gov_system: who brought the request (from the token)."""
    requested_by: str
    requested_at: datetime
    notice_on: date
    """The notice date: the local date of the decision contested (R-REX-1)."""
    window_closes_on: date
    deadline: date
    status: str
    decision_before: str
    amount_before: str
    level_before: str
    decision_after: str | None
    amount_after: str | None
    difference: str | None
    """amount_after - amount_before: what disbursement pays when positive (R-REX-3)."""
    not_recovered: str | None
    """A lower amount: what was not clawed back (R-REX-3)."""
    level: str | None
    decided_by: str | None
    reasons: str | None
    decided_at: datetime | None


class ComplaintIn(BaseModel):
    """A complaint about the handling of a case (delay, conduct), R-REX-4."""

    model_config = ConfigDict(extra="forbid")
    topic: ComplaintTopic
    summary: Text
    actor: Actor = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: Officer
    """The officer who will answer the complaint."""
    actor: Actor = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Text
    actor: Actor = None


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None


class ComplaintOut(BaseModel):
    id: str
    case_id: str
    county_code: str
    township_code: str
    topic: str
    summary: str
    channel: str
    filed_by: str
    filed_at: datetime
    deadline: date
    status: str
    assigned_to: str | None
    assigned_by: str | None
    assigned_at: datetime | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None


# --- budgets (R-OVS-3) ---

from services.approval.domain.budget import FundingSource, OverEnvelope  # noqa: E402 - the budgets block
from shared.contracts.common import Category, Subtype  # noqa: E402

Sources = Annotated[list[FundingSource], Field(min_length=1, max_length=3)]


def _distinct(sources: list[FundingSource]) -> list[FundingSource]:
    if len(set(sources)) != len(sources):
        raise ValueError("each funding source at most once")
    return sources


class EnvelopeIn(BaseModel):
    """A county's yearly envelope of one funding source, as its finance bureau allocates it."""

    model_config = ConfigDict(extra="forbid")
    amount: Money
    actor: Actor = None


class EnvelopeOut(BaseModel):
    county_code: str
    year: int
    source: FundingSource
    amount: str
    committed: str
    """Approved (or granted first) and not yet paid."""
    spent: str
    """Paid."""
    available: str
    """amount - committed - spent; negative only after a county approver's overrun (escalate setting)."""
    actor: str | None
    updated_at: datetime


class BudgetOut(BaseModel):
    """A county's year: each source's envelope and the totals."""

    county_code: str
    year: int
    envelopes: list[EnvelopeOut]
    amount: str
    committed: str
    spent: str
    available: str


class MovementOut(BaseModel):
    """One line of an envelope's trace (R-OVS-3): allocation, commit, spend, unspend or release."""

    id: int
    kind: str
    amount: str
    case_id: str | None
    commitment_id: int | None
    instruction_id: str | None
    actor: str | None
    at: datetime


class BudgetPolicyIn(BaseModel):
    """A new effective-dated version of a county's budget rules (R-OVS-3)."""

    model_config = ConfigDict(extra="forbid")
    effective_from: Day
    source_order: Sources
    """The order in which a case's approval draws on the sources: the first with the amount left takes it."""
    by_category: dict[Category | Subtype, Sources] = {}
    """An order of its own for a category or sub-type (the sub-type's wins)."""
    over_envelope: OverEnvelope = OverEnvelope.refuse
    """Beyond what remains: refuse (409 budget-exhausted), or escalate to the county approver."""
    actor: Actor = None

    @model_validator(mode="after")
    def _each_source_once(self) -> BudgetPolicyIn:
        for sources in (self.source_order, *self.by_category.values()):
            _distinct(sources)
        return self


class BudgetPolicyOut(BaseModel):
    county_code: str
    effective_from: date
    source_order: list[str]
    by_category: dict[str, list[str]]
    over_envelope: str
    actor: str | None
    created_at: datetime


class BudgetPoliciesOut(BaseModel):
    county_code: str
    in_force: BudgetPolicyOut | None
    history: list[BudgetPolicyOut]


# --- supervision (R-OVS-1) ---

from services.approval.domain.scorecard import Indicator  # noqa: E402 - the scorecards block


class TargetIn(BaseModel):
    """A county's target for one indicator and year: days or a share (0..1) at most, a share or the
    reserve-fund turnover (a ratio) at least."""

    model_config = ConfigDict(extra="forbid")
    indicator: Indicator
    target: Annotated[Decimal, Field(ge=0, le=999, max_digits=10, decimal_places=4)]
    actor: Actor = None

    @model_validator(mode="after")
    def _share_is_a_fraction(self) -> TargetIn:
        if self.indicator.share and self.target > 1:
            raise ValueError(f"{self.indicator.value} is a share: a target from 0 to 1")
        return self


class TargetOut(BaseModel):
    indicator: Indicator
    target: str
    actor: str | None
    created_at: datetime


class FindingIn(BaseModel):
    """How a result was used (结果运用): the finding, the action decided, and when it is followed up."""

    model_config = ConfigDict(extra="forbid")
    township_code: Annotated[str, Field(pattern=r"^\d{9}$")]
    year: Annotated[int, Field(ge=2000, le=2100)]
    indicator: Indicator | None = None
    finding: Reasons
    action: Reasons
    follow_up_on: Day
    actor: Actor = None


class FindingOut(BaseModel):
    id: int
    township_code: str
    year: int
    indicator: Indicator | None
    finding: str
    action: str
    follow_up_on: date
    actor: str | None
    created_at: datetime


class ScoreOut(BaseModel):
    indicator: Indicator
    value: str | None
    """Days (2 places) or a share (4 places); none when nothing was measured."""
    target: str | None
    met: bool | None
    basis: int


class ScorecardOut(BaseModel):
    township_code: str
    decided: int
    scores: list[ScoreOut]
    findings: list[FindingOut]


class IndicatorOut(BaseModel):
    """How an indicator is judged and where its value comes from (R-OVS-1)."""

    indicator: Indicator
    at_most: bool
    """True: met when the value is at most the target; else at least."""
    share: bool
    source: str
    """approval (in ``scores``), or the service whose figures give each township's value."""
    figures: str | None
    """For another service's indicator: the figures endpoint and field holding each township's value."""


class ScorecardsOut(BaseModel):
    county_code: str
    year: int
    indicators: list[IndicatorOut]
    targets: list[TargetOut]
    townships: list[ScorecardOut]
