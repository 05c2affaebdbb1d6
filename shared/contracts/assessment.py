"""Events published by assessment on ``<prefix>.assessment.v1``."""

from __future__ import annotations

from datetime import datetime

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
