"""Changes to a beneficiary's bank account (R-AID-2): every change audited; before the case has an approval
it applies at once, after it it needs its own approval by someone other than the requester. Payments
already instructed go to the account as approved; retries use the account approved at that time."""

from __future__ import annotations

import json
import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping

from services.disbursement import repository as repo
from services.disbursement.funds import Actor, Note
from shared import clock
from shared.access import guard
from shared.contracts.intake import Payee
from shared.errors import BusinessRuleViolated, Conflict, NotFound
from shared.idnumber import mask_account, mask_name
from shared.runtime import Runtime

PAYEE = "disbursement.payee"


class PayeeChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    bank: Annotated[str, Field(min_length=1, max_length=100)]
    account: Annotated[str, Field(pattern=r"^\d{8,30}$")]
    actor: Actor = None
    reason: Note


class ChangeDecision(StrEnum):
    approved = "approved"
    rejected = "rejected"


class ChangeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: ChangeDecision
    actor: Actor = None
    reason: Note


async def request_change(runtime: Runtime, case_id: str, body: PayeeChangeIn) -> RowMapping:
    async with runtime.transaction() as session:
        beneficiary = await repo.beneficiary(session, case_id, for_update=True)
        if beneficiary is None:
            raise NotFound(f"case {case_id} is not known to disbursement")
        guard(beneficiary["county_code"], beneficiary["township_code"])
        after_approval = (
            await repo.approved(session, case_id) is not None
            or await repo.help_first(session, case_id) is not None
        )
        new = runtime.cipher.encrypt(
            Payee(name=body.name, bank=body.bank, account=body.account).model_dump_json(), context=PAYEE
        )
        change_id = str(uuid.uuid4())
        await repo.add_payee_change(
            session,
            {
                "id": change_id,
                "case_id": case_id,
                "old_payee": beneficiary["payee"],
                "new_payee": new,
                "status": "pending" if after_approval else "applied",
                "requested_by": body.actor,
                "reason": body.reason,
                "requested_at": clock.now(),
            },
        )
        if not after_approval:
            await repo.set_payee(session, case_id, new)
        row = await repo.payee_change(session, change_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def decide_change(runtime: Runtime, change_id: str, body: ChangeDecisionIn) -> RowMapping:
    async with runtime.transaction() as session:
        change = await repo.payee_change(session, change_id, for_update=True)
        if change is None:
            raise NotFound(f"payee change {change_id} not found")
        owner = await repo.beneficiary(session, change["case_id"])
        guard(
            owner["county_code"] if owner else None, owner["township_code"] if owner else None, "payee change"
        )
        if change["status"] != "pending":
            raise Conflict(f"payee change {change_id} is {change['status']}", slug="change-already-decided")
        if change["requested_by"] == body.actor:
            raise BusinessRuleViolated(
                "who requested an account change cannot approve it", slug="separation-of-duties"
            )
        await repo.beneficiary(session, change["case_id"], for_update=True)
        await repo.update_payee_change(
            session,
            change_id,
            status=body.decision.value,
            decided_by=body.actor,
            decision_reason=body.reason,
            decided_at=clock.now(),
        )
        if body.decision is ChangeDecision.approved:
            await repo.set_payee(session, change["case_id"], change["new_payee"])
        row = await repo.payee_change(session, change_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


def masked(runtime: Runtime, token: str | None) -> dict[str, str] | None:
    if token is None:
        return None
    payee = json.loads(runtime.cipher.decrypt(token, context=PAYEE))
    return {
        "name": mask_name(payee["name"]),
        "bank": payee["bank"],
        "account": mask_account(payee["account"]),
    }


def change_out(runtime: Runtime, row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "case_id": row["case_id"],
        "status": row["status"],
        "old": masked(runtime, row["old_payee"]),
        "new": masked(runtime, row["new_payee"]),
        "requested_by": row["requested_by"],
        "reason": row["reason"],
        "requested_at": row["requested_at"],
        "decided_by": row["decided_by"],
        "decision_reason": row["decision_reason"],
        "decided_at": row["decided_at"],
    }
