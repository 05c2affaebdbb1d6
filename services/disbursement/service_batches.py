"""Bank batch payments (代发, R-AID-2): a county's bank settings (effective-dated: format, payer account,
receipt-check sample); a batch file per county or township and date of the approved transfers due, created
by a finance officer, approved by a second one (four eyes) and released to the bank. Accounts and names
are decrypted only to build the file, never logged; the file itself is not stored, only its SHA-256, and is
rebuilt identically at release (what was approved is what leaves)."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement import repository_bank as bank
from services.disbursement.bank_client import hand_off
from services.disbursement.domain.bankfile import (
    DEFAULT_FORMAT,
    FORMATS,
    BankFileError,
    Batch,
    Transfer,
    bank_format,
)
from services.disbursement.funds import Actor
from services.disbursement.service import PAYEE
from services.disbursement.settings import DisbursementSettings
from shared import clock
from shared.access import guard
from shared.errors import BusinessRuleViolated, Conflict, InvalidField, NotFound
from shared.reference import jurisdictions, township_county
from shared.runtime import Runtime

PAYER = "disbursement.bank.payer_account"
MAX_ITEMS = 5000
"""The most detail lines a bank takes in one 代发 file; what is left goes into the next batch."""


class BankSettingsIn(BaseModel):
    """A county's bank settings from a date on (policy is data: versions are kept, never edited)."""

    model_config = ConfigDict(extra="forbid")
    effective_from: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
    bank_format: Annotated[str, Field(description=f"One of: {', '.join(sorted(FORMATS))}")] = DEFAULT_FORMAT
    payer_account: Annotated[str, Field(pattern=r"^\d{8,30}$")]
    """The county finance bureau's account the transfers are paid from."""
    payer_name: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[^|\r\n\x00]+$")]
    receipt_sample_rate: Annotated[Decimal, Field(ge=0, le=1, decimal_places=4)] = Decimal("0.10")
    """Share of paid households asked whether the money arrived (到账核查)."""
    receipt_seed: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{8,64}$")] | None = None
    """Seed of the deterministic sample; a random one is chosen when not given."""
    actor: Actor = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    township_code: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None
    """One township's transfers only; the county's of every township when absent."""
    batch_date: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))] | None = None
    """The value date; transfers due on or before it are taken. Today (Asia/Shanghai) when absent."""
    actor: Actor = None


class BatchActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: Actor = None


def today() -> date:
    return clock.local_today()


async def set_settings(runtime: Runtime, county_code: str, body: BankSettingsIn) -> RowMapping:
    guard(county_code, None, "county")
    if not any(c["code"] == county_code for c in jurisdictions()["counties"]):
        raise NotFound(f"county {county_code} is not in the city's jurisdictions")
    if body.bank_format not in FORMATS:
        raise InvalidField("bank_format", f"unknown format; known: {', '.join(sorted(FORMATS))}")
    async with runtime.transaction() as session:
        if any(
            r["effective_from"] == body.effective_from
            for r in await bank.settings_history(session, county_code)
        ):
            raise Conflict(
                f"county {county_code} already has bank settings from {body.effective_from}",
                slug="settings-version-exists",
            )
        await bank.add_settings(
            session,
            {
                "county_code": county_code,
                "effective_from": body.effective_from,
                "bank_format": body.bank_format,
                "payer_account": runtime.cipher.encrypt(body.payer_account, context=PAYER),
                "payer_name": body.payer_name,
                "receipt_sample_rate": body.receipt_sample_rate,
                "receipt_seed": body.receipt_seed or secrets.token_hex(16),
                "set_by": body.actor,
            },
        )
        row = await bank.settings_on(session, county_code, body.effective_from)
    if row is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return row


async def settings_in_force(session: AsyncSession, county_code: str, day: date) -> RowMapping:
    row = await bank.settings_on(session, county_code, day)
    if row is None:
        raise Conflict(
            f"county {county_code} has no bank settings in force on {day}: set them first "
            f"(PUT /disbursement/v1/counties/{county_code}/bank-settings)",
            slug="no-bank-settings",
        )
    return row


