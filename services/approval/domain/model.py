"""Approval's typed entities and statuses (R-FLOW-1..4): the case as assessed, its recorded steps, a
township's delegated limits, a help-first grant with its paperwork clock, and a year's working-day schedule.

The repository returns these (never rows); figure rows are the read models of the oversight figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from services.approval.domain.tiers import Level


class CaseStatus(StrEnum):
    pending = "pending"
    reviewed = "reviewed"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"

    @property
    def decided(self) -> bool:
        """Approved or rejected: a final decision (R-FLOW-1)."""
        return self in (CaseStatus.approved, CaseStatus.rejected)


class Opinion(StrEnum):
    approved = "approved"
    rejected = "rejected"
    returned = "returned"
    """Sent back for revision with reasons: the case waits for a revised application (a new revision)."""


class Step(StrEnum):
    review = "review"
    """审核 (R-FLOW-1)."""
    approval = "approval"
    """审批 (R-FLOW-1)."""


class GrantStatus(StrEnum):
    open = "open"
    """Help first given, its review/approval paperwork still to come (R-FLOW-2)."""
    completed = "completed"


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    revision: int
    county_code: str
    township_code: str
    category: str
    subtype: str
    status: CaseStatus
    eligible: bool
    assessed_amount: Decimal
    months: int
    household_size: int
    needs: list[dict[str, Any]]
    assessment: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One recorded step: a review (审核) or an approval (审批)."""

    id: int
    case_id: str
    step: Step
    decision: Opinion
    level: Level
    role: str | None
    actor: str
    reasons: str
    amount: Decimal
    stages: list[dict[str, Any]]
    form: str
    at: datetime
    extended_duration: dict[str, Any] | None
    reexamination_window_days: int | None = None
    """R-REX-1: the county's re-examination window when this approval step was recorded (the letter's)."""


@dataclass(frozen=True, slots=True)
class TownshipLimits:
    """One effective-dated version of a township's delegation (R-FLOW-3)."""

    id: int
    county_code: str
    township_code: str
    effective_from: date
    approval_limit: Decimal
    disbursement_limit: Decimal
    created_at: datetime
    actor: str | None


@dataclass(frozen=True, slots=True)
class HelpFirstGrant:
    """Help first (R-FLOW-2) and its paperwork clock."""

    case_id: str
    grant_id: str
    county_code: str
    township_code: str
    level: Level
    actor: str
    reasons: str
    amount: Decimal
    form: str
    channel: str
    granted_at: datetime
    emergency_over_on: date | None
    declared_over_by: str | None
    deadline: date | None
    calendar: str | None
    status: GrantStatus
    overdue_notified_at: datetime | None
    completed_at: datetime | None
    lead_id: str | None = None
    """Help at the scene (R-FLOW-2 with R-OVS-2): the lead it was granted on before the application."""


@dataclass(frozen=True, slots=True)
class SceneLead:
    """A lead as intake announced it (LeadOpened, R-OVS-2): codes only, and the case id reserved for the
    application it converts into, on which help may be granted at the scene (R-FLOW-2)."""

    lead_id: str
    case_id: str
    county_code: str
    township_code: str
    source: str
    urgency: str
    category: str | None
    subtype: str | None
    received_at: datetime
    created_at: datetime
    closed_at: datetime | None = None
    """When intake closed the lead without an application (LeadClosed)."""

    @property
    def emergency(self) -> bool:
        """Help first is for emergencies (R-FLOW-2, R-CAT-1): an emergency lead whose category, if the
        reporter gave one, is the emergency category."""
        return self.urgency == "emergency" and self.category in (None, "emergency")


@dataclass(frozen=True, slots=True)
class CalendarYear:
    """One year's days off and make-up working days (调休) of the nation or of a county (R-FLOW-2)."""

    scope: str
    year: int
    holidays: list[str]
    workdays: list[str]
    source: str
    actor: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DecidedCase:
    """Figure row (R-OVS-1): a final approval step with the case it decided."""

    case_id: str
    decision: Opinion
    level: Level
    amount: Decimal
    form: str
    at: datetime
    county_code: str
    township_code: str
    category: str
    subtype: str
    months: int
    submitted_at: datetime | None
    persons: int
    month: str


