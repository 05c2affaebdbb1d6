"""Disbursement's money-oversight routes: reserve funds (R-RES), the ledger (R-OVS-3), public disclosure."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from services.disbursement.domain.model import LedgerEntry, Place, ReserveFund
from services.disbursement.repository import instructions as repo
from services.disbursement.repository import ledger
from services.disbursement.schemas import AllocationIn, DrawIn, FundOut
from services.disbursement.service import funds
from services.disbursement.service.funds import day_start
from shared.access import STAFF, ensure_county_level, ensure_covers, require, scope
from shared.api import UUID_PATTERN, CaseId, runtime_of
from shared.auth import Principal, Role
from shared.errors import NotFound

router = APIRouter(tags=["disbursement funds"])

Reader = Annotated[Principal, Depends(require(*STAFF))]
Finance = Annotated[Principal, Depends(require(Role.finance_officer))]
Allocator = Annotated[Principal, Depends(require(Role.finance_officer, Role.policy_admin))]
Oversight = Annotated[Principal, Depends(require(Role.finance_officer, Role.auditor, Role.county_approver))]
Township = Annotated[str, Path(pattern=r"^\d{9}$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
CountyQ = Annotated[str, Query(pattern=r"^\d{6}$")]
LOW, HIGH = date(2000, 1, 1), date(2100, 12, 31)
From = Annotated[date | None, Query(alias="from", ge=LOW, le=HIGH)]
To = Annotated[date | None, Query(alias="to", ge=LOW, le=HIGH)]


def _fund(row: ReserveFund) -> FundOut:
    values = asdict(row)
    return FundOut(
        **{
            **values,
            **{k: str(values[k]) for k in ("proportion", "previous_year_spending", "allocated", "balance")},
        }
    )


def _jsonable(row: LedgerEntry | dict[str, Any]) -> dict[str, Any]:
    values = asdict(row) if isinstance(row, LedgerEntry) else row
    return {
        k: (str(v) if not isinstance(v, (int, str, type(None), datetime)) else v) for k, v in values.items()
    }


@router.post(
    "/reserve-funds/{township_code}",
    response_model=FundOut,
    status_code=201,
    summary="Allocate a township's yearly reserve fund: proportion × previous-year spending (R-RES-1)",
)
async def allocate(
    township_code: Township, body: AllocationIn, request: Request, principal: Allocator
) -> FundOut:
    # R-RES-1: the county's civil-affairs and finance departments allocate, never the township itself.
    ensure_county_level(principal, township_code[:6], "reserve-fund allocation")
    body = body.model_copy(update={"actor": principal.subject})
    return _fund(await funds.allocate(runtime_of(request, "disbursement"), township_code, body))


@router.get("/reserve-funds/{township_code}/{year}", response_model=FundOut, summary="A reserve fund")
async def get_fund(township_code: Township, year: Year, request: Request, principal: Reader) -> FundOut:
    ensure_covers(principal, township_code[:6], township_code, "reserve fund")
    async with runtime_of(request, "disbursement").reading() as session:
        row = await ledger.fund(session, township_code, year)
    if row is None:
        raise NotFound(f"no {year} reserve fund for township {township_code}")
    return _fund(row)


@router.post(
    "/reserve-funds/{township_code}/{year}/draws",
    status_code=201,
    summary="Draw from the reserve fund; refused (409) rather than go below zero (R-RES)",
)
async def draw(
    township_code: Township, year: Year, body: DrawIn, request: Request, principal: Finance
) -> dict[str, Any]:
    body = body.model_copy(update={"actor": principal.subject})
    return _jsonable(await funds.draw(runtime_of(request, "disbursement"), township_code, year, body))


@router.get("/reserve-funds/report", summary="Reserve-fund usage per township for the county (R-RES-2)")
async def usage_report(
    request: Request,
    principal: Oversight,
    county_code: CountyQ,
    year: Annotated[int, Query(ge=2000, le=2100)],
    start: From = None,
    end: To = None,
) -> list[dict[str, Any]]:
    _, township_code = scope(principal, county_code, None)
    rows = await funds.usage_report(runtime_of(request, "disbursement"), county_code, year, start, end)
    return [_jsonable(r) for r in rows if township_code is None or r["township_code"] == township_code]


@router.get(
    "/ledger", summary="The ledger (工作台账): every movement of money or goods, append-only (R-OVS-3)"
)
async def ledger_entries(
    request: Request,
    principal: Oversight,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    township_code: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    case_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[dict[str, Any]]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "disbursement").reading() as session:
        rows = await ledger.entries(
            session,
            county_code=county_code,
            township_code=township_code,
            case_id=case_id,
            start=day_start(start) if start else None,
            end=day_start(end + timedelta(days=1)) if end else None,
            limit=limit,
        )
    return [_jsonable(r) for r in rows]


@router.get("/cases/{case_id}/ledger", summary="A case's trail: allocation → draw → payment (R-OVS-3)")
async def case_ledger(case_id: CaseId, request: Request, principal: Reader) -> list[dict[str, Any]]:
    async with runtime_of(request, "disbursement").reading() as session:
        rows = await ledger.entries(session, case_id=case_id)
        place = await repo.case_place(session, case_id)
        if place is None and rows:
            place = Place(rows[0].county_code, rows[0].township_code)
        if place is None:  # an unknown case is not an empty ledger
            raise NotFound(f"case {case_id} is not known to disbursement")
        ensure_covers(principal, place.county_code, place.township_code)
        for row in rows:
            ensure_covers(principal, row.county_code, row.township_code)
        sources = {r.source_entry_id for r in rows if r.source_entry_id} - {r.id for r in rows}
        while sources:  # follow draws back to their allocation
            found = await ledger.entries_by_id(session, sources)
            rows += found
            sources = {r.source_entry_id for r in found if r.source_entry_id} - {r.id for r in rows}
    return [_jsonable(r) for r in sorted(rows, key=lambda r: r.id)]


@router.get("/ledger/reconciliation", summary="Reconcile the ledger with reserve balances and paid payments")
async def reconciliation(
    request: Request,
    principal: Oversight,
    county_code: CountyQ,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> dict[str, Any]:
    ensure_county_level(principal, county_code, "county reconciliation")
    report = await funds.reconciliation(runtime_of(request, "disbursement"), county_code, year)
    report["reserve_funds"] = [_jsonable(r) for r in report["reserve_funds"]]
    report["payments"] = [_jsonable(r) for r in report["payments"]]
    return report


@router.get(
    "/disclosures",
    summary="Public disclosure (向社会公布) per township and period, masked; JSON, CSV, or the PDF 发放清单",
    responses={200: {"content": {"application/json": {}, "text/csv": {}, "application/pdf": {}}}},
)
async def disclosure(
    request: Request,
    township_code: Annotated[str, Query(pattern=r"^\d{9}$")],
    start: Annotated[date, Query(alias="from", ge=LOW, le=HIGH)],
    end: Annotated[date, Query(alias="to", ge=LOW, le=HIGH)],
    format: Literal["json", "csv", "pdf"] = "json",
) -> Any:
    rows = await funds.disclosure(runtime_of(request, "disbursement"), township_code, start, end)
    if format == "pdf":  # 救助资金发放清单, archived by its hash (RFC 9530 Repr-Digest)
        pdf = funds.payment_list_pdf(township_code, start, end, rows)
        digest = base64.b64encode(hashlib.sha256(pdf).digest()).decode()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="payment-list-{township_code}-{start}.pdf"',
                "Repr-Digest": f"sha-256=:{digest}:",
            },
        )
    if format == "csv":
        return Response(
            funds.to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="disclosure-{township_code}-{start}-{end}.csv"'
            },
        )
    return {"township_code": township_code, "from": start, "to": end, "items": rows}