def _batch_file(runtime: Runtime, settings: Any, batch_no: str, day: date, items: list[Any]) -> Batch:
    """Decrypt the payees (here only) into the file's transfers; a payee the layout cannot carry is a 409
    naming the payment, never its name or account."""
    transfers = []
    for seq, item in enumerate(items, start=1):
        payee = json.loads(runtime.cipher.decrypt(item["payee"], context=PAYEE))
        transfers.append(
            Transfer(
                seq=seq,
                account=payee["account"],
                name=payee["name"],
                amount=item["amount"],
                reference=item["reference"],
            )
        )
    return Batch(
        batch_no=batch_no,
        batch_date=day,
        payer_account=runtime.cipher.decrypt(settings["payer_account"], context=PAYER),
        payer_name=settings["payer_name"],
        transfers=tuple(transfers),
    )


def render(
    runtime: Runtime, settings: Any, batch_no: str, day: date, format_name: str, items: list[Any]
) -> bytes:
    try:
        return bank_format(format_name).render(_batch_file(runtime, settings, batch_no, day, items))
    except BankFileError as exc:
        what = (
            f"payment {items[exc.line - 2]['reference']}" if 2 <= exc.line <= len(items) + 1 else "the header"
        )
        raise Conflict(
            f"{what}: the {exc.field} cannot go into a {format_name} file ({exc.message})",
            slug="not-bankable",
        ) from exc


async def create_batch(runtime: Runtime, body: BatchIn) -> RowMapping:
    if body.township_code and township_county(body.township_code) != body.county_code:
        raise InvalidField(
            "township_code", f"township {body.township_code} is not in county {body.county_code}"
        )
    guard(body.county_code, body.township_code, "county")
    day = body.batch_date or today()
    async with runtime.transaction() as session:
        # one batch at a time per county: its numbering and its choice of transfers
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"bank-batch:{body.county_code}")))
        )
        settings = await settings_in_force(session, body.county_code, day)
        rows = (await bank.batchable(session, body.county_code, body.township_code, day))[:MAX_ITEMS]
        if not rows:
            raise Conflict("no approved bank transfer is due and outside a batch", slug="nothing-to-pay")
        batch_no = (
            f"{body.county_code}{day:%Y%m%d}{await bank.batches_on(session, body.county_code, day) + 1:03d}"
        )
        content = render(runtime, settings, batch_no, day, settings["bank_format"], rows)
        batch_id = str(uuid.uuid4())
        await bank.add_batch(
            session,
            {
                "id": batch_id,
                "batch_no": batch_no,
                "county_code": body.county_code,
                "township_code": body.township_code,
                "batch_date": day,
                "bank_format": settings["bank_format"],
                "status": "created",
                "item_count": len(rows),
                "total_amount": sum((r["amount"] for r in rows), Decimal("0.00")),
                "file_sha256": hashlib.sha256(content).hexdigest(),
                "created_by": body.actor,
                "created_at": clock.now(),
                "delivery": "pending",
            },
            [
                {
                    "batch_id": batch_id,
                    "seq": seq,
                    "instruction_id": r["id"],
                    "attempt": r["attempt"],
                    "reference": r["reference"],
                    "amount": r["amount"],
                }
                for seq, r in enumerate(rows, start=1)
            ],
        )
        return await _batch(session, batch_id)


async def _batch(session: AsyncSession, batch_id: str, *, for_update: bool = False) -> RowMapping:
    row = await bank.batch(session, batch_id, for_update=for_update)
    if row is None:
        raise NotFound(f"batch {batch_id} not found")
    guard(row["county_code"], row["township_code"], "batch")
    return row


