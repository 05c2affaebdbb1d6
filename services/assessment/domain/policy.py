"""A county's policy for one period, as data (R-AMT-3, R-CAT-3): never constants in code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.money import Money


class AssetLimits(BaseModel):
    """R-CAT-3: property must meet local rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    deposits_per_capita: Money
    vehicles: int = Field(ge=0)
    vehicle_value: Money
    houses: int = Field(ge=0)


class SeverityTier(BaseModel):
    """Months granted when the self-paid burden reaches ``min_burden_ratio`` of a year's household income.

    A tier above ``normal_max`` is the county rule that an assessment cites when it goes beyond 3 months
    (R-AMT-2): its ``id`` is named on the record and the approver confirms it explicitly."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str | None = Field(default=None, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._-]+$")
    min_burden_ratio: Decimal = Field(ge=0)
    months: int = Field(ge=1, le=6)

    @property
    def tier_id(self) -> str:
        """The id on record; a tier without one is named by its figures."""
        return self.id or f"burden-{self.min_burden_ratio}-{self.months}m"


class MonthRules(BaseModel):
    """R-AMT-2: months normally at most ``normal_max`` (3), never above ``absolute_max`` (6)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    normal_max: int = Field(default=3, ge=1, le=6)
    absolute_max: int = Field(default=6, ge=1, le=6)
    by_subtype: dict[str, int]
    severity_tiers: list[SeverityTier] = []

    @model_validator(mode="after")
    def _bounded(self) -> MonthRules:
        if self.normal_max > self.absolute_max:
            raise ValueError("normal_max cannot exceed absolute_max")
        for subtype, months in self.by_subtype.items():
            if not 1 <= months <= self.normal_max:
                raise ValueError(f"by_subtype.{subtype} must be between 1 and normal_max")
        for tier in self.severity_tiers:
            if tier.months > self.absolute_max:
                raise ValueError("a severity tier cannot exceed absolute_max")
        return self


class VerificationPolicy(BaseModel):
    """R-CAT-3/R-CAT-4: how the county uses the city verification system's answers (核对)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    income_tolerance_ratio: Decimal = Field(ge=0, le=1)
    """A verified annual household income may differ from the declared one by this share of the declared
    figure (or by ``income_tolerance_amount``, whichever is larger) before the case fails R-CAT-3."""
    income_tolerance_amount: Money
    answer_within_seconds: int = Field(gt=0)
    """The verification system's answer is due this long after the request; later, the case shows it."""
    essential_spending_items: list[str] = Field(min_length=1)
    """R-CAT-4: the essential-spending checklist generated for 低保/特困/建档立卡 households."""


class PolicyParameters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    monthly_standard: Money = Field(gt=0)
    """R-AMT-1: city urban minimum-living standard (城市低保标准), per person per month."""
    previous_year_income_per_capita: Money = Field(gt=0)
    """R-CAT-3: local per-capita disposable income of the previous year."""
    asset_limits: AssetLimits
    min_self_paid: Money
    """R-CAT-2: below this, an expenditure is not 'large' enough for temporary assistance."""
    months: MonthRules
    verification: VerificationPolicy | None = None
    """R-CAT-3/R-CAT-4 verification settings; a version without them cannot verify (the case says so)."""


class Policy(BaseModel):
    """One effective-dated version of a county's parameters; assessments pin ``version``."""

    model_config = ConfigDict(frozen=True)
    county_code: str
    version: str
    effective_from: date
    effective_to: date | None = None
    parameters: PolicyParameters
