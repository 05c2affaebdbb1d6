"""Published event payloads of each service: the contracts other services and partners rely on.

Importing this package registers every payload type (see ``shared.events.REGISTRY``). Payload changes
that break consumers get a new type version (``…v2``), never an edit of a published one.
"""

from shared.contracts import (
    approval,
    assessment,
    disbursement,
    household,
    intake,
    monitoring,
    processing,
    referral,
)

__all__ = [
    "approval",
    "assessment",
    "disbursement",
    "household",
    "intake",
    "monitoring",
    "processing",
    "referral",
]
