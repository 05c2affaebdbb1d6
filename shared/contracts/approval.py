"""Events published by approval on ``<prefix>.approval.v1``."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.contracts.common import Category, Need, Subtype
from shared.events import Event, event
from shared.money import Money


class Decision(StrEnum):
    approved = "approved"
    rejected = "rejected"


class AidForm(StrEnum):
    """R-AID-1: cash (临时救助金), in kind (实物), referral services (转介服务)."""

    cash = "cash"
    in_kind = "in_kind"
    referral = "referral"


class Stage(BaseModel):
    """R-FLOW-4: one approval, help paid in stages."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int
    amount: Money
    due_on: date


@event("gov.assistance.approval.case-decided.v1")
class CaseDecided(Event):
    case_id: str
    decision: Decision
    level: str
    """township or county (R-FLOW-3)."""
    county_code: str
    township_code: str
    category: Category
    subtype: Subtype
    form: AidForm
    amount: Money
    stages: list[Stage]
    household_size: int
    needs: list[Need]
    decided_at: datetime
