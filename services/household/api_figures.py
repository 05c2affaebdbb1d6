"""GET /household/v1/figures: the household service's oversight figures as JSON or CSV (R-OVS-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.household import figures as queries
from shared.api import PROBLEM_RESPONSES, runtime_of
from shared.figures import Filters, Format, answer, figure_filters

router = APIRouter(prefix="/household/v1", tags=["oversight"], responses=PROBLEM_RESPONSES)


@router.get(
    "/figures",
    summary="Notices to households by kind and delivery status, cases by public stage (JSON or CSV)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def figures(
    request: Request, f: Annotated[Filters, Depends(figure_filters)], format: Format = None
) -> Response:
    async with runtime_of(request, "household").reading() as session:
        body = await queries.figures(session, f)
    return answer(request, format, {"service": "household", "filters": f.echo(), **body})
