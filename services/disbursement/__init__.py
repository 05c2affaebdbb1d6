"""Disbursement (发放): payments and handovers of approved and help-first aid, reserve funds, ledger (R-AID,
R-RES, R-OVS-3)."""

from functools import partial
from pathlib import Path

from services.disbursement import service
from services.disbursement.api import router
from services.disbursement.api_batches import router as batches_router
from services.disbursement.figures import figures as figure_query
from services.disbursement.metrics import state_gauges
from services.disbursement.settings import DisbursementSettings
from services.disbursement.tables import metadata
from services.disbursement.tables_bank import bank_batches  # noqa: F401 - registers the bank tables
from shared.contracts.approval import CaseDecided, HelpFirstGranted
from shared.contracts.intake import ApplicationSubmitted
from shared.figures import figures_router
from shared.reencrypt import SealedColumn
from shared.runtime import Runtime, ServiceModule


def handlers(runtime: Runtime):
    return {
        ApplicationSubmitted.event_type: partial(service.on_application_submitted, runtime),
        CaseDecided.event_type: partial(service.on_case_decided, runtime),
        HelpFirstGranted.event_type: partial(service.on_help_first_granted, runtime),
    }


router.include_router(
    figures_router(
        "disbursement",
        figure_query,
        "Amounts paid by form, time to first payment, reserve funds (JSON or CSV)",
    )
)  # GET /figures (R-OVS-1)
router.include_router(batches_router)  # bank files: batches, return files, receipt checks (R-AID-2)

MODULE = ServiceModule(
    name="disbursement",
    settings_cls=DisbursementSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("intake", "approval"),
    handlers=handlers,
    state_gauges=state_gauges,
    sealed=(
        SealedColumn("disbursement.beneficiaries", "payee", service.PAYEE),
        SealedColumn("disbursement.payee_changes", "old_payee", service.PAYEE),
        SealedColumn("disbursement.payee_changes", "new_payee", service.PAYEE),
        SealedColumn("disbursement.payment_instructions", "payee", service.PAYEE),
        SealedColumn("disbursement.payment_attempts", "payee", service.PAYEE),
        SealedColumn("disbursement.handovers", "recipient", service.RECIPIENT),
    ),
)
