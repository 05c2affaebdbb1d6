"""Partner-facing events on ``<prefix>.referral.partner.v1`` (or, per partner, on its own topic
``<prefix>.referral.partner.<partner_id>.v1``): consented, minimised needs records (R-CHA-2) and the referral
loop with each partner (R-CHA-1, R-CHA-3); and the internal events on ``<prefix>.referral.v1`` that record
each partner answer for the other services and oversight (R-CHA-3).

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
    "gov.assistance.referral.referral-cancelled.v1",
)
"""Every event type a partner may receive (the AsyncAPI document lists exactly these)."""

PARTNER_ADDRESSED_EVENT_TYPES = (
    "gov.assistance.referral.needs-record-withdrawn.v1",
    "gov.assistance.referral.referral-offered.v1",
    "gov.assistance.referral.referral-offer-expired.v1",
    "gov.assistance.referral.referral-cancelled.v1",
)
"""The partner events addressed to one partner (``data.partner_id``): what its own topic carries."""

INTERNAL_EVENT_TYPES = (
    "gov.assistance.referral.referral-accepted.v1",
    "gov.assistance.referral.referral-declined.v1",
    "gov.assistance.referral.referral-fulfilled.v1",
)
"""Partner answers, published on referral's own topic for the other services and oversight; never sent to
partners."""


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
    """A needs record offered to one partner (FHIR Task, status ``requested``); answer before
    ``expires_at``."""

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


@event("gov.assistance.referral.referral-cancelled.v1")
class ReferralCancelled(Event):
    """The bureau cancelled your task (FHIR Task ``cancelled``), e.g. ``reason: partner_suspended``: stop work
    on it and delete the record; the need is offered to the next matching partner."""

    partner_id: str
    task_id: str
    referral_id: str
    reason: str
    cancelled_at: datetime


# --- internal: partner answers (R-CHA-3), on <prefix>.referral.v1, key = case id ---------------------------


class _Answer(Event):
    case_id: str
    referral_id: str
    task_id: str
    partner_id: str
    county_code: str
    township_code: str
    need_type: NeedType
    answered_at: datetime


@event("gov.assistance.referral.referral-accepted.v1")
class ReferralAccepted(_Answer):
    """A partner accepted an offer (Task ``requested → accepted``)."""

    response_seconds: float
    """Time from the offer to this answer."""


@event("gov.assistance.referral.referral-declined.v1")
class ReferralDeclined(_Answer):
    """A partner declined an offer with a reason (Task ``rejected``); it goes to the next matching partner."""

    response_seconds: float
    reason: str


@event("gov.assistance.referral.referral-fulfilled.v1")
class ReferralFulfilled(_Answer):
    """A partner gave help (Task ``completed``). ``remaining_amount`` is what is still uncovered after it;
    when above zero the fulfilment was partial and the rest is offered to the next matching partner."""

    amount: Money
    form: str
    remaining_amount: Money
