"""Request and response bodies of referral's REST API (staff and partner sides)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.referral.domain.contract_terms import ContractView
from services.referral.domain.schemes import PartnerKind, SchemeKind, is_overdue
from services.referral.domain.tasks import HelpForm
from services.referral.domain.uscc import uscc_problem
from shared import clock
from shared.contracts.common import NeedType

NO_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL: refused as a 422, never a database error."""
KafkaTopicMode = Literal["shared", "own"]
AreaCode = Annotated[
    str, Field(pattern=r"^\d{6}(\d{3})?$", description="a county (6 digits) or township (9 digits) code")
]


def _valid_uscc(value: str) -> str:
    problem = uscc_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Uscc = Annotated[
    str,
    Field(
        min_length=18,
        max_length=18,
        examples=["91350100M000100Y43"],
        description="统一社会信用代码 (GB 32100-2015), its check character verified",
    ),
    AfterValidator(_valid_uscc),
]
NEED_TYPES_MAX = len(NeedType)


def fields_of(entity: object, model: type[BaseModel], *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The values of an entity (domain/model.py) that ``model`` shows, statuses as their strings."""
    values: dict[str, Any] = {}
    for name in model.model_fields:
        if name in skip or not hasattr(entity, name):
            continue
        value = getattr(entity, name)
        values[name] = value.value if isinstance(value, Enum) else value
    return values


class NeedsRecordOut(BaseModel):
    id: str
    case_ref: str
    county_code: str
    township_code: str
    need_type: str
    remaining_amount: str
    household_size: int
    status: str
    match_state: str
    published_at: datetime
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, record: Any) -> NeedsRecordOut:
        return cls(
            **fields_of(record, cls, skip=("remaining_amount",)),
            remaining_amount=str(record.remaining_amount),
        )


class PartnerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = Field(default=None, max_length=2000, pattern=NO_NUL)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+\- ()]{3,40}$")
    website: str | None = Field(default=None, max_length=300, pattern=r"^https?://[^\s\x00]+$")
    webhook_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s\x00]+$",
        description="HTTPS endpoint on a public address receiving signed events (Standard Webhooks); "
        "loopback, private, link-local, unique-local, shared (CGNAT), multicast addresses and metadata host "
        "names are refused, and the name is resolved and checked again at every delivery",
    )
    kafka_topic: KafkaTopicMode | None = Field(
        default=None,
        description="Kafka delivery: `own` (the default) = the partner's own topic "
        "`<prefix>.referral.partner.<partner_id>.v1` (ACLs per topic); `shared` = the shared partner topic "
        "keyed by partner id, where every partner can read the others' offers — refused (409) unless the "
        "operator enabled it (`REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT=shared`). Omitted at registration: the "
        "service default.",
    )


class PartnerIn(PartnerFields):
    """A partner organisation (HSDS organization) with the needs it serves (HSDS service) and where
    (HSDS service_area: county or township codes)."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    kind: PartnerKind = Field(
        description="charity, foundation, company_fund (``corporate_fund``: the same, as registered before), "
        "social_work_org (社会工作服务机构) or government_scheme (takes scheme referrals, never offers)"
    )
    uscc: Uscc
    scheme: SchemeKind | None = Field(
        default=None, description="Required for (and only for) a government_scheme: which scheme it is"
    )
    need_types: list[NeedType] = Field(min_length=1, max_length=NEED_TYPES_MAX)
    service_areas: list[AreaCode] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _scheme_of_schemes(self) -> PartnerIn:
        if (self.kind is PartnerKind.government_scheme) != (self.scheme is not None):
            raise ValueError("scheme: required for a government_scheme partner, and only for one")
        return self


class PartnerPatch(PartnerFields):
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    status: Literal["active", "suspended"] | None = None
    uscc: Uscc | None = Field(default=None, description="Set or correct the 统一社会信用代码")
    need_types: list[NeedType] | None = Field(default=None, min_length=1, max_length=NEED_TYPES_MAX)
    service_areas: list[AreaCode] | None = Field(default=None, min_length=1, max_length=200)


class PartnerOut(BaseModel):
    id: str
    name: str
    kind: str
    description: str | None
    email: str | None
    phone: str | None
    website: str | None
    need_types: list[str]
    service_areas: list[str]
    status: str
    webhook_url: str | None
    kafka_topic: str
    created_at: datetime
    uscc: str | None = Field(description="统一社会信用代码; null for partners registered before it was asked")
    scheme: str | None

    @classmethod
    def of(cls, row: Any) -> PartnerOut:
        return cls(**fields_of(row, PartnerOut))


