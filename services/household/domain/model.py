"""The household service's typed entities and statuses: its own view of a case (built from the five
services' events), the notices owed to the household, the subscribed government systems and their webhook
deliveries, and the failed status queries of a source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """The public stage of a case, as a government service platform shows it (办件状态)."""

    accepted = "accepted"
    documents_missing = "documents_missing"
    under_review = "under_review"
    help_first = "help_first"
    approved = "approved"
    refused = "refused"
    paid = "paid"
    referred = "referred"


class NoticeStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"
    no_phone = "no_phone"
    opted_out = "opted_out"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead_letter = "dead_letter"


@dataclass(frozen=True, slots=True)
class Case:
    """The household's view of a case. ``contact_sealed`` is intake's ciphertext of the phone (decrypted
    only to send a notice); ``applicant_index`` the blind index of the applicant's ID number."""

    case_id: str
    case_no: str | None
    applicant_index: str | None
    contact_sealed: str | None
    sms_opt_out: bool
    county_code: str | None
    township_code: str | None
    category: str | None
    subtype: str | None
    stage: Stage
    submitted_at: datetime | None
    decided_at: datetime | None
    facts: dict[str, Any]
    """What the notices cite: assessment reasons and figures, review opinion, months, persons, standard."""
    missing: list[str]
    paid_total: Decimal
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    case_id: str
    kind: str
    county_code: str | None
    township_code: str | None
    facts: dict[str, Any]
    local_date: date
    template_version: str | None
    sms_text: str | None
    has_letter: bool
    status: NoticeStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    gateway_id: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A government system subscribed to status pushes; ``secret`` is the encrypted ``whsec_`` secret."""

    id: str
    name: str
    url: str
    secret: str
    county_code: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscriber_id: str
    event_id: str
    envelope: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery claimed for sending, with its subscriber's URL, encrypted secret and active flag."""

    delivery: Delivery
    url: str
    secret: str
    active: bool


@dataclass(frozen=True, slots=True)
class QueryFailures:
    """Failed verifiers of one source within its current window (the status-query rate limit)."""

    source: str
    failures: int
    window_started_at: datetime


@dataclass(frozen=True, slots=True)
class NoticeCount:
    """One row of the figures: notices of a kind in a delivery status."""

    kind: str
    status: str
    notices: int
