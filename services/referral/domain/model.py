"""Referral's typed entities and statuses (what the repository returns): the case as referral knows it,
its needs records, the partners, the offers (FHIR Tasks), the partner feed and the webhook deliveries
(R-CHA-1..3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from services.referral.domain.matching import ClosedReason, ProjectStatus
from services.referral.domain.schemes import SchemeStatus, SuggestionStatus
from services.referral.domain.tasks import TaskStatus

__all__ = [
    "Case",
    "Contract",
    "ContractAmendment",
    "ContractCancellation",
    "Delivery",
    "DeliveryStatus",
    "DueDelivery",
    "FeedItem",
    "HistoryEntry",
    "MatchState",
    "NeedTypeFigure",
    "NeedsRecord",
    "Partner",
    "PartnerFigure",
    "PartnerPerformance",
    "PartnerStatus",
    "PartnerNeedFigure",
    "PartnerTask",
    "Project",
    "SchemeReferral",
    "Suggestion",
    "RecordStatus",
    "Reward",
    "Task",
    "TaskStatus",
]


class RecordStatus(StrEnum):
    published = "published"
    withdrawn = "withdrawn"


class MatchState(StrEnum):
    """Where a needs record stands with partners."""

    unmatched = "unmatched"
    offered = "offered"
    accepted = "accepted"
    fulfilled = "fulfilled"
    closed = "closed"


class PartnerStatus(StrEnum):
    active = "active"
    suspended = "suspended"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead_letter = "dead_letter"
    cancelled = "cancelled"


@dataclass(frozen=True, slots=True)
class Case:
    """What referral knows of a case; its facts arrive from several events in any order."""

    case_id: str
    case_ref: str
    county_code: str | None
    township_code: str | None
    household_size: int | None
    consents: dict[str, bool] | None
    decision: dict[str, Any] | None
    stated_needs: list[dict[str, Any]] | None
    months: int | None


@dataclass(frozen=True, slots=True)
class NeedsRecord:
    """A minimised needs record shared with partner charities (the FHIR ServiceRequest)."""

    id: str
    case_id: str
    case_ref: str
    county_code: str
    township_code: str
    need_type: str
    remaining_amount: Decimal
    household_size: int
    status: RecordStatus
    published_at: datetime
    withdrawn_at: datetime | None
    match_state: MatchState


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner organisation (Open Referral HSDS organization, services and service areas)."""

    id: str
    seq: int
    name: str
    kind: str
    description: str | None
    email: str | None
    phone: str | None
    website: str | None
    need_types: list[str]
    service_areas: list[str]
    status: PartnerStatus
    api_key_hash: str
    webhook_url: str | None
    webhook_secret: str | None
    kafka_topic: str
    created_at: datetime
    uscc: str | None
    scheme: str | None


@dataclass(frozen=True, slots=True)
class Task:
    """One offer of a needs record to one partner (a FHIR Task)."""

    id: str
    record_id: str
    case_id: str
    partner_id: str
    status: TaskStatus
    status_reason: str | None
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    completed_at: datetime | None
    fulfilled_amount: Decimal | None
    fulfilled_form: str | None
    requested_amount: Decimal | None
    project_id: str | None


@dataclass(frozen=True, slots=True)
class PartnerTask:
    """A task with the needs record it offers, as its partner sees it."""

    id: str
    record_id: str
    partner_id: str
    status: TaskStatus
    status_reason: str | None
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    completed_at: datetime | None
    fulfilled_amount: Decimal | None
    fulfilled_form: str | None
    requested_amount: Decimal | None
    case_ref: str
    county_code: str
    township_code: str
    need_type: str
    remaining_amount: Decimal
    household_size: int
    record_status: RecordStatus


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One offer of a case's needs record and its outcome, for the township (R-CHA-3)."""

    id: str
    record_id: str
    partner_id: str
    partner_name: str
    need_type: str
    status: TaskStatus
    status_reason: str | None
    requested_amount: Decimal | None
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    completed_at: datetime | None
    fulfilled_amount: Decimal | None
    fulfilled_form: str | None


