"""Referral (转介): consented needs records offered to partner charities, their answers and outcomes
(R-CHA)."""

from pathlib import Path

from sqlalchemy import null

from services.referral.adapters.partner_topics import PARTNER_TOPIC, on_start
from services.referral.adapters.webhook_delivery import SECRET_CONTEXT, dispatch_webhooks
from services.referral.api import router
from services.referral.figures import figures as figure_query
from services.referral.figures import state_gauges
from services.referral.handlers import handlers
from services.referral.repository.retention_queries import closed_cases
from services.referral.service.exchange import sweep_offers
from services.referral.service.scheme_referrals import overdue_watch
from services.referral.settings import ReferralSettings
from services.referral.tables import metadata
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.retention import DataClassSpec, RetentionSpec, Target, messaging_targets
from shared.retention_api import retention_router
from shared.runtime import ServiceModule

router.include_router(
    figures_router(
        "referral",
        figure_query,
        "Referrals offered, accepted, fulfilled and amounts, by partner (JSON or CSV)",
    ),
    prefix="/referral/v1",
)  # GET /referral/v1/figures (R-OVS-1, R-CHA-3)
router.include_router(retention_router("referral"), prefix="/referral/v1")  # R-RET-1, R-RET-2

RETENTION = RetentionSpec(
    closed=closed_cases,
    classes=(
        DataClassSpec("health", (Target("referral.cases", "case_id", values={"stated_needs": null()}),)),
        DataClassSpec(
            "partner_sharing",
            (
                Target(
                    "referral.partner_events",
                    "record_id",
                    values={"hidden": True, "envelope": {"purged": True}},
                    through=("referral.needs_records", "id", "case_id"),
                ),
                *messaging_targets("referral"),
            ),
        ),
    ),
)
"""The stated needs (health included) and the copies of what partners received go after the periods
(R-RET-2); the needs records' figures, tasks, outcomes and amounts stay (who received what, and when)."""

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
    retention=RETENTION,
)
