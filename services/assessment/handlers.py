"""Assessment's event consumers (inbox-protected, so each event applies once): thin, they call the service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.assessment import service
from services.assessment.service import verification
from shared.contracts.approval import CaseDecided
from shared.contracts.intake import ApplicationSubmitted, DocumentRecorded, DocumentsRecorded
from shared.events import Envelope
from shared.runtime import Runtime


async def on_application_submitted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, app: ApplicationSubmitted
) -> None:
    """Assess the application revision as submitted (R-CAT, R-AMT), under the policy in force then."""
    await service.assess_application(runtime, session, app)


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    """Approval decided the case: a raise after it is refused (R-AMT-4)."""
    await service.remember_decision(session, ev)


async def on_document_recorded(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, doc: DocumentRecorded
) -> None:
    """The signed authorisation on file releases the case's economic verification request (R-CAT-3)."""
    await verification.authorisation_recorded(runtime, session, doc)


async def on_documents_recorded(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, docs: DocumentsRecorded
) -> None:
    """A township's paper set recorded at once: its authorisation, if any, as ``on_document_recorded``."""
    await verification.documents_recorded(runtime, session, docs)
