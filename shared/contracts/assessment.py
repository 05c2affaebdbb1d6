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