@dataclass(frozen=True, slots=True)
class PartnerPerformance:
    """Per partner (R-CHA-3): offers, answers, time to respond and amount fulfilled."""

    partner_id: str
    name: str
    partner_status: PartnerStatus
    offers: int
    accepted: int
    declined: int
    expired: int
    completed: int
    avg_response_seconds: float | None
    amount_fulfilled: Decimal


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One event of a partner's pull feed."""

    seq: int
    envelope: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event's webhook delivery to one partner."""

    id: int
    event_id: str
    partner_id: str
    record_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery claimed for sending, with what is needed to send it."""

    id: int
    event_id: str
    attempts: int
    envelope: dict[str, Any]
    webhook_url: str | None
    webhook_secret: str | None
    partner_status: PartnerStatus


@dataclass(frozen=True, slots=True)
class NeedTypeFigure:
    """Needs records shared in a period, per need type (R-OVS-1)."""

    need_type: str
    records: int
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class PartnerFigure:
    """Per partner, the offers made in a period and their outcomes (R-OVS-1, R-CHA-3)."""

    partner_id: str
    name: str
    partner_status: PartnerStatus
    offered: int
    accepted: int
    declined: int
    expired: int
    fulfilled: int
    amount_fulfilled: Decimal


@dataclass(frozen=True, slots=True)
class TownshipFulfilment:
    """Per township, for the county's scorecard (R-OVS-1, R-CHA-3): offers a partner accepted in the period
    and of those the fulfilled (completed) ones; government-scheme referrals made in the period with a final
    outcome (granted or refused) and of those the granted ones."""

    county_code: str
    township_code: str
    accepted_offers: int
    fulfilled_offers: int
    scheme_outcomes: int
    schemes_granted: int

    @property
    def fulfilment(self) -> Decimal | None:
        """(fulfilled offers + schemes granted) ÷ (accepted offers + schemes with an outcome), 4 places half
        up; None when nothing was accepted or answered."""
        whole = self.accepted_offers + self.scheme_outcomes
        if whole == 0:
            return None
        part = Decimal(self.fulfilled_offers + self.schemes_granted)
        return (part / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Project:
    """A partner's charity project (需求导向, R-CHA-1)."""

    id: str
    seq: int
    partner_id: str
    name: str
    need_types: list[str]
    areas: list[str]
    capacity: int
    places_held: int
    places_taken: int
    budget: Decimal
    budget_committed: Decimal
    starts_on: date
    ends_on: date
    eligibility: dict[str, Any]
    status: ProjectStatus
    closed_reason: ClosedReason | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SchemeReferral:
    """A referral of a case's need to a government scheme: a task with a due date and an outcome (R-AID-1)."""

    id: str
    case_id: str
    county_code: str
    township_code: str
    partner_id: str
    scheme: str
    need_type: str
    requested_amount: Decimal | None
    status: SchemeStatus
    due_on: date
    outcome_amount: Decimal | None
    outcome_reason: str | None
    created_by: str
    created_at: datetime
    outcome_at: datetime | None
    overdue_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A case on the referral desk's list: its hardship outlasts temporary help (the 低保 county rule)."""

    id: str
    case_id: str
    county_code: str
    township_code: str
    scheme: str
    reason: str
    status: SuggestionStatus
    referral_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Contract:
    """A purchased-service contract (政府购买服务) of a county with a partner (R-CHA-3): the tender reference
    (招投标编号), its period, budget and target volume per need type."""

    id: str
    partner_id: str
    county_code: str
    procurement_ref: str
    title: str
    starts_on: date
    ends_on: date
    budget: Decimal
    targets: list[dict[str, Any]]
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContractAmendment:
    """One revision of a contract's terms (R-CHA-3): the full terms from ``effective_on`` on, what changed
    (``changes``: {field: {"from": old, "to": new}}), why, who and when it was recorded."""

    id: str
    contract_id: str
    revision: int
    effective_on: date
    budget: Decimal
    ends_on: date
    targets: list[dict[str, Any]]
    changes: dict[str, Any]
    reason: str
    amended_by: str
    amended_at: datetime


@dataclass(frozen=True, slots=True)
class ContractCancellation:
    """A contract's early termination (R-CHA-3): it counts nothing from ``effective_on`` on."""

    contract_id: str
    effective_on: date
    reason: str
    cancelled_by: str
    cancelled_at: datetime


@dataclass(frozen=True, slots=True)
class Reward:
    """A reward or commendation a county gave a partner (激励扶持, R-CHA-3)."""

    id: str
    partner_id: str
    county_code: str
    kind: str
    awarded_on: date
    reason: str
    amount: Decimal | None
    ranking_from: date | None
    ranking_to: date | None
    awarded_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PartnerNeedFigure:
    """One partner's offers of one need type made in a county and period, and what became of them
    (R-CHA-3): the raw counts and sums the ranking and a contract's performance are computed from."""

    partner_id: str
    name: str
    uscc: str | None
    need_type: str
    offers: int
    accepted: int
    fulfilled: int
    amount_delivered: Decimal
    response_seconds_total: Decimal
    responses: int


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One time a case's data reached a partner (PIPL arts. 23, 45): an offer of a needs record to a charity
    (``needs_record``) or a referral to a government scheme (``scheme_referral``)."""

    case_id: str
    partner_id: str
    partner_name: str
    partner_kind: str
    via: str
    need_type: str
    shared_at: datetime
    status: str
