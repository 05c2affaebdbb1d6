"""The audit log's REST API, per service: entries (scoped to the caller's jurisdiction like every list),
verification against the chain and the latest checkpoint, checkpoints on demand, and the export for
auditors (JSON lines with their MACs). Entries are kept at least six months (网络安全法 art. 21, 等保 level
3): no code path deletes them, the database refuses it, and any future archiving must keep that floor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Select, Table, select

from shared.access import require, scope
from shared.api import PROBLEM_RESPONSES
from shared.auth import Principal, Role
from shared.errors import Conflict
from shared.runtime import Runtime

COUNTY = Query(pattern=r"^\d{6}$", description="Only entries of this county (within your jurisdiction)")
TOWNSHIP = Query(pattern=r"^\d{9}$", description="Only entries of this township (within your jurisdiction)")
EXPORT_BATCH = 1000


class AuditEntryOut(BaseModel):
    id: int
    seq: int
    at: datetime
    actor: str
    roles: str
    kind: str
    action: str
    target: dict[str, Any]
    ip: str | None
    reason: str | None
    request_id: str | None
    county_code: str | None
    township_code: str | None
    status: int | None
    key_id: str | None
    prev_hash: str
    hash: str
    """The entry's MAC: HMAC-SHA256 with audit key ``key_id`` over ``prev_hash`` and the entry."""


class CheckpointOut(BaseModel):
    service: str
    last_id: int
    last_mac: str
    count: int
    at: str
    key_id: str
    signature: str


class ChainOut(BaseModel):
    intact: bool
    entries: int
    first_broken_id: int | None
    head: str | None = None
    problems: list[str] = []
    """What is wrong, in words: the first changed entry, entries missing from the end, a truncation."""
    checkpoint: CheckpointOut | None = None
    """The latest checkpoint outside the database the table was held against (None: none written yet)."""
    missing_entries: int = 0
    truncated: bool = False


def _scoped(query: Select[Any], table: Table, county: str | None, township: str | None) -> Select[Any]:
    if county is not None:
        query = query.where(table.c.county_code == county)
    if township is not None:
        query = query.where(table.c.township_code == township)
    return query


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _export_query(
    table: Table,
    after: int,
    place: tuple[str | None, str | None],
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    query = _scoped(select(table).where(table.c.id > after), table, *place)
    if since is not None:
        query = query.where(table.c.at >= since)
    if until is not None:
        query = query.where(table.c.at < until)
    return query.order_by(table.c.id).limit(EXPORT_BATCH)


async def _export_lines(
    runtime: Runtime, place: tuple[str | None, str | None], since: datetime | None, until: datetime | None
) -> AsyncIterator[bytes]:
    """Keyset-paginated batches, each in a short read of its own (no transaction held open for hours)."""
    after = 0
    while True:
        async with runtime.sessions() as session:
            rows = (
                (await session.execute(_export_query(runtime.audit_table, after, place, since, until)))
                .mappings()
                .all()
            )
        for row in rows:
            line = AuditEntryOut(**row).model_dump(mode="json")
            yield json.dumps(line, ensure_ascii=False, sort_keys=True).encode() + b"\n"
        if len(rows) < EXPORT_BATCH:
            return
        after = rows[-1]["id"]


def audit_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/{service}/v1/audit", tags=[f"{service} audit"], responses=PROBLEM_RESPONSES)
    auditor = Depends(require(Role.auditor))
    anchor_roles = Depends(require(Role.auditor, Role.policy_admin))

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtimes[service]
        return runtime

    @router.get(
        "/entries",
        response_model=list[AuditEntryOut],
        summary="The audit log, oldest first (auditors; only entries of your jurisdiction)",
    )
    async def entries(
        request: Request,
        principal: Principal = auditor,
        after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        county_code: Annotated[str | None, COUNTY] = None,
        township_code: Annotated[str | None, TOWNSHIP] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[AuditEntryOut]:
        runtime = runtime_of(request)
        table = runtime.audit_table
        place = scope(principal, county_code, township_code)
        query = (
            _scoped(select(table).where(table.c.id > after), table, *place).order_by(table.c.id).limit(limit)
        )
        if actor:
            query = query.where(table.c.actor == actor)
        async with runtime.reading() as session:
            rows = (await session.execute(query)).mappings().all()
        return [AuditEntryOut(**r) for r in rows]

    @router.get(
        "/export",
        response_class=StreamingResponse,
        summary="Export for auditors: JSON lines with their MACs, oldest first (your jurisdiction only)",
        responses={200: {"content": {"application/x-ndjson": {}}, "description": "One entry per line"}},
    )
    async def export(
        request: Request,
        principal: Principal = auditor,
        since: Annotated[datetime | None, Query(description="From this instant (inclusive)")] = None,
        until: Annotated[datetime | None, Query(description="Before this instant (exclusive)")] = None,
        county_code: Annotated[str | None, COUNTY] = None,
        township_code: Annotated[str | None, TOWNSHIP] = None,
    ) -> StreamingResponse:
        place = scope(principal, county_code, township_code)
        lines = _export_lines(runtime_of(request), place, _aware(since), _aware(until))
        return StreamingResponse(lines, media_type="application/x-ndjson")

    @router.get(
        "/verify",
        response_model=ChainOut,
        summary="Recompute the keyed chain and hold it against the latest checkpoint outside the database",
    )
    async def verify_chain(request: Request, principal: Principal = auditor) -> ChainOut:
        if principal.county_code is not None:
            scope(principal, None, None)  # notes the caller's place; the whole chain is verified
        verdict = await runtime_of(request).verify_audit()
        return ChainOut(**verdict.__dict__)

    @router.post(
        "/checkpoints",
        response_model=CheckpointOut,
        status_code=201,
        summary="Write a signed checkpoint of the chain outside the database now (auditors, policy admins)",
    )
    async def checkpoint(request: Request, _: Principal = anchor_roles) -> CheckpointOut:
        made = await runtime_of(request).checkpoint()
        if made is None:
            raise Conflict("the audit log is still empty: there is nothing to checkpoint")
        return CheckpointOut(**made)

    return router
