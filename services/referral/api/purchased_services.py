"""Referral's REST API for purchased services and incentives (政府购买服务, 激励扶持; R-CHA-3): a county's
contracts with partners and their performance, rewards and commendations (staff, bearer JWTs), and the
published ranking of a county's partners for a period (public: partner names, USCC and figures only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from services.referral.api.partner import PartnerId
from services.referral.api.staff import Admin, Directory, Oversight
from services.referral.schemas import (
    AmendmentIn,
    CancellationIn,
    ContractIn,
    ContractOut,
    ContractPerformanceOut,
    RankedOut,
    RankingOut,
    RewardIn,
    RewardOut,
    TermsOut,
    fields_of,
)
from services.referral.service import contracts as service
from shared import clock
from shared.access import ensure_covers
from shared.api import FIRST_DAY, LAST_DAY, PROBLEM_RESPONSES, UUID_PATTERN, runtime_of
from shared.csvexport import to_csv
from shared.domain_errors import InvalidValue

router = APIRouter(prefix="/referral/v1", tags=["referral: purchased services"], responses=PROBLEM_RESPONSES)
ContractId = Annotated[str, Path(pattern=UUID_PATTERN, description="The contract id")]
Day = Annotated[date, Query(ge=FIRST_DAY, le=LAST_DAY)]
ORDER = (
    "fulfilment_rate desc (none last), acceptance_rate desc, avg_response_seconds asc (none last), "
    "amount_delivered desc, uscc asc, partner_id asc; equal figures share a rank"
)
CSV_COLUMNS = (
    "rank",
    "partner_id",
    "name",
    "uscc",
    "offers",
    "accepted",
    "fulfilled",
    "acceptance_rate",
    "fulfilment_rate",
    "avg_response_seconds",
    "amount_delivered",
)


@router.post(
    "/contracts",
    status_code=201,
    response_model=ContractOut,
    summary="Record a purchased-service contract (政府购买服务) of a county with a partner (R-CHA-3)",
    description="The county's policy admin (or the city's). 404 for an unknown partner; 409 "
    "`contract-overlaps` when the partner already has a contract in the county sharing a day with this "
    "period, 409 naming `procurement_ref` when the tender reference is taken, naming `partner_id` when the "
    "partner is a government scheme or serves no area of the county; 422 when the period ends before it "
    "starts.",
)
async def create_contract(body: ContractIn, request: Request, principal: Admin) -> ContractOut:
    row = await service.create_contract(
        runtime_of(request, "referral"), body.model_dump(mode="python"), principal.subject
    )
    return ContractOut.of(row)


@router.get(
    "/contracts/{contract_id}",
    response_model=ContractOut,
    summary="One purchased-service contract: its terms in force today, as signed, its amendments and "
    "cancellation",
)
async def get_contract(contract_id: ContractId, request: Request, principal: Oversight) -> ContractOut:
    async with runtime_of(request, "referral").reading() as session:
        view = await service.view_of(session, contract_id)
    ensure_covers(principal, view.contract.county_code, None, "contract")
    return ContractOut.of(view)


@router.post(
    "/contracts/{contract_id}/amendments",
    status_code=201,
    response_model=ContractOut,
    summary="Amend a contract: budget, target volumes or a later end, from an effective date (R-CHA-3)",
    description="The county's policy admin (or the city's); a new revision, the earlier ones kept. 404 for "
    "an unknown contract or another county's; 409 `contract-cancelled` for a cancelled one, "
    "`budget-below-spent` when the budget is below what was delivered plus what accepted offers hold, "
    "`contract-overlaps` when an extension reaches the partner's next contract; 422 naming `effective_on` "
    "(before the start, after the end, before the latest amendment's date), `ends_on` (not later than the "
    "end in force), `budget` (zero or negative).",
)
async def amend_contract(
    contract_id: ContractId, body: AmendmentIn, request: Request, principal: Admin
) -> ContractOut:
    view = await service.amend(
        runtime_of(request, "referral"), contract_id, body.model_dump(mode="python"), principal.subject
    )
    return ContractOut.of(view)


@router.post(
    "/contracts/{contract_id}/cancellation",
    status_code=201,
    response_model=ContractOut,
    summary="Cancel (terminate early) a contract from an effective date, with a reason (R-CHA-3)",
    description="The county's policy admin (or the city's). From `effective_on` on the contract counts no "
    "offer; it stays readable. 404 for an unknown contract or another county's; 409 `contract-cancelled` "
    "when already cancelled; 422 naming `effective_on` before the contract's start or after its end.",
)
async def cancel_contract(
    contract_id: ContractId, body: CancellationIn, request: Request, principal: Admin
) -> ContractOut:
    view = await service.cancel(
        runtime_of(request, "referral"), contract_id, body.model_dump(mode="python"), principal.subject
    )
    return ContractOut.of(view)


@router.get(
    "/contracts/{contract_id}/performance",
    response_model=ContractPerformanceOut,
    summary="A contract's performance: offers accepted and fulfilled, amounts delivered against the "
    "targets and budget in force, response times (R-CHA-3)",
    description="As of the local day `on` (default today): measured against the terms in force on that day "
    "(the latest amendment effective on or before it, else the terms as signed), over the partner's offers "
    "in the county from the contract's start to `counted_to`.",
)
async def contract_performance(
    contract_id: ContractId,
    request: Request,
    principal: Oversight,
    on: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="the day asked")] = None,
) -> ContractPerformanceOut:
    day = on or clock.local_today()
    async with runtime_of(request, "referral").reading() as session:
        view, terms, counted_to, figures = await service.performance_of(session, contract_id, day)
    ensure_covers(principal, view.contract.county_code, None, "contract")
    return ContractPerformanceOut(
        contract=ContractOut.of(view),
        on=day,
        terms=TermsOut(**fields_of(terms, TermsOut)),
        counted_to=counted_to,
        **figures,
    )


@router.get(
    "/partners/{partner_id}/contracts",
    response_model=list[ContractOut],
    summary="A partner's purchased-service contracts (of the caller's county), cancelled ones too",
)
async def partner_contracts(
    partner_id: PartnerId, request: Request, principal: Oversight
) -> list[ContractOut]:
    async with runtime_of(request, "referral").reading() as session:
        views = await service.views_of_partner(session, partner_id, principal.county_code)
    return [ContractOut.of(v) for v in views]


@router.post(
    "/partners/{partner_id}/rewards",
    status_code=201,
    response_model=RewardOut,
    summary="Record a reward or commendation (激励扶持) a county gives a partner (R-CHA-3)",
    description="The county's policy admin (or the city's); 404 for an unknown partner, 409 naming "
    "`partner_id` when it serves no area of the county.",
)
async def add_reward(partner_id: PartnerId, body: RewardIn, request: Request, principal: Admin) -> RewardOut:
    row = await service.add_reward(
        runtime_of(request, "referral"), partner_id, body.model_dump(mode="python"), principal.subject
    )
    return RewardOut.of(row)


@router.get(
    "/partners/{partner_id}/rewards",
    response_model=list[RewardOut],
    summary="A partner's rewards and commendations, newest first (county staff: their county's)",
)
async def partner_rewards(partner_id: PartnerId, request: Request, principal: Directory) -> list[RewardOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await service.rewards_of(session, partner_id, principal.county_code)
    return [RewardOut.of(r) for r in rows]


@router.get(
    "/rankings",
    response_model=RankingOut,
    summary="The published ranking of a county's partners for a period (public; JSON or CSV)",
    description="Public-safe: partner names, USCC and figures only. Over the offers made in the county "
    f"from `from` to `to` (local days, inclusive). Order: {ORDER}.",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def rankings(
    request: Request,
    county_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    start: Annotated[date, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)],
    end: Annotated[date, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)],
    format: Literal["json", "csv"] = "json",
) -> Response:
    if end < start:
        raise InvalidValue("to", "the period ends before it starts")
    async with runtime_of(request, "referral").reading() as session:
        ranked = await service.rank(session, county_code, start, end)
    rows = [
        RankedOut(rank=r.rank, partner_id=r.partner_id, name=r.name, uscc=r.uscc, **r.figures.shown())
        for r in ranked
    ]
    if format == "csv":
        body = to_csv(CSV_COLUMNS, (r.model_dump(mode="json") for r in rows))
        name = f"partner-ranking-{county_code}-{start}-{end}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    out = RankingOut(county_code=county_code, start=start, end=end, order=ORDER, partners=rows)
    return Response(out.model_dump_json(by_alias=True), media_type="application/json")