async def approve(runtime: Runtime, batch_id: str, body: BatchActionIn) -> RowMapping:
    """Four eyes: a second finance officer, not the one who created the batch, approves it (R-AID-2)."""
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row["status"] != "created":
            raise Conflict(f"batch {row['batch_no']} is {row['status']}", slug="batch-state")
        if row["created_by"] == body.actor:
            raise BusinessRuleViolated(
                "who created a batch cannot approve it: a second finance officer must (four eyes)",
                slug="separation-of-duties",
            )
        await bank.update_batch(
            session, batch_id, status="approved", approved_by=body.actor, approved_at=clock.now()
        )
        return await _batch(session, batch_id)


async def _content(runtime: Runtime, session: AsyncSession, row: Any) -> bytes:
    """Rebuild the approved file; refuse if anything in it changed since approval."""
    items = await bank.batch_items(session, row["id"])
    stale = [
        i["reference"] for i in items if i["payment_status"] != "scheduled" or i["attempt_status"] != "sent"
    ]
    if stale:
        raise Conflict(
            f"batch {row['batch_no']}: {len(stale)} payment(s) changed since approval (e.g. {stale[0]})",
            slug="batch-changed",
        )
    settings = await settings_in_force(session, row["county_code"], row["batch_date"])
    content = render(runtime, settings, row["batch_no"], row["batch_date"], row["bank_format"], list(items))
    if hashlib.sha256(content).hexdigest() != row["file_sha256"]:
        raise Conflict(f"batch {row['batch_no']} is no longer the file approved", slug="batch-changed")
    return content


async def release(runtime: Runtime, batch_id: str, body: BatchActionIn) -> RowMapping:
    """Release an approved batch and hand it to the bank; a failed hand-off is recorded and re-sent."""
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row["status"] != "approved":
            raise Conflict(
                f"batch {row['batch_no']} is {row['status']}: only an approved batch is released",
                slug="batch-state",
            )
        content = await _content(runtime, session, row)
        await bank.update_batch(
            session, batch_id, status="released", released_by=body.actor, released_at=clock.now()
        )
    return await _deliver(runtime, batch_id, row["batch_no"], content, row["file_sha256"])


async def resend(runtime: Runtime, batch_id: str) -> RowMapping:
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row["status"] != "released" or row["delivery"] == "delivered":
            raise Conflict(
                f"batch {row['batch_no']} is {row['status']} ({row['delivery']}): nothing to re-send",
                slug="batch-state",
            )
        content = await _content(runtime, session, row)
    return await _deliver(runtime, batch_id, row["batch_no"], content, row["file_sha256"])


async def _deliver(runtime: Runtime, batch_id: str, batch_no: str, content: bytes, sha256: str) -> RowMapping:
    try:
        channel = hand_off(cast(DisbursementSettings, runtime.settings))
    except ValueError as exc:
        outcome: tuple[bool, str | None] = (False, str(exc))
    else:
        delivery = await channel.deliver(batch_no, content, sha256)
        outcome = (delivery.delivered, delivery.detail)
    async with runtime.transaction() as session:
        await bank.update_batch(
            session,
            batch_id,
            delivery="delivered" if outcome[0] else "failed",
            delivery_error=outcome[1],
            delivered_at=clock.now() if outcome[0] else None,
        )
        return await _batch(session, batch_id)


async def cancel(runtime: Runtime, batch_id: str, body: BatchActionIn) -> RowMapping:
    """Withdraw a batch that never left (created or approved, e.g. refused at release as changed): its
    transfers are free for the next batch. The batch row keeps its count, total and hash; the audit log
    keeps who cancelled it."""
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row["status"] not in ("created", "approved"):
            raise Conflict(
                f"batch {row['batch_no']} is {row['status']}: only a batch not yet released is cancelled",
                slug="batch-state",
            )
        await bank.release_items(session, batch_id)
        await bank.update_batch(
            session, batch_id, status="cancelled", delivery_error=f"cancelled by {body.actor}"
        )
        return await _batch(session, batch_id)
