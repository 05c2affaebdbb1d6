"""Referral's REST API (staff side)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.referral import repository as repo
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of

router = APIRouter(prefix="/referral/v1", tags=["referral"], responses=PROBLEM_RESPONSES)


class NeedsRecordOut(BaseModel):
    id: str
    case_ref: str
    county_code: str
    township_code: str
    need_type: str
    remaining_amount: str
    household_size: int
    status: str
    published_at: datetime
    withdrawn_at: datetime | None


@router.get("/cases/{case_id}/needs-records", response_model=list[NeedsRecordOut],
            summary="Needs records shared with partner charities for a case")
async def case_records(case_id: CaseId, request: Request) -> list[NeedsRecordOut]:
    async with runtime_of(request, "referral").reading() as session:
        rows = await repo.records_for(session, case_id)
    return [NeedsRecordOut(**{**r, "remaining_amount": str(r["remaining_amount"])}) for r in rows]
