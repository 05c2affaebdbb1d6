"""Disbursement's bank-file routes: county bank settings, batch files (create, approve, release, re-send),
return files (import and reconcile), the reconciliation exceptions queue and receipt checks."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.disbursement.domain.bankfile import FORMATS
from services.disbursement.domain.model import (
    PAYER,
    BankBatch,
    BankSettings,
    BatchItem,
    ImportedReturnFile,
    ImportedStatement,
    ReceiptCheck,
)
from services.disbursement.repository import bank
from services.disbursement.repository import instructions as repo
from services.disbursement.schemas import (
    BankSettingsIn,
    BankSettingsOut,
    BatchActionIn,
    BatchIn,
    BatchItemOut,
    BatchOut,
    ExceptionOut,
    FetchedReturnOut,
    ImportResult,
    OutcomeIn,
    ReceiptCheckOut,
    ResolutionIn,
    ReturnFileIn,
    ReturnFileOut,
    ReturnLineOut,
    StatementIn,
    StatementOut,
)
from services.disbursement.service import batches, receipts, returns, statements
from shared.access import STAFF, ensure_covers, require, scope
from shared.api import UUID_PATTERN, runtime_of
from shared.auth import Principal, Role
from shared.errors import InvalidField, NotFound
from shared.idnumber import mask_account
from shared.runtime import Runtime

router = APIRouter(tags=["disbursement bank files"])

Reader = Annotated[Principal, Depends(require(*STAFF))]
Finance = Annotated[Principal, Depends(require(Role.finance_officer))]
Setter = Annotated[Principal, Depends(require(Role.finance_officer, Role.policy_admin))]
Oversight = Annotated[Principal, Depends(require(Role.finance_officer, Role.auditor, Role.county_approver))]
Township = Annotated[
    Principal, Depends(require(Role.intake_clerk, Role.township_reviewer, Role.township_approver))
]
County = Annotated[str, Path(pattern=r"^\d{6}$")]
Id = Annotated[str, Path(pattern=UUID_PATTERN)]
CountyQ = Annotated[str | None, Query(pattern=r"^\d{6}$")]
TownshipQ = Annotated[str | None, Query(pattern=r"^\d{9}$")]
Limit = Annotated[int, Query(ge=1, le=5000)]


def _by(body: Any, principal: Principal) -> Any:
    return body.model_copy(update={"actor": principal.subject})


def _settings_out(runtime: Runtime, row: BankSettings) -> BankSettingsOut:
    account = runtime.cipher.decrypt(row.payer_account, context=PAYER)
    return BankSettingsOut(
        **{
            **asdict(row),
            "payer_account": mask_account(account),
            "receipt_sample_rate": str(row.receipt_sample_rate),
        }
    )


def _batch_out(row: BankBatch, items: list[BatchItem] | None = None) -> BatchOut:
    return BatchOut(
        **{**asdict(row), "total_amount": str(row.total_amount)},
        items=[
            BatchItemOut(**{**asdict(i), "amount": str(i.amount)})
            for i in items or []  # no payee: names and accounts never leave in an answer
        ],
    )


def _receipt_out(row: ReceiptCheck, case_no: str | None) -> ReceiptCheckOut:
    return ReceiptCheckOut(**{**asdict(row), "case_no": case_no, "amount": str(row.amount)})


def import_out(row: ImportedReturnFile, created: bool) -> ImportResult:
    return ImportResult(**{**asdict(row), "already_imported": not created})


def statement_out(row: ImportedStatement, created: bool) -> StatementOut:
    return StatementOut(**{**asdict(row), "already_imported": not created})


@router.get("/bank-formats", response_model=list[str], summary="The bank file formats a county may choose")
async def formats(principal: Reader) -> list[str]:
    return sorted(FORMATS)


@router.put(
    "/counties/{county_code}/bank-settings",
    response_model=BankSettingsOut,
    status_code=201,
    summary="Set a county's bank settings from a date on: format, payer account, receipt-check sample",
)
async def set_bank_settings(
    county_code: County, body: BankSettingsIn, request: Request, principal: Setter
) -> BankSettingsOut:
    runtime = runtime_of(request, "disbursement")
    row = await batches.set_settings(runtime, county_code, _by(body, principal))
    return _settings_out(runtime, row)


@router.get(
    "/counties/{county_code}/bank-settings",
    response_model=list[BankSettingsOut],
    summary="A county's bank settings, every version (payer account masked)",
)
async def bank_settings(county_code: County, request: Request, principal: Oversight) -> list[BankSettingsOut]:
    ensure_covers(principal, county_code, None, "county")
    runtime = runtime_of(request, "disbursement")
    async with runtime.reading() as session:
        rows = await bank.settings_history(session, county_code)
    return [_settings_out(runtime, r) for r in rows]


@router.post(
    "/bank-batches",
    response_model=BatchOut,
    status_code=201,
    summary="Create a batch file (代发) of a county's or township's approved transfers due by a date",
)
async def create_batch(body: BatchIn, request: Request, principal: Finance) -> BatchOut:
    runtime = runtime_of(request, "disbursement")
    row = await batches.create_batch(runtime, _by(body, principal))
    return await _one(request, row.id, principal)


@router.get("/bank-batches", response_model=list[BatchOut], summary="Batch files, newest first")
async def list_batches(
    request: Request,
    principal: Oversight,
    county_code: CountyQ = None,
    township_code: TownshipQ = None,
    status: Annotated[
        str | None, Query(pattern=r"^(created|approved|released|reconciled|cancelled)$")
    ] = None,
    limit: Limit = 100,
) -> list[BatchOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "disbursement").reading() as session:
        rows = await bank.list_batches(session, county_code, township_code, status, limit)
    return [_batch_out(r) for r in rows]


async def _one(request: Request, batch_id: str, principal: Principal) -> BatchOut:
    async with runtime_of(request, "disbursement").reading() as session:
        row = await bank.batch(session, batch_id)
        if row is None:
            raise NotFound(f"batch {batch_id} not found")
        ensure_covers(principal, row.county_code, row.township_code, "batch")
        items = await bank.batch_items(session, batch_id)
    return _batch_out(row, items)


@router.get("/bank-batches/{batch_id}", response_model=BatchOut, summary="A batch file with its items")
async def get_batch(batch_id: Id, request: Request, principal: Oversight) -> BatchOut:
    return await _one(request, batch_id, principal)


@router.post(
    "/bank-batches/{batch_id}/approval",
    response_model=BatchOut,
    summary="Approve a batch: a second finance officer, not its creator (409 otherwise)",
)
async def approve_batch(
    batch_id: Id, request: Request, principal: Finance, body: BatchActionIn | None = None
) -> BatchOut:
    body = _by(body or BatchActionIn(), principal)
    await batches.approve(runtime_of(request, "disbursement"), batch_id, body)
    return await _one(request, batch_id, principal)


@router.post(
    "/bank-batches/{batch_id}/release",
    response_model=BatchOut,
    summary="Release an approved batch and hand it to the bank (delivery recorded: delivered or failed)",
)
async def release_batch(
    batch_id: Id, request: Request, principal: Finance, body: BatchActionIn | None = None
) -> BatchOut:
    body = _by(body or BatchActionIn(), principal)
    await batches.release(runtime_of(request, "disbursement"), batch_id, body)
    return await _one(request, batch_id, principal)


@router.post(
    "/bank-batches/{batch_id}/cancellation",
    response_model=BatchOut,
    summary="Cancel a batch not yet released; its transfers go into the next batch",
)
async def cancel_batch(
    batch_id: Id, request: Request, principal: Finance, body: BatchActionIn | None = None
) -> BatchOut:
    body = _by(body or BatchActionIn(), principal)
    await batches.cancel(runtime_of(request, "disbursement"), batch_id, body)
    return await _one(request, batch_id, principal)


@router.post(
    "/bank-batches/{batch_id}/delivery",
    response_model=BatchOut,
    summary="Re-send a released batch whose hand-off to the bank failed (the same file)",
)
async def resend_batch(batch_id: Id, request: Request, principal: Finance) -> BatchOut:
    await batches.resend(runtime_of(request, "disbursement"), batch_id)
    return await _one(request, batch_id, principal)


@router.post(
    "/bank-returns",
    response_model=ImportResult,
    status_code=201,
    summary="Import a bank return file (回盘) and reconcile it; the same file again changes nothing (200)",
    responses={
        200: {"description": "This file was imported before; nothing changed", "model": ImportResult},
        413: {
            "description": "The request is larger than the services take (problem+json)",
            "content": {"application/problem+json": {"schema": {"type": "object"}}},
        },
        422: {
            "description": "A malformed file: the problem names the line (`line`) and the field (`field`); "
            "nothing of the file is applied",
            "content": {"application/problem+json": {"schema": {"type": "object"}}},
        },
    },
)
async def import_return(
    body: ReturnFileIn, request: Request, response: Response, principal: Finance
) -> ImportResult:
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except binascii.Error as exc:
        raise InvalidField("content_base64", "is not base64") from exc
    row, created = await returns.import_return(runtime_of(request, "disbursement"), data, principal.subject)
    if not created:
        response.status_code = 200
    return import_out(row, created)


@router.post(
    "/bank-returns:fetch",
    response_model=list[FetchedReturnOut],
    summary="Fetch the return files from the bank's SFTP outbox and import each once (R-AID-2)",
    responses={
        409: {
            "description": "The SFTP server is not configured, not reachable, or showed a host key that "
            "is not the pinned one (problem+json `bank-unreachable`)",
            "content": {"application/problem+json": {"schema": {"type": "object"}}},
        }
    },
)
async def fetch_returns(request: Request, principal: Finance) -> list[FetchedReturnOut]:
    done = await returns.fetch_from_bank(runtime_of(request, "disbursement"), principal.subject)
    return [FetchedReturnOut(**asdict(f)) for f in done]


@router.post(
    "/bank-statements",
    response_model=StatementOut,
    status_code=201,
    summary="Import the payer account's statement (对账单) and check it against what the bank reported paid",
    responses={
        200: {"description": "This statement was imported before; nothing changed", "model": StatementOut}
    },
)
async def import_statement(
    body: StatementIn, request: Request, response: Response, principal: Finance
) -> StatementOut:
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except binascii.Error as exc:
        raise InvalidField("content_base64", "is not base64") from exc
    row, created = await statements.import_statement(
        runtime_of(request, "disbursement"), body.county_code, data, principal.subject
    )
    if not created:
        response.status_code = 200
    return statement_out(row, created)


@router.get("/bank-returns/{return_id}", response_model=ReturnFileOut, summary="An imported return file")
async def get_return(return_id: Id, request: Request, principal: Oversight) -> ReturnFileOut:
    async with runtime_of(request, "disbursement").reading() as session:
        row = await bank.return_file(session, return_id)
        batch = await bank.batch(session, row.batch_id) if row else None
        if row is None or batch is None:
            raise NotFound(f"return file {return_id} not found")
        ensure_covers(principal, batch.county_code, batch.township_code, "return file")
        lines = await bank.return_lines(session, return_id)
    return ReturnFileOut(
        **{**asdict(row), "already_imported": True},
        lines=[ReturnLineOut(**{**asdict(line), "amount": str(line.amount)}) for line in lines],
    )


@router.get(
    "/reconciliation-exceptions",
    response_model=list[ExceptionOut],
    summary="The reconciliation exceptions queue: return lines that did not match, money that did not arrive",
)
async def list_exceptions(
    request: Request,
    principal: Oversight,
    county_code: CountyQ = None,
    township_code: TownshipQ = None,
    status: Annotated[str | None, Query(pattern=r"^(open|resolved)$")] = None,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,30}$")] = None,
    return_file_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
    limit: Limit = 1000,
) -> list[ExceptionOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "disbursement").reading() as session:
        rows = await bank.list_exceptions(
            session, county_code, township_code, status, kind, return_file_id, limit
        )
    return [ExceptionOut(**asdict(r)) for r in rows]


@router.post(
    "/reconciliation-exceptions/{exception_id}/resolution",
    response_model=ExceptionOut,
    summary="Resolve an exception, saying what was done (409 if already resolved)",
)
async def resolve_exception(
    exception_id: Annotated[int, Path(ge=1, le=2**62)],
    body: ResolutionIn,
    request: Request,
    principal: Finance,
) -> ExceptionOut:
    row = await returns.resolve_exception(
        runtime_of(request, "disbursement"), exception_id, _by(body, principal)
    )
    return ExceptionOut(**asdict(row))


@router.get(
    "/receipt-checks",
    response_model=list[ReceiptCheckOut],
    summary="Receipt checks (到账核查): sampled paid households to ask whether the money arrived",
)
async def list_receipt_checks(
    request: Request,
    principal: Reader,
    county_code: CountyQ = None,
    township_code: TownshipQ = None,
    status: Annotated[str | None, Query(pattern=r"^(open|done)$")] = None,
    limit: Limit = 1000,
) -> list[ReceiptCheckOut]:
    county_code, township_code = scope(principal, county_code, township_code)
    async with runtime_of(request, "disbursement").reading() as session:
        rows = await bank.list_receipt_checks(session, county_code, township_code, status, limit)
    return [_receipt_out(r, r.case_no) for r in rows]


@router.post(
    "/receipt-checks/{check_id}/outcome",
    response_model=ReceiptCheckOut,
    summary="Record whether the money arrived; 'not_arrived' raises a reconciliation exception",
)
async def record_receipt(
    check_id: Id, body: OutcomeIn, request: Request, principal: Township
) -> ReceiptCheckOut:
    runtime = runtime_of(request, "disbursement")
    row = await receipts.record_outcome(runtime, check_id, _by(body, principal))
    async with runtime.reading() as session:
        owner = await repo.beneficiary(session, row.case_id)
    return _receipt_out(row, owner.case_no if owner else None)
