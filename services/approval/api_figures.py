"""GET /approval/v1/figures: approval's oversight figures as JSON or CSV (R-OVS-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.approval import figures as queries
from shared.api import runtime_of
from shared.figures import Filters, Format, answer, figure_filters

router = APIRouter(tags=["oversight"])


@router.get(
    "/figures",
    summary="Decisions, escalations, amounts, months, speed and help first (JSON or CSV)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def figures(
    request: Request, f: Annotated[Filters, Depends(figure_filters)], format: Format = None
) -> Response:
    async with runtime_of(request, "approval").reading() as session:
        body = await queries.figures(session, f)
    return answer(request, format, {"service": "approval", "filters": f.echo(), **body})
