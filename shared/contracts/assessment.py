"""Events published by assessment on ``<prefix>.assessment.v1``."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from shared.contracts.common import Category, Need, Subtype
from shared.events import Event, event
from shared.money import Money


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    rule: str
    """The policy rule id, e.g. R-CAT-3."""
    passed: bool
    message: str
    figures: dict[str, str] = {}
    """The figures the rule used (amounts as exact decimal strings), so a reviewer can check it by hand."""


class RaiseDecision(BaseModel):
    """R-AMT-4: the county government raised the amount after deliberation (who, when, which minutes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    decided_by: str
    decided_on: date
    reference: str
    """E.g. the meeting minutes' reference number."""
    reason: str


class ExtendedDuration(BaseModel):
    """R-AMT-2: more than the normal months (3), by the county rule named here; never silently: approval
    asks the approver to confirm it explicitly."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    tier_id: str
    policy_version: str
    normal_max: int
    months: int
    min_burden_ratio: str
    burden_ratio: str


@event("gov.assistance.assessment.case-assessed.v1")
class CaseAssessed(Event):
    case_id: str
    assessment_id: str
    revision: int
    county_code: str
    township_code: str
    category: Category
    subtype: Subtype
    eligible: bool
    reasons: list[Reason]
    priority_verification: bool
    household_size: int
    persons_helped: int
    months: int
    monthly_standard: Money
    amount: Money
    needs: list[Need]
    policy_version: str
    assessed_at: datetime
    submitted_at: datetime | None = None
    """When intake received the application (from ApplicationSubmitted), for time-to-decision (R-OVS-2)."""
    application_revision: int | None = None
    """The application revision assessed (frozen inputs). ``revision`` is the assessment's own revision: it
    grows with each amended application and with each R-AMT-4 raise, so the newest one always wins."""
    self_paid: Money | None = None
    per_capita_income: Money | None = None
    raise_decision: RaiseDecision | None = None
    """Set when this revision carries a county-government raise (R-AMT-4)."""
    extended_duration: ExtendedDuration | None = None
    """Set when the months go beyond the normal maximum by a county severity tier (R-AMT-2)."""
    figure_source: str | None = None
    """``declared`` (the application's figures) or ``verified`` (the city verification system's, R-CAT-3);
    absent from events of earlier versions (declared)."""
    registry_confirmed: bool | None = None
    """R-CAT-4: the 低保/特困/建档立卡 status was confirmed at the source registry (None: not checked yet)."""


class PolicyPeriod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    county_code: str
    version: str
    effective_from: date
    effective_to: date | None = None


@event("gov.assistance.assessment.policy-coverage.v1")
class PolicyCoverage(Event):
    """Every policy version's period, published on start (seed) and with each new version: intake keeps it
    locally and refuses an incident date no county policy covers (nobody would assess it)."""

    periods: list[PolicyPeriod]
    published_at: datetime
