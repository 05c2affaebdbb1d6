"""Partner-facing events on ``<prefix>.referral.partner.v1``: consented, minimised needs records (R-CHA-2)
and the referral loop with each partner (R-CHA-1, R-CHA-3).

No name, no ID number, no account, no diagnosis: a pseudonymous case reference, where, what is needed and
how much remains, household size and a contact route through the township office.

Events addressed to one partner carry its ``partner_id`` (and the Kafka key is the partner id); the same
envelopes are delivered by signed webhook and served by the partner's pull feed. The referral loop follows
the HL7 FHIR SDOH Clinical Care guide: a needs record is the ServiceRequest (``referral_id``), each offer
to a partner is a Task (``task_id``) whose status goes requested → accepted | rejected → in-progress →
completed | cancelled.
"""

from __future__ import annotations

from datetime import datetime

from shared.contracts.common import NeedType
from shared.events import Event, event
from shared.money import Money

PARTNER_EVENT_TYPES = (
    "gov.assistance.referral.needs-record-published.v1",
    "gov.assistance.referral.needs-record-withdrawn.v1",
    "gov.assistance.referral.referral-offered.v1",
    "gov.assistance.referral.referral-offer-expired.v1",
)
"""Every event type a partner may receive (the AsyncAPI document lists exactly these)."""


@event("gov.assistance.referral.needs-record-published.v1")
class NeedsRecordPublished(Event):
    """A consented needs record exists (announcement, no partner chosen yet)."""

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
    """Consent was withdrawn: delete the record and stop all work on it. ``partner_id`` names the partner
    that received it (absent on the announcement that answers ``NeedsRecordPublished``)."""

    referral_id: str
    case_ref: str
    reason: str
    withdrawn_at: datetime
    partner_id: str | None = None
    task_id: str | None = None


@event("gov.assistance.referral.referral-offered.v1")
class ReferralOffered(Event):
    """A needs record offered to one partner (FHIR Task, status ``requested``); answer before ``expires_at``."""

    partner_id: str
    task_id: str
    referral_id: str
    case_ref: str
    county_code: str
    township_code: str
    need_type: NeedType
    remaining_amount: Money
    household_size: int
    contact_route: str
    offered_at: datetime
    expires_at: datetime


@event("gov.assistance.referral.referral-offer-expired.v1")
class ReferralOfferExpired(Event):
    """The offer was not accepted in time (Task ``cancelled``); it goes to the next matching partner."""

    partner_id: str
    task_id: str
    referral_id: str
    expired_at: datetime
