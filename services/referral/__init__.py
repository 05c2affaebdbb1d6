"""Referral (转介): consented needs records offered to partner charities, their answers and outcomes
(R-CHA)."""

from pathlib import Path

from services.referral.adapters.partner_topics import PARTNER_TOPIC, on_start
from services.referral.adapters.webhook_delivery import SECRET_CONTEXT, dispatch_webhooks
from services.referral.api import router
from services.referral.figures import figures as figure_query
from services.referral.figures import state_gauges
from services.referral.handlers import handlers
from services.referral.service.exchange import sweep_offers
from services.referral.service.scheme_referrals import overdue_watch
from services.referral.settings import ReferralSettings
from services.referral.tables import metadata
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.runtime import ServiceModule

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
    consumes=("intake", "assessment", "approval"),
    handlers=handlers,
    state_gauges=state_gauges,
    extra_topics=(PARTNER_TOPIC,),
    background=(sweep_offers, dispatch_webhooks, overdue_watch),  # overdue scheme referrals (R-AID-1)
    on_start=on_start,
    sealed=(SealedColumn("referral.partners", "webhook_secret", SECRET_CONTEXT),),
)
