"""Partner-facing events on ``<prefix>.referral.partner.v1``: consented, minimised needs records (R-CHA-2).

No name, no ID number, no account, no diagnosis: a pseudonymous case reference, where, what is needed and
how much remains, household size and a contact route through the township office.
"""

from __future__ import annotations

from datetime import datetime

from shared.contracts.common import NeedType
from shared.events import Event, event
from shared.money import Money


@event("gov.assistance.referral.needs-record-published.v1")
class NeedsRecordPublished(Event):
    referral_id: str
    case_ref: str
    county_code: str
    township_code: str
    need_type: NeedType
    remaining_amount: Money
    household_size: int
    contact_route: str
    published_at: datetime


@event("gov.assistance.referral.needs-record-withdrawn.v1")
class NeedsRecordWithdrawn(Event):
    referral_id: str
    case_ref: str
    reason: str
    withdrawn_at: datetime
