"""Disbursement's REST API."""

from __future__ import annotations

import json
from datetime import date, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.disbursement import repository as repo
from services.disbursement.service import PAYEE
from shared.api import PROBLEM_RESPONSES, CaseId, runtime_of
from shared.idnumber import mask_account, mask_name

router = APIRouter(prefix="/disbursement/v1", tags=["disbursement"], responses=PROBLEM_RESPONSES)


class PaymentOut(BaseModel):
    id: str
    case_id: str
    stage: int
    reference: str
    amount: str
    channel: str
    payee_name: str
    payee_account: str
    status: str
    due_on: date
    created_at: datetime


@router.get("/cases/{case_id}/payments", response_model=list[PaymentOut],
            summary="A case's payment instructions (payee masked)")
async def case_payments(case_id: CaseId, request: Request) -> list[PaymentOut]:
    runtime = runtime_of(request, "disbursement")
    async with runtime.reading() as session:
        rows = await repo.instructions_for(session, case_id)
    out = []
    for r in rows:
        payee = json.loads(runtime.cipher.decrypt(r["payee"], context=PAYEE))
        out.append(PaymentOut(**{**r, "amount": str(r["amount"]), "payee_name": mask_name(payee["name"]),
                                 "payee_account": mask_account(payee["account"])}))
    return out
