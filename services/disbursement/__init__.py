"""Disbursement (发放): payments and handovers of approved and help-first aid, reserve funds, ledger (R-AID,
R-RES, R-OVS-3)."""

from pathlib import Path

from services.disbursement.api import router
from services.disbursement.domain.model import PAYEE, RECIPIENT
from services.disbursement.figures import state_gauges
from services.disbursement.handlers import handlers
from services.disbursement.service.returns import return_poll
from services.disbursement.settings import DisbursementSettings
from services.disbursement.tables import metadata
from shared.reencrypt import SealedColumn
from shared.runtime import ServiceModule

MODULE = ServiceModule(
    name="disbursement",
    settings_cls=DisbursementSettings,
    router=router,
    metadata=metadata,
    migrations=Path(__file__).parent / "migrations",
    consumes=("intake", "approval"),
    handlers=handlers,
    background=(return_poll,),  # the bank's SFTP outbox, when DISBURSEMENT_BANK_SFTP_POLL_SECONDS > 0
    state_gauges=state_gauges,
    sealed=(
        SealedColumn("disbursement.beneficiaries", "payee", PAYEE),
        SealedColumn("disbursement.payee_changes", "old_payee", PAYEE),
        SealedColumn("disbursement.payee_changes", "new_payee", PAYEE),
        SealedColumn("disbursement.payment_instructions", "payee", PAYEE),
        SealedColumn("disbursement.payment_attempts", "payee", PAYEE),
        SealedColumn("disbursement.handovers", "recipient", RECIPIENT),
    ),
)
