"""Operations endpoints every consuming service gets: its dead letters, and replaying one after a fix.

A replay runs the stored event through the same inbox-protected handler, so an event that was in fact
applied is never applied twice; a replay that fails again stays a dead letter with the new error. The stored
payload is sealed (shared/inbox.py): it is opened here, for the replay and the subject, never served.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import RowMapping, func, select, update

from shared.access import require
from shared.auth import Principal, Role
from shared.bus import Message
from shared.crypto import DecryptionError
from shared.errors import Conflict, NotFound
from shared.inbox import open_dead_letter
from shared.runtime import Runtime


class DeadLetterOut(BaseModel):
    id: int
    event_id: str | None
    event_type: str | None
    subject: str | None
    """The case the event is about (the CloudEvents subject), when the envelope could be read."""
    topic: str
    partition: int
    offset: int
    error: str
    attempts: int
    created_at: datetime
    replayed_at: datetime | None


OPERATORS = (Role.policy_admin, Role.auditor)
"""Dead letters are seen by administrators and auditors; only administrators replay them."""


def ops_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/{service}/v1/ops", tags=[f"{service} operations"])

    def runtime_of(request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtimes[service]
        return runtime

    @router.get(
        "/dead-letters", response_model=list[DeadLetterOut], summary="Events this service could not apply"
    )
    async def dead_letters(
        request: Request,
        _: Annotated[Principal, Depends(require(*OPERATORS))],
        pending: bool = True,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[DeadLetterOut]:
        runtime = runtime_of(request)
        table = runtime.dead_letter_table
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if pending:
            query = query.where(table.c.replayed_at.is_(None))
        async with runtime.reading() as session:
            rows = (await session.execute(query)).mappings().all()
        return [_out(runtime, r) for r in rows]

    @router.post(
        "/dead-letters/{dead_letter_id}/replay",
        response_model=DeadLetterOut,
        summary="Apply a dead-lettered event again (after the cause was fixed)",
    )
    async def replay(
        dead_letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
        request: Request,
        _: Annotated[Principal, Depends(require(Role.policy_admin))],
    ) -> DeadLetterOut:
        runtime = runtime_of(request)
        table = runtime.dead_letter_table
        async with runtime.reading() as session:
            row = (
                (await session.execute(select(table).where(table.c.id == dead_letter_id))).mappings().first()
            )
        if row is None:
            raise NotFound(f"dead letter {dead_letter_id} not found")
        if row["replayed_at"] is not None:
            raise Conflict(f"dead letter {dead_letter_id} was replayed already", slug="already-replayed")
        worker = runtime.consumer()
        if worker is None:
            raise Conflict(f"{service} consumes no events", slug="no-consumer")
        try:
            value = open_dead_letter(runtime.cipher, service, row["value"])
        except DecryptionError as exc:
            raise Conflict(
                f"dead letter {dead_letter_id} is sealed under a key no longer configured", slug="key-retired"
            ) from exc
        before = await _count(runtime)
        await worker.process(
            Message(row["topic"], row["partition"], row["offset"], row["key"], value.encode(), {})
        )
        if await _count(runtime) > before:
            raise Conflict(
                "the event failed again and was dead-lettered anew; see the newest dead letter",
                slug="replay-failed",
            )
        async with runtime.transaction() as session:
            await session.execute(
                update(table).where(table.c.id == dead_letter_id).values(replayed_at=func.now())
            )
            updated = (
                (await session.execute(select(table).where(table.c.id == dead_letter_id))).mappings().one()
            )
        return _out(runtime, updated)

    return router


def _out(runtime: Runtime, row: RowMapping) -> DeadLetterOut:
    try:
        subject = json.loads(open_dead_letter(runtime.cipher, runtime.name, row["value"])).get("subject")
    except (ValueError, AttributeError):  # DecryptionError is a ValueError: the subject stays unknown
        subject = None
    return DeadLetterOut(
        **{k: v for k, v in row.items() if k in DeadLetterOut.model_fields},
        subject=subject if isinstance(subject, str) else None,
    )


async def _count(runtime: Runtime) -> int:
    async with runtime.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(runtime.dead_letter_table)) or 0)
