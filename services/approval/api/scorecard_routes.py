"""Approval's supervision API (R-OVS-1, R-FLOW-3): each township's scorecard against its county's targets for
the year, the targets (the county's policy admin) and the findings and actions the results led to
(recorded by county staff: a county approver, auditor or policy admin). County-level objects."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.approval.domain.scorecard import Finding, Indicator, Target
from services.approval.schemas import (
    FindingIn,
    FindingOut,
    IndicatorOut,
    ScorecardOut,
    ScorecardsOut,
    ScoreOut,
    TargetIn,
    TargetOut,
)
from services.approval.service import scorecards as scoring
from shared import clock
from shared.access import ADMIN, STAFF, ensure_county_level, ensure_covers, require
from shared.api import runtime_of
from shared.auth import Principal, Role
from shared.errors import InvalidField

router = APIRouter(tags=["approval supervision"])

Reader = Annotated[Principal, Depends(require(*STAFF, Role.policy_admin))]
Admin = Annotated[Principal, Depends(require(*ADMIN))]
Supervisor = Annotated[Principal, Depends(require(Role.county_approver, Role.auditor, Role.policy_admin))]
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]


def _plain(value: Decimal) -> str:
    """A target as set: 3, 0.9 (never 3.0000 or 1E+2)."""
    return format(value.normalize(), "f")


def _target(t: Target) -> TargetOut:
    return TargetOut(indicator=t.indicator, target=_plain(t.target), actor=t.actor, created_at=t.created_at)


FIGURES = {
    Indicator.reserve_fund_turnover: "/disbursement/v1/figures: reserve_funds[].turnover",
    Indicator.referral_fulfilment_share: "/referral/v1/figures: by_township[].fulfilment",
}
"""Where the page (or any client) finds the values of the indicators other services keep (R-OVS-1)."""

INDICATORS = [
    IndicatorOut(indicator=i, at_most=i.at_most, share=i.share, source=i.source, figures=FIGURES.get(i))
    for i in Indicator
]


def _finding(f: Finding) -> FindingOut:
    return FindingOut.model_validate(asdict(f))


@router.get(
    "/scorecards",
    response_model=ScorecardsOut,
    summary="Each township's scorecard against the county's targets for the year (R-OVS-1, R-FLOW-3)",
    description="Approval's own indicators per township: time to decision (median days), help-first "
    "paperwork on time, decisions within the township's delegation and the re-examination reversal rate "
    "(shares), with the findings recorded. `indicators` lists all six with their direction; the reserve-fund "
    "turnover and the referral fulfilment are valued by disbursement's and referral's figures (named in "
    "`figures`) against the targets here. County-level: township staff get 404.",
)
async def scorecards(
    request: Request,
    principal: Reader,
    county_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
) -> ScorecardsOut:
    ensure_covers(principal, county_code, None, "scorecards")
    if township_code is not None and not township_code.startswith(county_code):
        raise InvalidField("township_code", f"{township_code} is not in county {county_code}")
    year = year or clock.local_today().year
    targets, cards = await scoring.scorecards(
        runtime_of(request, "approval"), county_code, year, township_code
    )
    return ScorecardsOut(
        county_code=county_code,
        year=year,
        indicators=INDICATORS,
        targets=[_target(t) for t in targets],
        townships=[
            ScorecardOut(
                township_code=tally.township_code,
                decided=tally.decided,
                scores=[
                    ScoreOut(
                        indicator=s.indicator,
                        value=None if s.value is None else str(s.value),
                        target=None if s.target is None else _plain(s.target),
                        met=s.met,
                        basis=s.basis,
                    )
                    for s in scores
                ],
                findings=[_finding(f) for f in found],
            )
            for tally, scores, found in cards
        ],
    )


@router.put(
    "/scorecard-targets/{county_code}/{year}",
    response_model=TargetOut,
    summary="Set a county's target for one indicator and year (its policy admin, R-OVS-1)",
)
async def put_target(
    county_code: County, year: Year, body: TargetIn, request: Request, principal: Admin
) -> TargetOut:
    ensure_county_level(principal, county_code, "scorecard targets")
    body = body.model_copy(update={"actor": principal.subject})
    return _target(await scoring.put_target(runtime_of(request, "approval"), county_code, year, body))


@router.post(
    "/scorecard-findings/{county_code}",
    response_model=FindingOut,
    status_code=201,
    summary="Record how a result was used: finding, action, follow-up date (结果运用, R-OVS-1)",
)
async def add_finding(
    county_code: County, body: FindingIn, request: Request, principal: Supervisor
) -> FindingOut:
    ensure_county_level(principal, county_code, "scorecard findings")
    if not body.township_code.startswith(county_code):
        raise InvalidField("township_code", f"{body.township_code} is not in county {county_code}")
    body = body.model_copy(update={"actor": principal.subject})
    return _finding(await scoring.add_finding(runtime_of(request, "approval"), county_code, body))