@dataclass(frozen=True, slots=True)
class DecisionSpeed:
    """Figure row (R-OVS-2): time from submission to decision, ``percentile_cont`` on intervals."""

    measured: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True, slots=True)
class HelpFirstTally:
    """Figure row (R-FLOW-2): grants of one level whose paperwork is in one state, as of a day."""

    level: Level
    status: str
    grants: int
    amount: Decimal


class ReexaminationStatus(StrEnum):
    """R-REX-1, R-REX-2: open until an uninvolved officer upholds or changes the decision."""

    open = "open"
    upheld = "upheld"
    changed = "changed"


class Ground(StrEnum):
    """R-REX-1: what the applicant contests: a refusal, or the amount of an approval."""

    refusal = "refusal"
    amount = "amount"


class ComplaintStatus(StrEnum):
    """R-REX-4: a complaint ticket's life: filed, assigned, answered, closed."""

    open = "open"
    assigned = "assigned"
    answered = "answered"
    closed = "closed"


class ComplaintTopic(StrEnum):
    delay = "delay"
    conduct = "conduct"
    other = "other"


@dataclass(frozen=True, slots=True)
class ReexaminationPolicy:
    """R-REX-1, R-REX-4: a county's effective-dated windows and deadlines, in calendar days."""

    id: int
    county_code: str
    effective_from: date
    request_window_days: int
    decision_days: int
    complaint_days: int
    actor: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Reexamination:
    """A re-examination (复核) of a case's decision (R-REX-1..3)."""

    id: str
    case_id: str
    seq: int
    county_code: str
    township_code: str
    ground: Ground
    grounds_text: str
    channel: str
    requested_by: str
    requested_at: datetime
    notice_on: date
    window_closes_on: date
    deadline: date
    status: ReexaminationStatus
    decision_before: Opinion
    amount_before: Decimal
    level_before: Level
    decision_after: Opinion | None
    amount_after: Decimal | None
    difference: Decimal | None
    not_recovered: Decimal | None
    level: Level | None
    decided_by: str | None
    reasons: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint about the handling of a case (R-REX-4)."""

    id: str
    case_id: str
    county_code: str
    township_code: str
    topic: ComplaintTopic
    summary: str
    channel: str
    filed_by: str
    filed_at: datetime
    deadline: date
    status: ComplaintStatus
    assigned_to: str | None
    assigned_by: str | None
    assigned_at: datetime | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CurrentDecision:
    """What a case's decision is now: the approval step, or the latest re-examination that changed it."""

    decision: Opinion
    amount: Decimal
    level: Level
    form: str
    decided_on: date
    """The notice date: the local date of that decision (R-REX-1)."""
    took_part: frozenset[str]
    """Everyone who reviewed, decided or re-examined the case so far (R-REX-2)."""
    window_days: int | None = None
    """R-REX-1: the re-examination window this decision was made under and its letter states (None: a
    re-examination's decision, or one recorded before windows were kept: the county's window today)."""


@dataclass(frozen=True, slots=True)
class ReexaminationTally:
    """Figure row (R-REX-5): re-examinations requested in the period, decided, changed, time to decide."""

    requested: int
    decided: int
    changed: int
    open_overdue: int
    median_days: float | None


@dataclass(frozen=True, slots=True)
class ArchiveState:
    """R-ARC-1: the case archive as intake last reported it, and a county approver's override if any."""

    case_id: str
    county_code: str
    township_code: str
    policy_version: str
    required: list[str]
    missing: list[str]
    blocking: list[str]
    as_of: datetime
    override_items: list[str] | None
    override_by: str | None
    override_reason: str | None
    override_at: datetime | None

    @property
    def still_blocking(self) -> list[str]:
        """The missing items that block and that no override covers."""
        covered = set(self.override_items or [])
        return [kind for kind in self.blocking if kind not in covered]
