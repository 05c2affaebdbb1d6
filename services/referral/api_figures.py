"""GET /referral/v1/figures: referral's oversight figures as JSON or CSV (R-OVS-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.referral import figures as queries
from shared.api import PROBLEM_RESPONSES, runtime_of
from shared.figures import Filters, Format, answer, figure_filters

router = APIRouter(prefix="/referral/v1", tags=["oversight"], responses=PROBLEM_RESPONSES)


@router.get(
    "/figures",
    summary="Referrals offered, accepted, fulfilled and amounts, by partner (JSON or CSV)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def figures(
    request: Request, f: Annotated[Filters, Depends(figure_filters)], format: Format = None
) -> Response:
    async with runtime_of(request, "referral").reading() as session:
        body = await queries.figures(session, f)
    return answer(request, format, {"service": "referral", "filters": f.echo(), **body})
