"""Referral (转介): consented needs records offered to partner charities, their answers and outcomes
(R-CHA)."""

from functools import partial
from pathlib import Path

from services.referral import service
from services.referral.api import router
from services.referral.exchange import sweep_offers
from services.referral.figures import figures as figure_query
from services.referral.metrics import state_gauges
from services.referral.partners import SECRET_CONTEXT
from services.referral.settings import ReferralSettings
from services.referral.tables import metadata
from services.referral.topics import on_start
from services.referral.webhooks import dispatch_webhooks
from shared.contracts.approval import CaseDecided
from shared.contracts.intake import ApplicationSubmitted, ConsentWithdrawn
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):
    return {
        ApplicationSubmitted.event_type: partial(service.on_application_submitted, runtime),
        ConsentWithdrawn.event_type: partial(service.on_consent_withdrawn, runtime),
        CaseDecided.event_type: partial(service.on_case_decided, runtime),
    }


router.include_router(
    figures_router(
        "referral",
        figure_query,
        "Referrals offered, accepted, fulfilled and amounts, by partner (JSON or CSV)",
    ),
    prefix="/referral/v1",
)  # GET /referral/v1/figures (R-OVS-1, R-CHA-3)

MODULE = ServiceModule(
    name="referral",
    settings_cls=ReferralSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("intake", "approval"),
    handlers=handlers,
    state_gauges=state_gauges,
    extra_topics=(service.PARTNER_TOPIC,),
    background=(sweep_offers, dispatch_webhooks),
    on_start=on_start,
    sealed=(SealedColumn("referral.partners", "webhook_secret", SECRET_CONTEXT),),
)