class PartnerCredentials(PartnerOut):
    api_key: str = Field(description="Shown once: send as Authorization: Bearer <api_key>")
    webhook_secret: str | None = Field(description="Shown once: whsec_ secret verifying webhook signatures")


class PartnerPatched(PartnerOut):
    webhook_secret: str | None = Field(default=None, description="Only when a first webhook URL was set")


NULLABLE = ("description", "email", "phone", "website", "webhook_url")
"""Fields a PATCH may clear with null; other nulls mean "unchanged"."""


class TaskOut(BaseModel):
    """A referral as one partner sees it: the Task and the minimised needs record (FHIR ServiceRequest).

    After the household withdrew consent (R-CHA-2) the task stays readable with its final status
    (``cancelled``, ``status_reason: consent_withdrawn``) and ``record_withdrawn: true``, but none of the
    needs record: those fields are null."""

    task_id: str
    referral_id: str
    status: str
    status_reason: str | None
    record_withdrawn: bool = False
    case_ref: str | None
    county_code: str | None
    township_code: str | None
    need_type: str | None
    remaining_amount: Decimal | None = Field(
        description="What this offer asks for: the need still uncovered when offered"
    )
    household_size: int | None
    contact_route: str | None
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    completed_at: datetime | None
    fulfilled_amount: Decimal | None
    fulfilled_form: str | None


class HistoryOut(BaseModel):
    """One offer of a case's needs record, for the township (R-CHA-3)."""

    task_id: str
    referral_id: str
    need_type: str
    partner_id: str
    partner_name: str
    status: str
    status_reason: str | None
    requested_amount: Decimal | None = Field(
        description="What the offer asked for (less after a part-fulfilment)"
    )
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    completed_at: datetime | None
    fulfilled_amount: Decimal | None
    fulfilled_form: str | None


class PerformanceOut(BaseModel):
    """Per partner (R-CHA-3). ``acceptance_rate`` = accepted / offers."""

    partner_id: str
    name: str
    partner_status: str
    offers: int
    accepted: int
    declined: int
    expired: int
    completed: int
    acceptance_rate: float | None
    avg_response_seconds: float | None
    amount_fulfilled: Decimal


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    partner_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> DeliveryOut:
        return cls(**fields_of(row, cls))


class FeedPage(BaseModel):
    items: list[dict[str, Any]] = Field(description="CloudEvents envelopes, oldest first")
    next_cursor: str = Field(description="pass as ?after= to get what follows")


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


class FulfilIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, description="CNY given or its value")
    form: HelpForm


class CaseNeedOut(BaseModel):
    """One of the case's needs left after the decision (R-AID-1, R-CHA-1); ``amount`` null for a service
    need stated without one."""

    need_type: str
    amount: Decimal | None


