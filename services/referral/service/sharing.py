"""The consumers' use cases (called by ``handlers``): a decided case whose household consented becomes
minimised needs records for partners (R-CHA-1, R-CHA-2) — every need of its structured assessment (R-AID-1)
with an amount left after the decision — each offered to the best-fitting project or partner; a decided case
whose hardship outlasts temporary help goes on the desk's list for a 低保 application; a withdrawal of
consent withdraws the records everywhere (see ``exchange``)."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import repository as repo
from services.referral.adapters.partner_topics import PARTNER_TOPIC
from services.referral.domain.model import Case, RecordStatus
from services.referral.domain.needs import may_share_need, shareable_needs
from services.referral.service.exchange import contact_route, offer_next, withdraw_from_partners
from services.referral.service.scheme_referrals import needs_after_decision, suggest_dibao
from shared import clock
from shared.contracts.approval import CaseDecided
from shared.contracts.assessment import CaseAssessed
from shared.contracts.common import Need, NeedType
from shared.contracts.intake import ApplicationSubmitted, ConsentWithdrawn
from shared.contracts.referral import NeedsRecordPublished, NeedsRecordWithdrawn
from shared.events import Envelope
from shared.runtime import Runtime

__all__ = [
    "case_ref",
    "on_application_submitted",
    "on_case_assessed",
    "on_case_decided",
    "on_consent_withdrawn",
]


def case_ref(runtime: Runtime, case_id: str) -> str:
    """A pseudonymous reference partners see instead of the case id (keyed, not reversible by them)."""
    key = runtime.settings.blind_index_key.encode()
    return "CR-" + hmac.new(key, f"case-ref:{case_id}".encode(), hashlib.sha256).hexdigest()[:20]


async def on_application_submitted(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, app: ApplicationSubmitted
) -> None:
    case = await repo.merge_case(
        session,
        app.case_id,
        case_ref(runtime, app.case_id),
        county_code=app.county_code,
        township_code=app.township_code,
        household_size=len(app.household),
        consents=app.consents.model_dump(),
        stated_needs=[n.model_dump(mode="json") for n in app.needs],
    )
    await _share(runtime, session, case)


async def on_case_assessed(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseAssessed
) -> None:
    """The months assessed (the 低保 suggestion rule); the newest assessment revision wins."""
    await repo.merge_case(session, ev.case_id, case_ref(runtime, ev.case_id), months=ev.months)


async def on_case_decided(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: CaseDecided
) -> None:
    case = await repo.merge_case(
        session, ev.case_id, case_ref(runtime, ev.case_id), decision=ev.model_dump(mode="json")
    )
    await _share(runtime, session, case)
    await suggest_dibao(runtime, session, case)


async def on_consent_withdrawn(
    runtime: Runtime, session: AsyncSession, envelope: Envelope, ev: ConsentWithdrawn
) -> None:
    case = await repo.merge_case(session, ev.case_id, case_ref(runtime, ev.case_id))
    consents = dict(case.consents or {})
    consents[ev.consent] = False
    if ev.consent == "share_with_charities":
        consents["share_health_data"] = False
    await repo.merge_case(session, ev.case_id, case.case_ref, consents=consents)
    subtype = (case.decision or {}).get("subtype")
    no_longer = [
        r.id
        for r in await repo.records_for(session, ev.case_id)
        if r.status is RecordStatus.published
        and not may_share_need(consents, need_type=r.need_type, subtype=subtype)
    ]
    if not no_longer:
        return
    # R-CHA-2: withdrawing either consent withdraws every record it covered (health data: PIPL art. 29).
    for record in await repo.withdraw_records(session, ev.case_id, no_longer):
        await runtime.outbox.add(
            session,
            NeedsRecordWithdrawn(
                referral_id=record.id,
                case_ref=record.case_ref,
                reason="consent_withdrawn",
                withdrawn_at=clock.now(),
            ),
            subject=record.case_ref,
            topic=runtime.topic(PARTNER_TOPIC),
        )
        await withdraw_from_partners(runtime, session, record)


async def _share(runtime: Runtime, session: AsyncSession, case: Case) -> None:
    """Once the decision and the consents are both known; nothing at all without consent, nothing of health
    without the separate health consent (R-CHA-2, ``shareable_needs``)."""
    decision, consents = case.decision, case.consents
    if decision is None or consents is None:
        return
    if case.county_code is None or case.township_code is None or case.household_size is None:
        return  # known with the consents (ApplicationSubmitted); never shared without a place
    left = [
        Need(need_type=NeedType(n.need_type), amount=n.amount)
        for n in needs_after_decision(case)
        if n.amount is not None and n.amount > 0  # service needs without an amount: scheme referrals
    ]
    needs = shareable_needs(left, consents, decision.get("subtype"))
    now = clock.now()
    for need in needs:
        record_id = str(uuid.uuid4())
        created = await repo.add_record(
            session,
            {
                "id": record_id,
                "case_id": case.case_id,
                "case_ref": case.case_ref,
                "county_code": case.county_code,
                "township_code": case.township_code,
                "need_type": need.need_type.value,
                "remaining_amount": need.amount,
                "household_size": case.household_size,
                "status": RecordStatus.published.value,
                "published_at": now,
            },
        )
        if created:
            await runtime.outbox.add(
                session,
                NeedsRecordPublished(
                    referral_id=record_id,
                    case_ref=case.case_ref,
                    county_code=case.county_code,
                    township_code=case.township_code,
                    need_type=need.need_type,
                    remaining_amount=need.amount,
                    household_size=case.household_size,
                    contact_route=contact_route(case.township_code),
                    published_at=now,
                ),
                subject=case.case_ref,
                topic=runtime.topic(PARTNER_TOPIC),
            )
            await offer_next(runtime, session, await repo.lock_record(session, record_id))
