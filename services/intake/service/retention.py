"""Retention (R-RET-2): the documents class also deletes the stored content of the purged cases' documents
(the archive keeps each item's kind, size, hash and dates; the content and its metadata go)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.repository import retention_queries as repo
from services.intake.service import content_store
from shared.runtime import Runtime


async def delete_content(runtime: Runtime, session: AsyncSession, case_ids: Sequence[str]) -> int:
    """Delete the content this deployment stores for these cases (inside the batch's transaction: a store
    that fails rolls the batch back; a blob already gone counts as deleted)."""
    store = content_store(runtime.settings)  # type: ignore[arg-type]
    deleted = 0
    for uri in await repo.document_uris(session, case_ids):
        key = store.key_of(uri)
        if key is not None:
            await store.delete(key)
            deleted += 1
    return deleted
