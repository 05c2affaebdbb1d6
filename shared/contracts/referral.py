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

from datetime import date, datetime

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
    "gov.assistance.referral.scheme-referral-created.v1",
    "gov.assistance.referral.scheme-outcome-recorded.v1",
    "gov.assistance.referral.scheme-application-suggested.v1",
    "gov.assistance.referral.scheme-referral-overdue.v1",
)
"""Partner answers and government-scheme referrals, published on referral's own topic for the other services
and oversight; never sent to partners."""


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
    project_id: str | None = None
    """The partner's charity project the record was matched to (absent: offered to the partner itself)."""


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


@event("gov.assistance.referral.scheme-referral-created.v1")
class SchemeReferralCreated(Event):
    """A case's need referred to a government scheme (医疗救助, the 低保/特困 application, 法律援助…;
    R-AID-1): a task the scheme answers by ``due_on`` (a county setting). For the case's timeline
    (household, intake)."""

    case_id: str
    scheme_referral_id: str
    partner_id: str
    scheme: str
    need_type: NeedType
    requested_amount: Money | None = None
    county_code: str
    township_code: str
    due_on: date
    created_at: datetime


@event("gov.assistance.referral.scheme-outcome-recorded.v1")
class SchemeOutcomeRecorded(Event):
    """A scheme's answer to a referral: ``accepted``, ``applied``, ``granted`` (with ``amount``) or
    ``refused`` (with ``reason``) (R-AID-1)."""

    case_id: str
    scheme_referral_id: str
    partner_id: str
    scheme: str
    need_type: NeedType
    outcome: str
    amount: Money | None = None
    reason: str | None = None
    county_code: str
    township_code: str
    recorded_at: datetime


@event("gov.assistance.referral.scheme-application-suggested.v1")
class SchemeApplicationSuggested(Event):
    """The hardship outlasts temporary help: the case is on the referral desk's list for a 低保/特困
    application (``scheme: dibao_tekun``), by the county rule named in ``reason`` (R-AID-1)."""

    case_id: str
    suggestion_id: str
    scheme: str
    reason: str
    county_code: str
    township_code: str
    suggested_at: datetime


@event("gov.assistance.referral.scheme-referral-overdue.v1")
class SchemeReferralOverdue(Event):
    """A referral to a scheme passed its due date (``due_on``, a county setting) without a final outcome
    (granted or refused; ``status`` is where it stands): on the referral desk's overdue list, and the case
    shows it (intake: ``needs_attention``) — nothing silent (R-AID-1). Published once per referral."""

    case_id: str
    scheme_referral_id: str
    partner_id: str
    scheme: str
    need_type: NeedType
    status: str
    county_code: str
    township_code: str
    due_on: date
    found_at: datetime
