"""GET /disbursement/v1/figures: disbursement's oversight figures as JSON or CSV (R-OVS-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.disbursement import figures as queries
from shared.api import runtime_of
from shared.figures import Filters, Format, answer, figure_filters

router = APIRouter(tags=["oversight"])


@router.get(
    "/figures",
    summary="Amounts paid by form, time to first payment, reserve funds (JSON or CSV)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def figures(
    request: Request, f: Annotated[Filters, Depends(figure_filters)], format: Format = None
) -> Response:
    async with runtime_of(request, "disbursement").reading() as session:
        body = await queries.figures(session, f)
    return answer(request, format, {"service": "disbursement", "filters": f.echo(), **body})