class Eligibility(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[Literal["emergency", "expenditure"]] = Field(default_factory=list, max_length=2)
    subtypes: list[str] = Field(default_factory=list, max_length=6)
    max_household_size: int | None = Field(default=None, ge=1, le=30)


class ProjectIn(BaseModel):
    """A charity project (需求导向, R-CHA-1): what it meets, where, for how many households, with what budget,
    when, for whom."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    need_types: list[NeedType] = Field(min_length=1, max_length=NEED_TYPES_MAX)
    areas: list[AreaCode] = Field(min_length=1, max_length=200, description="the county or townships")
    capacity: int = Field(ge=1, le=100000, description="households it can take")
    budget: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    starts_on: date
    ends_on: date
    eligibility: Eligibility = Field(default_factory=Eligibility)


class ProjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    capacity: int | None = Field(default=None, ge=1, le=100000)
    budget: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    starts_on: date | None = None
    ends_on: date | None = None
    areas: list[AreaCode] | None = Field(default=None, min_length=1, max_length=200)
    eligibility: Eligibility | None = None
    status: Literal["closed"] | None = Field(default=None, description="withdraw the project")


class ProjectOut(BaseModel):
    id: str
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
    status: str
    closed_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> ProjectOut:
        return cls(**fields_of(row, cls))


class SchemeReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$", description="the government scheme (a partner)")
    need_type: NeedType


class SchemeOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["accepted", "applied", "granted", "refused"]
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    reason: str | None = Field(default=None, min_length=1, max_length=500, pattern=NO_NUL)


class SchemeReferralOut(BaseModel):
    """A referral to a government scheme: a task with a due date and an outcome (R-AID-1)."""

    id: str
    case_id: str
    partner_id: str
    scheme: str
    need_type: str
    requested_amount: Decimal | None
    status: str
    due_on: date
    outcome_amount: Decimal | None
    outcome_reason: str | None
    created_by: str
    created_at: datetime
    outcome_at: datetime | None
    overdue: bool = Field(
        default=False, description="past its due date without a final outcome (granted/refused; R-AID-1)"
    )
    overdue_at: datetime | None = None
    """When the desk's sweep found it overdue and the case was told."""

    @classmethod
    def of(cls, row: Any) -> SchemeReferralOut:
        overdue = is_overdue(row.status, row.due_on, clock.local_today())
        return cls(**fields_of(row, cls, skip=("overdue",)), overdue=overdue)


class SuggestionOut(BaseModel):
    """A case on the referral desk's list for a 低保/特困 application (the county rule in ``reason``)."""

    id: str
    case_id: str
    county_code: str
    township_code: str
    scheme: str
    reason: str
    status: str
    referral_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> SuggestionOut:
        return cls(**fields_of(row, cls))


class TimelineEntry(BaseModel):
    """One step of the case's referral work, oldest first: a needs record shared, an offer and its answer, a
    scheme referral, its passing its due date without an outcome (``scheme_overdue``) and its outcome, a
    低保 suggestion."""

    at: datetime
    kind: Literal[
        "needs_record", "offer", "scheme_referral", "scheme_overdue", "scheme_outcome", "suggestion"
    ]
    need_type: str | None = None
    status: str
    partner_id: str | None = None
    scheme: str | None = None
    amount: Decimal | None = None
    reason: str | None = None
    due_on: date | None = None
    ref: str = Field(description="the record, task, scheme referral or suggestion id")


# --- purchased services, ranking, rewards (R-CHA-3) -----------------------------------------------------


ContractDay = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
"""A contract's days (local): bounded, so no date arithmetic on them can overflow."""


class ContractTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need_type: NeedType
    volume: int = Field(ge=1, le=1_000_000, strict=True, description="help to be fulfilled in the period")


class ContractIn(BaseModel):
    """A purchased-service contract (政府购买服务) of a county with a partner."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")
    county_code: str = Field(pattern=r"^\d{6}$")
    procurement_ref: str = Field(
        min_length=1, max_length=60, pattern=NO_NUL, description="招投标编号: the tender reference"
    )
    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    starts_on: ContractDay
    ends_on: ContractDay
    budget: Decimal = Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)
    targets: list[ContractTarget] = Field(min_length=1, max_length=NEED_TYPES_MAX)

    @model_validator(mode="after")
    def _period_and_targets(self) -> ContractIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on: the period ends before it starts")
        if len({t.need_type for t in self.targets}) != len(self.targets):
            raise ValueError("targets: one target per need type")
        return self


class AmendmentIn(BaseModel):
    """An amendment of a contract (R-CHA-3): what changes from ``effective_on`` on (budget, target volumes,
    a later end of period; what is left out stays), and why."""

    model_config = ConfigDict(extra="forbid")

    effective_on: ContractDay = Field(description="the first local day the amended terms are in force")
    budget: Decimal | None = Field(default=None, gt=0, le=Decimal("999999999999.99"), decimal_places=2)
    ends_on: ContractDay | None = Field(default=None, description="a later end of period (extension)")
    targets: list[ContractTarget] | None = Field(
        default=None, min_length=1, max_length=NEED_TYPES_MAX, description="the target volumes, all of them"
    )
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)

    @model_validator(mode="after")
    def _something_and_targets(self) -> AmendmentIn:
        if self.budget is None and self.ends_on is None and self.targets is None:
            raise ValueError("budget: an amendment changes budget, ends_on or targets")
        if self.targets is not None and len({t.need_type for t in self.targets}) != len(self.targets):
            raise ValueError("targets: one target per need type")
        return self


class CancellationIn(BaseModel):
    """An early termination of a contract (R-CHA-3): from ``effective_on`` on it counts nothing."""

    model_config = ConfigDict(extra="forbid")

    effective_on: ContractDay = Field(description="the first local day the contract no longer counts")
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


class TermsOut(BaseModel):
    """One revision of a contract's terms; revision 0 is the contract as signed."""

    revision: int
    effective_on: date
    budget: Decimal
    ends_on: date
    targets: list[dict[str, Any]]


class AmendmentOut(BaseModel):
    revision: int
    effective_on: date
    changes: dict[str, Any] = Field(description='{field: {"from": old, "to": new}}')
    reason: str
    amended_by: str
    amended_at: datetime


class CancellationOut(BaseModel):
    effective_on: date
    reason: str
    cancelled_by: str
    cancelled_at: datetime


class ContractOut(BaseModel):
    """A contract with its terms in force today (``budget``, ``ends_on``, ``targets``, ``revision``), the
    terms as signed, its amendment history (oldest first) and its cancellation (R-CHA-3)."""

    id: str
    partner_id: str
    county_code: str
    procurement_ref: str
    title: str
    starts_on: date
    ends_on: date
    budget: Decimal
    targets: list[dict[str, Any]]
    revision: int = Field(description="the revision in force today (0: as signed)")
    status: Literal["active", "cancelled"]
    signed: TermsOut
    amendments: list[AmendmentOut]
    cancellation: CancellationOut | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, view: ContractView) -> ContractOut:
        c, terms = view.contract, view.in_force(clock.local_today())
        return cls(
            **fields_of(c, cls, skip=("ends_on", "budget", "targets")),
            ends_on=terms.ends_on,
            budget=terms.budget,
            targets=terms.targets,
            revision=terms.revision,
            status="cancelled" if view.cancellation else "active",
            signed=TermsOut(**fields_of(view.signed, TermsOut)),
            amendments=[AmendmentOut(**fields_of(a, AmendmentOut)) for a in view.amendments],
            cancellation=CancellationOut(**fields_of(view.cancellation, CancellationOut))
            if view.cancellation
            else None,
        )


