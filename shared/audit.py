"""The audit log: who did or read what, when, from where and why — append-only and hash-chained.

Each service keeps its own chain (table ``<service>.audit_log``). The runtime appends one entry:
- in the same transaction as every state change made through an API call (``Runtime.transaction``), so a
  change without its audit entry cannot be committed;
- before any data is read through an API call (``Runtime.reading``), so nothing is disclosed unrecorded.

Entry n stores ``hash = sha256(prev_hash || canonical JSON of its fields)`` with ``prev_hash`` the hash of
entry n-1; appends are serialised by a transaction-scoped advisory lock. A database trigger refuses UPDATE
and DELETE; an edit made around it (e.g. by a superuser) is found by ``verify``, which recomputes the chain.
Entries hold ids and roles, never personal data: targets are path ids, never names or ID numbers.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, String, Table, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.access import Actor, require
from shared.auth import Principal, Role

GENESIS = "0" * 64


def add_audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("roles", String(300), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("action", String(300), nullable=False),
        Column("target", JSONB, nullable=False),
        Column("ip", String(64)),
        Column("reason", String(200)),
        Column("request_id", String(64)),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False, unique=True),
        extend_existing=True,
    )


def _canonical(entry: dict[str, Any]) -> bytes:
    fields = {
        k: entry[k]
        for k in ("at", "actor", "roles", "kind", "action", "target", "ip", "reason", "request_id")
    }
    fields["at"] = entry["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + _canonical(entry)).hexdigest()


async def append(session: AsyncSession, table: Table, actor: Actor, kind: str) -> None:
    """Append one entry to the chain inside the caller's transaction."""
    lock = zlib.crc32(f"audit:{table.schema}".encode())
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
    prev = (await session.execute(select(table.c.hash).order_by(table.c.id.desc()).limit(1))).scalar()
    p = actor.principal
    entry = {
        "at": clock.now(),
        "actor": p.subject[:200],
        "roles": ",".join(sorted(r.value for r in p.roles))[:300],
        "kind": kind,
        "action": actor.action[:300],
        "target": actor.target,
        "ip": actor.ip,
        "reason": actor.reason,
        "request_id": actor.request_id,
    }
    prev_hash = prev or GENESIS
    await session.execute(
        table.insert().values(**entry, prev_hash=prev_hash, hash=chain_hash(prev_hash, entry))
    )


async def verify(session: AsyncSession, table: Table) -> dict[str, Any]:
    """Recompute the whole chain; name the first entry that does not follow from the one before it."""
    prev_hash, count = GENESIS, 0
    result = await session.stream(select(table).order_by(table.c.id).execution_options(yield_per=1000))
    async for row in result.mappings():
        if row["prev_hash"] != prev_hash or chain_hash(prev_hash, dict(row)) != row["hash"]:
            return {"intact": False, "entries": count, "first_broken_id": row["id"]}
        prev_hash, count = row["hash"], count + 1
    return {"intact": True, "entries": count, "first_broken_id": None, "head": prev_hash}


def append_only_trigger_sql(schema: str) -> list[str]:
    """DDL for a migration: UPDATE and DELETE on the audit log are refused by the database itself."""
    return [
        f'''CREATE OR REPLACE FUNCTION "{schema}".audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql''',
        f'''CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "{schema}".audit_log
            FOR EACH ROW EXECUTE FUNCTION "{schema}".audit_log_append_only()''',
    ]


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    roles: str
    kind: str
    action: str
    target: dict[str, Any]
    ip: str | None
    reason: str | None
    request_id: str | None
    hash: str


class ChainOut(BaseModel):
    intact: bool
    entries: int
    first_broken_id: int | None
    head: str | None = None


def audit_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/{service}/v1/audit", tags=[f"{service} audit"])
    auditor = Depends(require(Role.auditor))

    @router.get(
        "/entries", response_model=list[AuditEntryOut], summary="The audit log, oldest first (auditors)"
    )
    async def entries(
        request: Request,
        _: Principal = auditor,
        after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[AuditEntryOut]:
        runtime = request.app.state.runtimes[service]
        table = runtime.audit_table
        query = select(table).where(table.c.id > after).order_by(table.c.id).limit(limit)
        if actor:
            query = query.where(table.c.actor == actor)
        async with runtime.reading() as session:
            rows = (await session.execute(query)).mappings().all()
        return [AuditEntryOut(**r) for r in rows]

    @router.get("/verify", response_model=ChainOut, summary="Recompute the hash chain: is the log untouched?")
    async def verify_chain(request: Request, _: Principal = auditor) -> ChainOut:
        runtime = request.app.state.runtimes[service]
        async with runtime.reading() as session:
            return ChainOut(**await verify(session, runtime.audit_table))

    return router
