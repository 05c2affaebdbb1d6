"""Changes to a beneficiary's bank account (R-AID-2), four eyes always: a change is never applied by the
person who asked for it, before or after the approval of the case. It waits, pending, until a second
authorised person (another subject, an approver or finance officer of the case's jurisdiction) approves or
rejects it; until then payments go to the account on record, or wait when there is none. Approving it
schedules the payments that were waiting for an account and publishes PayeeChangeApproved naming the
payments it affects. Payments already instructed keep their account; a retry uses the account approved at
that time. An amended application (intake revision) whose account differs becomes such a change too."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement import repository as repo
from services.disbursement.funds import Actor, Note
from shared import clock
from shared.access import guard
from shared.contracts.disbursement import PayeeChangeApproved
from shared.contracts.intake import Payee
from shared.errors import BusinessRuleViolated, Conflict, NotFound
from shared.idnumber import mask_account, mask_name
from shared.runtime import Runtime

PAYEE = "disbursement.payee"
RETRYABLE = ("failed", "returned")


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


class ChangeStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"


class ChangeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: ChangeDecision
    actor: Actor = None
    reason: Note


class PayeeOut(BaseModel):
    name: str
    """Masked, e.g. 张*明."""
    bank: str
    account: str
    """Masked, e.g. 6222********3445."""


class PayeeChangeOut(BaseModel):
    id: str
    case_id: str
    status: str
    """pending, approved, rejected, or superseded (a later amendment of the application replaced it)."""
    old: PayeeOut | None
    new: PayeeOut | None
    requested_by: str
    reason: str
    requested_at: datetime
    decided_by: str | None
    decision_reason: str | None
    decided_at: datetime | None


async def request_change(runtime: Runtime, case_id: str, body: PayeeChangeIn) -> RowMapping:
    """R-AID-2: recorded as pending, never applied here (one pending change per case at a time)."""
    async with runtime.transaction() as session:
        beneficiary = await repo.beneficiary(session, case_id, for_update=True)
        if beneficiary is None:
            raise NotFound(f"case {case_id} is not known to disbursement")
        guard(beneficiary["county_code"], beneficiary["township_code"])
        if await repo.pending_payee_change(session, case_id) is not None:
            raise Conflict(
                f"case {case_id} already has an account change awaiting a second person (R-AID-2)",
                slug="payee-change-pending",
            )
        sealed = runtime.cipher.encrypt(
            Payee(name=body.name, bank=body.bank, account=body.account).model_dump_json(), context=PAYEE
        )
        change_id = await _add_pending(session, beneficiary, sealed, str(body.actor), body.reason)
        row = await repo.payee_change(session, change_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def _add_pending(
    session: AsyncSession, beneficiary: RowMapping, sealed: str, requested_by: str, reason: str
) -> str:
    change_id = str(uuid.uuid4())
    await repo.add_payee_change(
        session,
        {
            "id": change_id,
            "case_id": beneficiary["case_id"],
            "old_payee": beneficiary["payee"],
            "new_payee": sealed,
            "status": "pending",
            "requested_by": requested_by,
            "reason": reason,
            "requested_at": clock.now(),
        },
    )
    return change_id


async def on_amended_payee(
    runtime: Runtime, session: AsyncSession, case_id: str, payee_json: str | None, amended_by: str | None
) -> None:
    """An amended application whose account differs from the one on record (and from any pending change)
    is a change like any other (R-AID-2): pending, requested by whoever amended it; an older pending
    change is superseded."""
    beneficiary = await repo.beneficiary(session, case_id, for_update=True)
    if beneficiary is None or payee_json is None:
        return
    new = Payee.model_validate_json(payee_json)
    pending = await repo.pending_payee_change(session, case_id)
    for known in (beneficiary["payee"], pending["new_payee"] if pending else None):
        if known is not None and _payee(runtime, known) == new:
            return
    if pending is not None:
        await repo.update_payee_change(
            session,
            pending["id"],
            status="superseded",
            decided_by=amended_by or "intake",
            decision_reason="replaced by a later amendment of the application",
            decided_at=clock.now(),
        )
    sealed = runtime.cipher.encrypt(new.model_dump_json(), context=PAYEE)
    await _add_pending(
        session, beneficiary, sealed, amended_by or "intake", "account changed by an amendment"
    )


def _payee(runtime: Runtime, sealed: str) -> Payee:
    return Payee.model_validate_json(runtime.cipher.decrypt(sealed, context=PAYEE))


async def decide_change(runtime: Runtime, change_id: str, body: ChangeDecisionIn) -> RowMapping:
    from services.disbursement.service import schedule

    async with runtime.transaction() as session:
        change = await repo.payee_change(session, change_id, for_update=True)
        if change is None:
            raise NotFound(f"payee change {change_id} not found")
        owner = await repo.beneficiary(session, change["case_id"], for_update=True)
        guard(
            owner["county_code"] if owner else None, owner["township_code"] if owner else None, "payee change"
        )
        if change["status"] != "pending":
            raise Conflict(f"payee change {change_id} is {change['status']}", slug="change-already-decided")
        if body.actor is None or change["requested_by"] == body.actor:
            raise BusinessRuleViolated(
                "who asked for an account change cannot decide it: a second person does (R-AID-2)",
                slug="separation-of-duties",
                rule="R-AID-2",
            )
        now = clock.now()
        await repo.update_payee_change(
            session,
            change_id,
            status=body.decision.value,
            decided_by=body.actor,
            decision_reason=body.reason,
            decided_at=now,
        )
        if body.decision is ChangeDecision.approved:
            await _apply(runtime, session, change, body.actor, now, schedule)
        row = await repo.payee_change(session, change_id)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def _apply(
    runtime: Runtime, session: AsyncSession, change: RowMapping, approver: str, now: datetime, schedule: Any
) -> None:
    case_id = change["case_id"]
    before = {r["id"] for r in await repo.instructions_for(session, case_id)}
    await repo.set_payee(session, case_id, change["new_payee"])
    await schedule(runtime, session, case_id)  # payments that waited for an account are instructed now
    rows = await repo.instructions_for(session, case_id)
    scheduled = [r["id"] for r in rows if r["id"] not in before]
    retry = [r["id"] for r in rows if r["status"] in RETRYABLE and r["channel"] == "bank_transfer"]
    if scheduled or retry:
        await runtime.outbox.add(
            session,
            PayeeChangeApproved(
                case_id=case_id,
                change_id=change["id"],
                requested_by=change["requested_by"],
                approved_by=approver,
                scheduled_instruction_ids=scheduled,
                awaiting_retry_instruction_ids=retry,
                approved_at=now,
            ),
            subject=case_id,
        )


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    county_code: str | None,
    township_code: str | None,
    limit: int,
) -> list[RowMapping]:
    return await repo.payee_changes_page(
        session, status=status, county_code=county_code, township_code=township_code, limit=limit
    )


def masked(runtime: Runtime, token: str | None) -> PayeeOut | None:
    if token is None:
        return None
    payee = json.loads(runtime.cipher.decrypt(token, context=PAYEE))
    return PayeeOut(name=mask_name(payee["name"]), bank=payee["bank"], account=mask_account(payee["account"]))


def change_out(runtime: Runtime, row: Any) -> PayeeChangeOut:
    return PayeeChangeOut(
        id=row["id"],
        case_id=row["case_id"],
        status=row["status"],
        old=masked(runtime, row["old_payee"]),
        new=masked(runtime, row["new_payee"]),
        requested_by=row["requested_by"],
        reason=row["reason"],
        requested_at=row["requested_at"],
        decided_by=row["decided_by"],
        decision_reason=row["decision_reason"],
        decided_at=row["decided_at"],
    )
