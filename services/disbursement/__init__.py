"""Disbursement (发放): payment instructions for approved help (R-AID)."""

from functools import partial
from pathlib import Path

from services.disbursement import service
from services.disbursement.api import router
from services.disbursement.settings import DisbursementSettings
from services.disbursement.tables import metadata
from shared.contracts.approval import CaseDecided
from shared.contracts.intake import ApplicationSubmitted
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):  # noqa: ANN201
    return {
        ApplicationSubmitted.event_type: partial(service.on_application_submitted, runtime),
        CaseDecided.event_type: partial(service.on_case_decided, runtime),
    }


MODULE = ServiceModule(
    name="disbursement",
    settings_cls=DisbursementSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("intake", "approval"),
    handlers=handlers,
)
