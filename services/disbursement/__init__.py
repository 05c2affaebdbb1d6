"""Disbursement (发放): payments and handovers of approved and help-first aid, reserve funds, ledger (R-AID,
R-RES, R-OVS-3)."""

from pathlib import Path

from services.disbursement.api import router
from services.disbursement.domain.model import PAYEE, RECIPIENT
from services.disbursement.figures import state_gauges
from services.disbursement.handlers import handlers
from services.disbursement.repository.retention_queries import closed_cases
from services.disbursement.service.returns import return_poll
from services.disbursement.settings import DisbursementSettings
from services.disbursement.tables import metadata
from shared.reencrypt import SealedColumn
from shared.retention import DataClassSpec, RetentionSpec, Target, messaging_targets
from shared.retention_api import retention_router
from shared.runtime import ServiceModule

router.include_router(retention_router("disbursement"))  # /retention (R-RET-1, R-RET-2)

RETENTION = RetentionSpec(
    closed=closed_cases,
    classes=(
        DataClassSpec(
            "bank_accounts",
            (
                Target("disbursement.beneficiaries", "case_id", values={"payee": None}),
                Target("disbursement.payment_instructions", "case_id", values={"payee": None}),
                Target(
                    "disbursement.payment_attempts",
                    "instruction_id",
                    values={"payee": None},
                    through=("disbursement.payment_instructions", "id", "case_id"),
                ),
                Target(
                    "disbursement.payee_changes",
                    "case_id",
                    sealed=(("new_payee", PAYEE),),
                    values={"old_payee": None},
                ),
                *messaging_targets("disbursement"),
            ),
        ),
        DataClassSpec(
            "application_personal",
            (Target("disbursement.handovers", "case_id", sealed=(("recipient", RECIPIENT),)),),
        ),
    ),
)
"""Payees' accounts and in-kind recipients go after the periods (R-RET-2); instructions, amounts, stages,
statuses, dates, references and the ledger stay."""

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
    retention=RETENTION,
)
