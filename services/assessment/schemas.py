"""Assessment's request and response models (the policy model is domain/policy.py: it is the rule data)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.assessment.domain.model import Assessment
from shared.money import Money

NO_NUL = r"^[^\x00]*$"


class RaiseIn(BaseModel):
    """R-AMT-4: the county government's decision to raise the amount, as recorded in its minutes. Give either
    ``months`` (up to the policy's absolute maximum) or an explicit ``amount``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    decided_by: str = Field(min_length=1, max_length=200, pattern=NO_NUL, examples=["城区人民政府常务会议"])
    decided_on: date
    reference: str = Field(min_length=1, max_length=200, pattern=NO_NUL, examples=["城政纪〔2026〕12号"])
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    months: int | None = Field(default=None, ge=1, le=6)
    amount: Money | None = None
    recorded_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="Ignored: the caller identified by the access token is recorded",
    )


class AssessmentOut(BaseModel):
    """One frozen assessment: the inputs (application revision) and policy version it pinned, its result."""

    id: str
    case_id: str
    revision: int
    application_revision: int
    raise_decision: dict[str, Any] | None = None
    recorded_by: str | None = None
    eligible: bool
    amount: str
    policy_version: str
    result: dict[str, Any]
    inputs: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, assessment: Assessment) -> AssessmentOut:
        return cls(**{**asdict(assessment), "amount": str(assessment.amount)})
