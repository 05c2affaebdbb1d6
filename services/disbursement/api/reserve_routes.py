"""Disbursement's reserve-fund reporting routes (R-RES-2): county settings, township reports (submit,
query, answer, acknowledge, CSV), the overdue list, top-ups (four eyes) and the year-end settlement.

Who does what: a township's own officer (``finance_officer`` or ``township_approver`` with that township in
the token) submits and answers its reports; the county supervises — a county-level ``finance_officer``
(county finance bureau) or ``county_approver`` (county civil affairs) queries, acknowledges and approves
top-ups; a county-level ``finance_officer`` settles the year."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from services.disbursement.domain.errors import CountyDecides, TownshipReports
from services.disbursement.domain.model import ReportEvent, ReserveReport, ReserveSettings, Settlement, TopUp
from services.disbursement.domain.reserve_rules import ReportStatus
from services.disbursement.repository import reserve_records as reserve_repo
from services.disbursement.schemas import (
    AcknowledgeIn,
    AnswerIn,
    DecisionIn,
    OverdueOut,
    QueryIn,
    ReportEventOut,
    ReportIn,
    ReportOut,
    ReserveSettingsIn,
    ReserveSettingsOut,
    SettlementIn,
    SettlementOut,
    TopUpIn,
    TopUpOut,
)
from services.disbursement.service import reserve
from shared.access import STAFF, ensure_county_level, ensure_covers, is_county_level, require, scope
from shared.api import UUID_PATTERN, runtime_of
from shared.auth import Principal, Role
from shared.errors import NotFound

router = APIRouter(tags=["disbursement reserve-fund reports"])

Reader = Annotated[Principal, Depends(require(*STAFF))]
Setter = Annotated[Principal, Depends(require(Role.finance_officer, Role.policy_admin))]
TownshipOfficer = Annotated[Principal, Depends(require(Role.finance_officer, Role.township_approver))]
CountyOfficer = Annotated[Principal, Depends(require(Role.finance_officer, Role.county_approver))]
Finance = Annotated[Principal, Depends(require(Role.finance_officer))]
Oversight = Annotated[Principal, Depends(require(Role.finance_officer, Role.auditor, Role.county_approver))]
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Township = Annotated[str, Path(pattern=r"^\d{9}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
Id = Annotated[str, Path(pattern=UUID_PATTERN)]
CountyQ = Annotated[str | None, Query(pattern=r"^\d{6}$")]
TownshipQ = Annotated[str | None, Query(pattern=r"^\d{9}$")]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
Body = TypeVar(
    "Body", ReserveSettingsIn, ReportIn, QueryIn, AnswerIn, AcknowledgeIn, TopUpIn, DecisionIn, SettlementIn
)


def _by(body: Body, principal: Principal) -> Body:
    return body.model_copy(update={"actor": principal.subject})


def _county_only(principal: Principal, what: str) -> None:
    if not is_county_level(principal):
        raise CountyDecides(what)


def _own_township(principal: Principal, township_code: str) -> None:
    if principal.township_code != township_code:
        raise TownshipReports(township_code)


def _settings_out(row: ReserveSettings) -> ReserveSettingsOut:
    return ReserveSettingsOut(**asdict(row))


def _report_out(row: ReserveReport, history: list[ReportEvent] | None = None) -> ReportOut:
    return ReportOut(
        **{**asdict(row), "opening": str(row.opening), "closing": str(row.closing)},
        history=[
            ReportEventOut(**{k: v for k, v in asdict(e).items() if k not in ("id", "report_id")})
            for e in history or []
        ],
    )


def _top_up_out(row: TopUp) -> TopUpOut:
    return TopUpOut(**{**asdict(row), "amount": str(row.amount)})


def _settlement_out(row: Settlement) -> SettlementOut:
    return SettlementOut(**{**asdict(row), "amount": str(row.amount)})


@router.put(
    "/counties/{county_code}/reserve-settings",
    response_model=ReserveSettingsOut,
    status_code=201,
    summary="Set a county's reserve-fund reporting from a date on: monthly/quarterly, grace days, year end",
)
async def set_settings(
    county_code: County, body: ReserveSettingsIn, request: Request, principal: Setter
) -> ReserveSettingsOut:
    ensure_county_level(principal, county_code, "reserve-fund reporting setting")
    row = await reserve.set_settings(runtime_of(request, "disbursement"), county_code, _by(body, principal))
    return _settings_out(row)


@router.get(
    "/counties/{county_code}/reserve-settings",
    response_model=list[ReserveSettingsOut],
    summary="A county's reserve-fund reporting settings, every version",
)
async def settings(county_code: County, request: Request, principal: Reader) -> list[ReserveSettingsOut]:
    if principal.county_code not in (None, county_code):
        raise NotFound("county not found")
    async with runtime_of(request, "disbursement").reading() as session:
        return [_settings_out(r) for r in await reserve_repo.settings_history(session, county_code)]


@router.post(
    "/reserve-funds/{township_code}/reports",
    response_model=ReportOut,
    status_code=201,
    summary="Submit a township's reserve-fund report of an ended period, generated from the ledger (R-RES-2)",
    responses={403: {"description": "not the township's own officer"}, 409: {"description": "period open"}},
)
async def submit(
    township_code: Township, body: ReportIn, request: Request, principal: TownshipOfficer
) -> ReportOut:
    _own_township(principal, township_code)
    return _report_out(
        await reserve.submit(runtime_of(request, "disbursement"), township_code, _by(body, principal))
    )


@router.get(
    "/reserve-reports",
    response_model=list[ReportOut],
    summary="Reserve-fund reports in the caller's jurisdiction (R-RES-2)",
)
async def reports(
    request: Request,
    principal: Reader,
    county_code: CountyQ = None,
    township_code: TownshipQ = None,
    year: YearQ = None,
    status: ReportStatus | None = None,
) -> list[ReportOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    rows = await reserve.list_reports(
        runtime_of(request, "disbursement"), county_code, township_code, year, status
    )
    return [_report_out(r) for r in rows]


@router.get(
    "/reserve-reports/overdue",
    response_model=list[OverdueOut],
    summary="Overdue reserve-fund reports: ended periods past the county's grace days, not submitted",
)
async def overdue(
    request: Request, principal: Oversight, county_code: CountyQ = None, township_code: TownshipQ = None
) -> list[OverdueOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    rows = await reserve.overdue_list(runtime_of(request, "disbursement"), county_code, township_code)
    return [OverdueOut(**asdict(r)) for r in rows]


@router.get(
    "/reserve-reports/{report_id}",
    response_model=ReportOut,
    summary="A reserve-fund report with its history; ?format=csv or ?format=pdf for the report itself",
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
async def report(
    report_id: Id, request: Request, principal: Reader, format: Literal["json", "csv", "pdf"] = "json"
) -> ReportOut | Response:
    row, history = await reserve.report_with_history(runtime_of(request, "disbursement"), report_id)
    name = f"reserve-{row.township_code}-{row.period}"
    if format == "pdf":
        return Response(
            reserve.report_pdf(row),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    if format == "csv":
        return Response(
            reserve.report_csv(row),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return _report_out(row, history)


@router.post(
    "/reserve-reports/{report_id}/query",
    response_model=ReportOut,
    summary="The county queries a submitted report with a question (R-RES-2)",
)
async def query(report_id: Id, body: QueryIn, request: Request, principal: CountyOfficer) -> ReportOut:
    _county_only(principal, "querying a reserve-fund report")
    return _report_out(
        await reserve.query(runtime_of(request, "disbursement"), report_id, _by(body, principal))
    )


@router.post(
    "/reserve-reports/{report_id}/answer",
    response_model=ReportOut,
    summary="The township answers the county's question and resubmits the report, regenerated (R-RES-2)",
)
async def answer(report_id: Id, body: AnswerIn, request: Request, principal: TownshipOfficer) -> ReportOut:
    if principal.township_code is None:
        raise TownshipReports("of the report")
    return _report_out(
        await reserve.answer(runtime_of(request, "disbursement"), report_id, _by(body, principal))
    )


@router.post(
    "/reserve-reports/{report_id}/acknowledgement",
    response_model=ReportOut,
    summary="The county acknowledges a submitted report (R-RES-2)",
)
async def acknowledge(
    report_id: Id, body: AcknowledgeIn, request: Request, principal: CountyOfficer
) -> ReportOut:
    _county_only(principal, "acknowledging a reserve-fund report")
    return _report_out(
        await reserve.acknowledge(runtime_of(request, "disbursement"), report_id, _by(body, principal))
    )


@router.post(
    "/reserve-funds/{township_code}/{year}/top-ups",
    response_model=TopUpOut,
    status_code=201,
    summary="Request a top-up of a township's reserve fund; the county approves it (four eyes)",
)
async def request_top_up(
    township_code: Township, year: Year, body: TopUpIn, request: Request, principal: Finance
) -> TopUpOut:
    ensure_covers(principal, township_code[:6], township_code, "reserve fund")
    row = await reserve.request_top_up(
        runtime_of(request, "disbursement"), township_code, year, _by(body, principal)
    )
    return _top_up_out(row)


@router.get("/reserve-top-ups", response_model=list[TopUpOut], summary="Reserve-fund top-ups")
async def top_ups(
    request: Request,
    principal: Reader,
    county_code: CountyQ = None,
    township_code: TownshipQ = None,
    year: YearQ = None,
) -> list[TopUpOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    rows = await reserve.list_top_ups(runtime_of(request, "disbursement"), county_code, township_code, year)
    return [_top_up_out(r) for r in rows]


@router.post(
    "/reserve-top-ups/{top_up_id}/approval",
    response_model=TopUpOut,
    summary="Approve a top-up (county level, not its requester): a ledger entry, the balance grows",
)
async def approve_top_up(
    top_up_id: Id, body: DecisionIn, request: Request, principal: CountyOfficer
) -> TopUpOut:
    _county_only(principal, "approving a reserve-fund top-up")
    row = await reserve.decide_top_up(
        runtime_of(request, "disbursement"), top_up_id, _by(body, principal), approve=True
    )
    return _top_up_out(row)


@router.post(
    "/reserve-top-ups/{top_up_id}/rejection",
    response_model=TopUpOut,
    summary="Reject a top-up (county level, not its requester)",
)
async def reject_top_up(
    top_up_id: Id, body: DecisionIn, request: Request, principal: CountyOfficer
) -> TopUpOut:
    _county_only(principal, "rejecting a reserve-fund top-up")
    row = await reserve.decide_top_up(
        runtime_of(request, "disbursement"), top_up_id, _by(body, principal), approve=False
    )
    return _top_up_out(row)


@router.post(
    "/reserve-funds/{township_code}/{year}/settlement",
    response_model=SettlementOut,
    status_code=201,
    summary="Year-end settlement: carry over or return the balance (county setting), once (409 after)",
)
async def settle(
    township_code: Township, year: Year, body: SettlementIn, request: Request, principal: Finance
) -> SettlementOut:
    ensure_county_level(principal, township_code[:6], "year-end settlement")
    row = await reserve.settle(runtime_of(request, "disbursement"), township_code, year, _by(body, principal))
    return _settlement_out(row)


@router.get(
    "/reserve-funds/{township_code}/{year}/settlement",
    response_model=SettlementOut,
    summary="A township's year-end settlement",
)
async def settlement(
    township_code: Township, year: Year, request: Request, principal: Reader
) -> SettlementOut:
    ensure_covers(principal, township_code[:6], township_code, "reserve fund")
    async with runtime_of(request, "disbursement").reading() as session:
        row = await reserve_repo.settlement(session, township_code, year)
    if row is None:
        raise NotFound(f"the {year} reserve fund of {township_code} is not settled")
    return _settlement_out(row)
