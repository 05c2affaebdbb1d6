"""Approval's event consumers (inbox-protected): assessed cases come in for review (R-FLOW-1); intake's
reports of each case archive's completeness (R-ARC-1)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.approval.service import archive, review
from shared.contracts.assessment import CaseAssessed
from shared.contracts.intake import ArchiveCompleteness
from shared.events import Envelope
from shared.inbox import Handler
from shared.runtime import Runtime


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    await review.take_in(session, ev)


async def on_archive_completeness(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: ArchiveCompleteness
) -> None:
    """R-ARC-1: what the case archive lacks, as intake reports it."""
    await archive.take_in(session, ev)


def handlers(runtime: Runtime) -> Mapping[str, Handler]:
    return {
        CaseAssessed.event_type: partial(on_case_assessed, runtime),
        ArchiveCompleteness.event_type: partial(on_archive_completeness, runtime),
    }
