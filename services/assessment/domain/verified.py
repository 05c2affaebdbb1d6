"""Verified figures (核对, R-CAT-3) and registry status (R-CAT-4) against what the application declared.

Pure functions: the means test runs on the verified figures when they exist, and the case says which it used;
a verified income beyond the county tolerance of the declared one fails R-CAT-3 citing the verified figure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.assessment.domain.policy import VerificationPolicy
from shared.contracts.assessment import Reason
from shared.contracts.intake import ApplicationSubmitted, MemberFacts, Property
from shared.money import Money, to_fen

STATUS_NAMES = (("dibao", "低保"), ("tekun", "特困"), ("jiandang", "建档立卡"))


class VerifiedMember(BaseModel):
    """What the verification system found for one member (the ID number matches it to the request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id_number: str = Field(pattern=r"^\d{17}[\dX]$")
    annual_income: Money
    deposits: Money
    vehicles: int = Field(ge=0)
    vehicle_value: Money
    houses: int = Field(ge=0)
    business_registrations: int = Field(ge=0)


class RegistryMember(BaseModel):
    """What the source registry holds for one member (R-CAT-4)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id_number: str = Field(pattern=r"^\d{17}[\dX]$")
    dibao: bool
    tekun: bool
    jiandang: bool


@dataclass(frozen=True)
class Comparison:
    """One household figure, declared against verified; ``flagged`` when they differ (income: beyond the
    county tolerance)."""

    figure: str
    declared: str
    verified: str
    difference: str
    flagged: bool


def in_member_order(ids: list[str], answered: list[VerifiedMember]) -> list[VerifiedMember]:
    """The answer's members in the household's order; raises ValueError naming what does not match."""
    by_id = {m.id_number: m for m in answered}
    if len(by_id) != len(answered) or set(by_id) != set(ids):
        raise ValueError("the answer's members are not the members asked about")
    return [by_id[i] for i in ids]


def registry_in_member_order(ids: list[str], answered: list[RegistryMember]) -> list[RegistryMember]:
    by_id = {m.id_number: m for m in answered}
    if len(by_id) != len(answered) or set(by_id) != set(ids):
        raise ValueError("the answer's members are not the members asked about")
    return [by_id[i] for i in ids]


def tolerance(declared: Decimal, policy: VerificationPolicy) -> Decimal:
    return max(to_fen(declared * policy.income_tolerance_ratio), policy.income_tolerance_amount)


def compare(
    app: ApplicationSubmitted, members: list[VerifiedMember], policy: VerificationPolicy
) -> list[Comparison]:
    income = sum((m.annual_income for m in members), Decimal("0.00"))
    allowed = tolerance(app.annual_household_income, policy)
    rows = [("annual_household_income", app.annual_household_income, income, allowed)]
    p = app.property
    rows += [
        ("deposits", p.deposits, sum((m.deposits for m in members), Decimal("0.00")), Decimal(0)),
        ("vehicles", Decimal(p.vehicles), Decimal(sum(m.vehicles for m in members)), Decimal(0)),
        (
            "vehicle_value",
            p.vehicle_value,
            sum((m.vehicle_value for m in members), Decimal("0.00")),
            Decimal(0),
        ),
        ("houses", Decimal(p.houses), Decimal(sum(m.houses for m in members)), Decimal(0)),
        (
            "business_registrations",
            Decimal(0),
            Decimal(sum(m.business_registrations for m in members)),
            Decimal(0),
        ),
    ]
    return [
        Comparison(
            name, str(declared), str(verified), str(verified - declared), abs(verified - declared) > allowed
        )
        for name, declared, verified, allowed in rows
    ]


def verified_application(app: ApplicationSubmitted, members: list[VerifiedMember]) -> ApplicationSubmitted:
    """The application with the verified household figures in place of the declared ones."""
    return app.model_copy(
        update={
            "annual_household_income": sum((m.annual_income for m in members), Decimal("0.00")),
            "property": Property(
                deposits=sum((m.deposits for m in members), Decimal("0.00")),
                vehicles=sum(m.vehicles for m in members),
                vehicle_value=sum((m.vehicle_value for m in members), Decimal("0.00")),
                houses=sum(m.houses for m in members),
            ),
        }
    )


def income_reason(declared: Decimal, verified: Decimal, policy: VerificationPolicy, version: str) -> Reason:
    """R-CAT-3: the verified annual household income within the county tolerance of the declared one."""
    allowed = tolerance(declared, policy)
    difference = verified - declared
    passed = abs(difference) <= allowed
    verdict = "within" if passed else "beyond"
    return Reason(
        rule="R-CAT-3",
        passed=passed,
        message=f"verified annual household income {verified} (city verification system) differs from the "
        f"declared {declared} by {difference}, {verdict} the county tolerance {allowed} of policy {version}",
        figures={
            "declared_annual_household_income": str(declared),
            "verified_annual_household_income": str(verified),
            "difference": str(difference),
            "tolerance": str(allowed),
            "tolerance_ratio": str(policy.income_tolerance_ratio),
            "tolerance_amount": str(policy.income_tolerance_amount),
            "figure_source": "verified",
        },
    )


def confirmed_application(app: ApplicationSubmitted, members: list[RegistryMember]) -> ApplicationSubmitted:
    """R-CAT-4: the members' statuses as the source registry holds them, in place of the self-declared."""
    household = [
        MemberFacts(relation=f.relation, age=f.age, dibao=r.dibao, tekun=r.tekun, jiandang=r.jiandang)
        for f, r in zip(app.household, members, strict=True)
    ]
    return app.model_copy(update={"household": household})


def registry_reason(app: ApplicationSubmitted, members: list[RegistryMember]) -> Reason:
    """R-CAT-4: what the registry confirmed or refuted of the declared statuses (members by position)."""
    confirmed, refuted, found = [], [], []
    for n, (f, r) in enumerate(zip(app.household, members, strict=True), start=1):
        for key, name in STATUS_NAMES:
            declared, held = bool(getattr(f, key)), bool(getattr(r, key))
            if declared and held:
                confirmed.append(f"member {n} {name}")
            elif declared:
                refuted.append(f"member {n} {name}")
            elif held:
                found.append(f"member {n} {name}")
    parts = [
        f"confirmed at the source registry: {', '.join(confirmed) or 'none'}",
        f"declared but not held by the registry (self-declaration not used): {', '.join(refuted) or 'none'}",
    ]
    if found:
        parts.append(f"held by the registry though not declared: {', '.join(found)}")
    return Reason(
        rule="R-CAT-4",
        passed=True,
        message="; ".join(parts),
        figures={
            "confirmed": ",".join(confirmed),
            "refuted": ",".join(refuted),
            "found": ",".join(found),
            "status_source": "registry",
        },
    )


def is_priority(members: list[RegistryMember]) -> bool:
    return any(m.dibao or m.tekun or m.jiandang for m in members)
