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
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.disbursement.adapters.bank_handoff import hand_off
from services.disbursement.domain.bankfile import FORMATS, Batch, Transfer, bank_format
from services.disbursement.domain.errors import (
    BankFileError,
    BatchChanged,
    BatchNotFound,
    BatchState,
    CountyNotFound,
    NoBankSettings,
    NotBankable,
    NothingToPay,
    SeparationOfDuties,
    SettingsVersionExists,
)
from services.disbursement.domain.model import (
    PAYEE,
    PAYER,
    AttemptStatus,
    BankBatch,
    BankSettings,
    BatchableTransfer,
    BatchItem,
    BatchStatus,
    DeliveryStatus,
    PaymentStatus,
)
from services.disbursement.repository import bank
from services.disbursement.repository.instructions import lock
from services.disbursement.schemas import BankSettingsIn, BatchActionIn, BatchIn
from services.disbursement.settings import DisbursementSettings
from shared import clock
from shared.access import guard
from shared.domain_errors import InvalidValue
from shared.reference import jurisdictions, township_county
from shared.runtime import Runtime

MAX_ITEMS = 5000
"""The most detail lines a bank takes in one 代发 file; what is left goes into the next batch."""


def today() -> date:
    return clock.local_today()


async def set_settings(runtime: Runtime, county_code: str, body: BankSettingsIn) -> BankSettings:
    guard(county_code, None, "county")
    if not any(c["code"] == county_code for c in jurisdictions()["counties"]):
        raise CountyNotFound(county_code)
    if body.bank_format not in FORMATS:
        raise InvalidValue("bank_format", f"unknown format; known: {', '.join(sorted(FORMATS))}")
    async with runtime.transaction() as session:
        if any(
            r.effective_from == body.effective_from for r in await bank.settings_history(session, county_code)
        ):
            raise SettingsVersionExists(
                f"county {county_code} already has bank settings from {body.effective_from}"
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


async def settings_in_force(session: AsyncSession, county_code: str, day: date) -> BankSettings:
    row = await bank.settings_on(session, county_code, day)
    if row is None:
        raise NoBankSettings(
            f"county {county_code} has no bank settings in force on {day}: set them first "
            f"(PUT /disbursement/v1/counties/{county_code}/bank-settings)"
        )
    return row


def _batch_file(
    runtime: Runtime,
    settings: BankSettings,
    batch_no: str,
    day: date,
    items: Sequence[BatchableTransfer | BatchItem],
) -> Batch:
    """Decrypt the payees (here only) into the file's transfers; a payee the layout cannot carry is a 409
    naming the payment, never its name or account."""
    transfers = []
    for seq, item in enumerate(items, start=1):
        payee = json.loads(runtime.cipher.decrypt(item.payee, context=PAYEE))
        transfers.append(
            Transfer(
                seq=seq,
                account=payee["account"],
                name=payee["name"],
                amount=item.amount,
                reference=item.reference,
            )
        )
    return Batch(
        batch_no=batch_no,
        batch_date=day,
        payer_account=runtime.cipher.decrypt(settings.payer_account, context=PAYER),
        payer_name=settings.payer_name,
        transfers=tuple(transfers),
    )


def render(
    runtime: Runtime,
    settings: BankSettings,
    batch_no: str,
    day: date,
    format_name: str,
    items: Sequence[BatchableTransfer | BatchItem],
) -> bytes:
    try:
        return bank_format(format_name).render(_batch_file(runtime, settings, batch_no, day, items))
    except BankFileError as exc:
        what = f"payment {items[exc.line - 2].reference}" if 2 <= exc.line <= len(items) + 1 else "the header"
        raise NotBankable(
            f"{what}: the {exc.field} cannot go into a {format_name} file ({exc.message})"
        ) from exc


async def create_batch(runtime: Runtime, body: BatchIn) -> BankBatch:
    if body.township_code and township_county(body.township_code) != body.county_code:
        raise InvalidValue(
            "township_code", f"township {body.township_code} is not in county {body.county_code}"
        )
    guard(body.county_code, body.township_code, "county")
    day = body.batch_date or today()
    async with runtime.transaction() as session:
        # one batch at a time per county: its numbering and its choice of transfers
        await lock(session, f"bank-batch:{body.county_code}")
        settings = await settings_in_force(session, body.county_code, day)
        rows = (await bank.batchable(session, body.county_code, body.township_code, day))[:MAX_ITEMS]
        if not rows:
            raise NothingToPay("no approved bank transfer is due and outside a batch")
        batch_no = (
            f"{body.county_code}{day:%Y%m%d}{await bank.batches_on(session, body.county_code, day) + 1:03d}"
        )
        content = render(runtime, settings, batch_no, day, settings.bank_format, rows)
        batch_id = str(uuid.uuid4())
        await bank.add_batch(
            session,
            {
                "id": batch_id,
                "batch_no": batch_no,
                "county_code": body.county_code,
                "township_code": body.township_code,
                "batch_date": day,
                "bank_format": settings.bank_format,
                "status": BatchStatus.created,
                "item_count": len(rows),
                "total_amount": sum((r.amount for r in rows), Decimal("0.00")),
                "file_sha256": hashlib.sha256(content).hexdigest(),
                "created_by": body.actor,
                "created_at": clock.now(),
                "delivery": DeliveryStatus.pending,
            },
            [
                {
                    "batch_id": batch_id,
                    "seq": seq,
                    "instruction_id": r.id,
                    "attempt": r.attempt,
                    "reference": r.reference,
                    "amount": r.amount,
                }
                for seq, r in enumerate(rows, start=1)
            ],
        )
        return await _batch(session, batch_id)


async def _batch(session: AsyncSession, batch_id: str, *, for_update: bool = False) -> BankBatch:
    row = await bank.batch(session, batch_id, for_update=for_update)
    if row is None:
        raise BatchNotFound(batch_id)
    guard(row.county_code, row.township_code, "batch")
    return row


async def approve(runtime: Runtime, batch_id: str, body: BatchActionIn) -> BankBatch:
    """Four eyes: a second finance officer, not the one who created the batch, approves it (R-AID-2)."""
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row.status is not BatchStatus.created:
            raise BatchState(f"batch {row.batch_no} is {row.status}")
        if row.created_by == body.actor:
            raise SeparationOfDuties(
                "who created a batch cannot approve it: a second finance officer must (four eyes)"
            )
        await bank.update_batch(
            session, batch_id, status=BatchStatus.approved, approved_by=body.actor, approved_at=clock.now()
        )
        return await _batch(session, batch_id)


async def _content(runtime: Runtime, session: AsyncSession, row: BankBatch) -> bytes:
    """Rebuild the approved file; refuse if anything in it changed since approval."""
    items = await bank.batch_items(session, row.id)
    stale = [
        i.reference
        for i in items
        if i.payment_status is not PaymentStatus.scheduled or i.attempt_status is not AttemptStatus.sent
    ]
    if stale:
        raise BatchChanged(
            f"batch {row.batch_no}: {len(stale)} payment(s) changed since approval (e.g. {stale[0]})"
        )
    settings = await settings_in_force(session, row.county_code, row.batch_date)
    content = render(runtime, settings, row.batch_no, row.batch_date, row.bank_format, list(items))
    if hashlib.sha256(content).hexdigest() != row.file_sha256:
        raise BatchChanged(f"batch {row.batch_no} is no longer the file approved")
    return content


async def release(runtime: Runtime, batch_id: str, body: BatchActionIn) -> BankBatch:
    """Release an approved batch and hand it to the bank; a failed hand-off is recorded and re-sent."""
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row.status is not BatchStatus.approved:
            raise BatchState(f"batch {row.batch_no} is {row.status}: only an approved batch is released")
        content = await _content(runtime, session, row)
        await bank.update_batch(
            session, batch_id, status=BatchStatus.released, released_by=body.actor, released_at=clock.now()
        )
    return await _deliver(runtime, row, content)


async def resend(runtime: Runtime, batch_id: str) -> BankBatch:
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row.status is not BatchStatus.released or row.delivery is DeliveryStatus.delivered:
            raise BatchState(f"batch {row.batch_no} is {row.status} ({row.delivery}): nothing to re-send")
        content = await _content(runtime, session, row)
    return await _deliver(runtime, row, content)


async def _deliver(runtime: Runtime, row: BankBatch, content: bytes) -> BankBatch:
    """Hand the file to the county's bank (HTTPS or SFTP); the outcome, and why not, goes on the batch."""
    batch_id = row.id
    try:
        channel = hand_off(cast(DisbursementSettings, runtime.settings), row.county_code)
    except ValueError as exc:
        outcome: tuple[bool, str | None] = (False, str(exc))
    else:
        delivery = await channel.deliver(row.batch_no, content, row.file_sha256)
        outcome = (delivery.delivered, delivery.detail)
    async with runtime.transaction() as session:
        await bank.update_batch(
            session,
            batch_id,
            delivery=DeliveryStatus.delivered if outcome[0] else DeliveryStatus.failed,
            delivery_error=outcome[1],
            delivered_at=clock.now() if outcome[0] else None,
        )
        return await _batch(session, batch_id)


async def cancel(runtime: Runtime, batch_id: str, body: BatchActionIn) -> BankBatch:
    """Withdraw a batch that never left (created or approved, e.g. refused at release as changed): its
    transfers are free for the next batch. The batch row keeps its count, total and hash; the audit log
    keeps who cancelled it."""
    async with runtime.transaction() as session:
        row = await _batch(session, batch_id, for_update=True)
        if row.status not in (BatchStatus.created, BatchStatus.approved):
            raise BatchState(
                f"batch {row.batch_no} is {row.status}: only a batch not yet released is cancelled"
            )
        await bank.release_items(session, batch_id)
        await bank.update_batch(
            session, batch_id, status=BatchStatus.cancelled, delivery_error=f"cancelled by {body.actor}"
        )
        return await _batch(session, batch_id)
