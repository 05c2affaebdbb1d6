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
    basis: str = "application"
    figure_source: str = "declared"
    """Which figures the means test used: ``declared`` or ``verified`` (R-CAT-3)."""

    @classmethod
    def of(cls, assessment: Assessment) -> AssessmentOut:
        return cls(
            **{
                **asdict(assessment),
                "amount": str(assessment.amount),
                "figure_source": assessment.result.get("figure_source", "declared"),
            }
        )


class VerificationAnswerIn(BaseModel):
    """An answer of the verification system or source registry (docs/verification.md): the members asked
    about, by ID number, with what it found. Checked against the request in the service (422 naming the
    field)."""

    model_config = ConfigDict(extra="allow")
    request_id: str | None = Field(default=None, max_length=100)
    status: str = Field(default="answered", pattern=r"^answered$")
    members: list[dict[str, Any]] = Field(max_length=50)


class VerifiedFigures(BaseModel):
    annual_income: str
    deposits: str
    vehicles: int
    vehicle_value: str
    houses: int
    business_registrations: int


class RegistryStatus(BaseModel):
    dibao: bool
    tekun: bool
    jiandang: bool


class VerifiedMemberOut(BaseModel):
    """One member as the other system answered (ID number masked, R-personal data)."""

    seq: int
    relation: str | None
    id_number: str
    verified: VerifiedFigures | None = None
    declared_status: RegistryStatus | None = None
    registry_status: RegistryStatus | None = None
    status_flagged: bool = False


class ComparisonOut(BaseModel):
    figure: str
    declared: str
    verified: str
    difference: str
    flagged: bool


class VerificationOut(BaseModel):
    """A verification request (R-CAT-3) or registry check (R-CAT-4) of a case, its state and what it found:
    declared against verified, discrepancies flagged."""

    id: str
    kind: str
    application_revision: int
    state: str
    request_id: str | None
    attempts: int
    last_error: str | None
    hold_reason: str | None
    deadline: datetime | None
    answered_at: datetime | None
    members: list[VerifiedMemberOut] = []
    comparison: list[ComparisonOut] = []


class EssentialItemOut(BaseModel):
    """R-CAT-4: one item of the essential-spending checklist; ``verified_by``: the officer who verified it."""

    item: str
    verified_by: str | None
    verified_at: datetime | None
    finding: str | None


class CaseVerificationOut(BaseModel):
    case_id: str
    figure_source: str
    """Which figures the latest assessment used: ``declared`` or ``verified`` (R-CAT-3)."""
    status_source: str
    """Whose 低保/特困/建档立卡 statuses it used: ``declared`` or ``registry`` (R-CAT-4)."""
    verifications: list[VerificationOut]
    essential_spending: list[EssentialItemOut]


class EssentialItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    finding: str = Field(min_length=1, max_length=2000, pattern=NO_NUL, examples=["医疗票据与医保结算单一致"])
