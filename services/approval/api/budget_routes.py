"""Approval's budget API (R-OVS-3): a county's yearly envelopes per funding source with what is committed,
spent and available; each envelope's trace; the county's budget rules (source order, over-envelope
setting). Envelopes are set by the county's (or city's) finance officer, the rules by its policy admin;
both are county-level objects: township staff neither change nor read them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.approval.domain.budget import BudgetPolicy, Envelope, FundingSource, Movement
from services.approval.schemas import (
    BudgetOut,
    BudgetPoliciesOut,
    BudgetPolicyIn,
    BudgetPolicyOut,
    EnvelopeIn,
    EnvelopeOut,
    MovementOut,
)
from services.approval.service import budgets
from shared.access import ADMIN, STAFF, ensure_county_level, ensure_covers, require
from shared.api import runtime_of
from shared.auth import Principal, Role

router = APIRouter(tags=["approval budgets"])

Reader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Finance = Annotated[Principal, Depends(require(Role.finance_officer))]
Admin = Annotated[Principal, Depends(require(*ADMIN))]
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]


def _envelope(e: Envelope) -> EnvelopeOut:
    return EnvelopeOut(
        **{
            **asdict(e),
            "source": FundingSource(e.source),
            **{k: str(getattr(e, k)) for k in ("amount", "committed", "spent", "available")},
        }
    )


def _budgets(found: list[Envelope]) -> list[BudgetOut]:
    years: dict[tuple[str, int], list[Envelope]] = defaultdict(list)
    for e in found:
        years[(e.county_code, e.year)].append(e)
    out = []
    for (county_code, year), rows in sorted(years.items()):
        total = {
            k: sum((getattr(e, k) for e in rows), Decimal("0.00")) for k in ("amount", "committed", "spent")
        }
        out.append(
            BudgetOut(
                county_code=county_code,
                year=year,
                envelopes=[_envelope(e) for e in rows],
                **{k: str(v) for k, v in total.items()},
                available=str(total["amount"] - total["committed"] - total["spent"]),
            )
        )
    return out


def _policy(p: BudgetPolicy) -> BudgetPolicyOut:
    return BudgetPolicyOut.model_validate(asdict(p))


@router.get(
    "/budgets/{county_code}",
    response_model=list[BudgetOut],
    summary="A county's budget envelopes per funding source: committed, spent and available (R-OVS-3)",
    description="Every year, or one (`year`). A county-level object: township staff get 404.",
)
async def county_budgets(
    county_code: County,
    request: Request,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[BudgetOut]:
    ensure_covers(principal, county_code, None, "budget")
    return _budgets(await budgets.envelopes(runtime_of(request, "approval"), county_code, year))


@router.put(
    "/budgets/{county_code}/{year}/{source}",
    response_model=EnvelopeOut,
    summary="Set a county's yearly envelope of one funding source (its finance officer, R-OVS-3)",
    description="County-level: a finance officer of the county (or the city). 409 `envelope-below-use` "
    "below what is already committed and spent.",
)
async def put_envelope(
    county_code: County,
    year: Year,
    source: FundingSource,
    body: EnvelopeIn,
    request: Request,
    principal: Finance,
) -> EnvelopeOut:
    ensure_county_level(principal, county_code, "budget")
    body = body.model_copy(update={"actor": principal.subject})
    return _envelope(
        await budgets.put_envelope(runtime_of(request, "approval"), county_code, year, source.value, body)
    )


@router.get(
    "/budgets/{county_code}/{year}/{source}/movements",
    response_model=list[MovementOut],
    summary="An envelope's trace, oldest first: allocations, commitments, spending, releases (R-OVS-3)",
)
async def movements(
    county_code: County,
    year: Year,
    source: FundingSource,
    request: Request,
    principal: Reader,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MovementOut]:
    ensure_covers(principal, county_code, None, "budget")
    found = await budgets.trace(
        runtime_of(request, "approval"), county_code, year, source.value, after, limit
    )
    return [_movement(m) for m in found]


def _movement(m: Movement) -> MovementOut:
    return MovementOut(**{**asdict(m), "amount": str(m.amount)})


@router.get(
    "/budget-policies/{county_code}",
    response_model=BudgetPoliciesOut,
    summary="A county's budget rules, in force and history: source order, over-envelope setting (R-OVS-3)",
)
async def budget_policies(
    county_code: County,
    request: Request,
    principal: Reader,
    on: Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))] = None,
) -> BudgetPoliciesOut:
    ensure_covers(principal, county_code, None, "budget rules")
    current, history = await budgets.policies(runtime_of(request, "approval"), county_code, on)
    return BudgetPoliciesOut(
        county_code=county_code,
        in_force=_policy(current) if current else None,
        history=[_policy(p) for p in history],
    )


@router.post(
    "/budget-policies/{county_code}",
    response_model=BudgetPolicyOut,
    status_code=201,
    summary="A new effective-dated version of a county's budget rules (its policy admin, R-OVS-3)",
    description="County-level: a policy admin of the county (or the city); a township's admin gets 403.",
)
async def add_budget_policy(
    county_code: County, body: BudgetPolicyIn, request: Request, principal: Admin
) -> BudgetPolicyOut:
    ensure_county_level(principal, county_code, "budget rules")
    body = body.model_copy(update={"actor": principal.subject})
    return _policy(await budgets.add_policy(runtime_of(request, "approval"), county_code, body))