class Shown(BaseModel):
    """Figures over the offers made in the county and period (R-CHA-3; definitions in docs/partners.md)."""

    offers: int
    accepted: int
    fulfilled: int
    acceptance_rate: Decimal | None
    fulfilment_rate: Decimal | None
    avg_response_seconds: Decimal | None
    amount_delivered: Decimal


class TargetProgress(BaseModel):
    need_type: str
    volume: int
    fulfilled: int
    progress: Decimal | None


class NeedTypeShown(Shown):
    need_type: str


class ContractPerformanceOut(Shown):
    """A contract's performance so far: its figures, each target against the help fulfilled, the amount
    delivered against the budget (``budget_used``)."""

    contract: ContractOut
    on: date = Field(description="the day asked: its terms in force are measured against")
    terms: TermsOut = Field(description="the terms in force on `on`")
    counted_to: date | None = Field(
        description="the last local day whose offers count: the end in force, `on`, or the day before the "
        "cancellation took effect, whichever is first (null: none yet)"
    )
    targets: list[TargetProgress]
    budget: Decimal
    budget_used: Decimal | None
    by_need_type: list[NeedTypeShown]


class RankedOut(Shown):
    """One partner's place in the published ranking: its name, USCC and figures only (no personal data)."""

    rank: int
    partner_id: str
    name: str
    uscc: str | None


class RankingOut(BaseModel):
    county_code: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    order: str
    partners: list[RankedOut]


RewardKind = Literal["commendation", "reward", "subsidy", "publicity"]


class RewardIn(BaseModel):
    """A reward or commendation (激励扶持): 表彰 commendation, 奖励 reward, 扶持资金 subsidy, 宣传推介
    publicity; optionally answering a published ranking period."""

    model_config = ConfigDict(extra="forbid")

    county_code: str = Field(pattern=r"^\d{6}$")
    kind: RewardKind
    awarded_on: date
    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)
    amount: Decimal | None = Field(default=None, gt=0, le=Decimal("999999999999.99"), decimal_places=2)
    ranking_from: date | None = None
    ranking_to: date | None = None

    @model_validator(mode="after")
    def _ranking_period(self) -> RewardIn:
        if (self.ranking_from is None) != (self.ranking_to is None):
            raise ValueError("ranking_from/ranking_to: give both days of the ranking period, or neither")
        if self.ranking_from and self.ranking_to and self.ranking_to < self.ranking_from:
            raise ValueError("ranking_to: the ranking period ends before it starts")
        return self


class RewardOut(BaseModel):
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

    @classmethod
    def of(cls, row: Any) -> RewardOut:
        return cls(**fields_of(row, cls))


class PartnerDetailOut(PartnerOut):
    """One partner with its rewards and commendations (激励扶持), newest first; county staff see their
    county's."""

    rewards: list[RewardOut] = []
