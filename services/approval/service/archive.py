"""The case archive (R-ARC-1) as approval sees it: intake reports its completeness (ArchiveCompleteness,
through the inbox); an approving review or decision is refused while required items are missing, unless
a county approver overrode them with a recorded reason."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval import repository as repo
from services.approval.domain.errors import ArchiveIncomplete, CaseNotFound, NothingToOverride
from services.approval.domain.model import ArchiveState
from shared import clock
from shared.access import guard
from shared.contracts.intake import ArchiveCompleteness
from shared.runtime import Runtime


async def take_in(session: AsyncSession, ev: ArchiveCompleteness) -> None:
    """Keep the latest report of the case's archive (idempotent: an older one changes nothing)."""
    await repo.keep_archive_state(
        session,
        {
            "case_id": ev.case_id,
            "county_code": ev.county_code,
            "township_code": ev.township_code,
            "policy_version": ev.policy_version,
            "required": ev.required,
            "missing": ev.missing,
            "blocking": ev.blocking,
            "as_of": ev.as_of,
        },
    )


async def ensure_complete(session: AsyncSession, case_id: str) -> None:
    """R-ARC-1: refuse (409 ``archive-incomplete`` naming the items) while blocking items are missing and
    not overridden; an archive intake never reported is not assumed complete."""
    state = await repo.archive_state(session, case_id)
    if state is None:
        raise ArchiveIncomplete(case_id, None)
    if state.still_blocking:
        raise ArchiveIncomplete(case_id, state.still_blocking)


async def override(runtime: Runtime, case_id: str, *, actor: str, reason: str) -> ArchiveState:
    """R-ARC-1: a county approver lets the case proceed without the items missing now (who, why, when and
    which items are recorded; an item that goes missing later blocks again)."""
    async with runtime.transaction() as session:
        case = await repo.get(session, case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} is not (yet) awaiting approval")
        guard(case.county_code, case.township_code)
        state = await repo.archive_state(session, case_id, for_update=True)
        if state is None or not state.still_blocking:
            raise NothingToOverride(f"case {case_id}: no missing archive item blocks it (R-ARC-1)")
        await repo.override_archive(
            session,
            case_id,
            {
                "override_items": sorted({*(state.override_items or []), *state.still_blocking}),
                "override_by": actor,
                "override_reason": reason,
                "override_at": clock.now(),
            },
        )
        updated = await repo.archive_state(session, case_id)
    if updated is None:
        raise RuntimeError("the row just written is missing from its own transaction")
    return updated
