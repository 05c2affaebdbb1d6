"""Events published by approval on ``<prefix>.approval.v1``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.common import Category, Need, Subtype
from shared.events import Event, event
from shared.money import Money


class Decision(StrEnum):
    approved = "approved"
    rejected = "rejected"


class AidForm(StrEnum):
    """R-AID-1: cash (临时救助金), in kind (实物), referral services (转介服务)."""

    cash = "cash"
    in_kind = "in_kind"
    referral = "referral"


class Stage(BaseModel):
    """R-FLOW-4: one approval, help paid in stages."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int
    amount: Money
    due_on: date


@event("gov.assistance.approval.case-decided.v1")
class CaseDecided(Event):
    case_id: str
    decision: Decision
    level: str
    """township or county (R-FLOW-3)."""
    county_code: str
    township_code: str
    category: Category
    subtype: Subtype
    form: AidForm
    amount: Money
    stages: list[Stage]
    household_size: int
    needs: list[Need]
    decided_at: datetime
    help_first_amount: Money = Decimal("0.00")
    """R-FLOW-2: already granted as help first (paid from the township reserve fund); ``amount`` is the
    total government help and ``stages`` cover ``amount - help_first_amount``."""
    actor: str | None = None
    """Who approved (审批)."""
    reviewed_by: str | None = None
    """Who reviewed (审核), a different person (R-FLOW-1)."""
    reexamination_window_days: int | None = None
    """R-REX-1: the county's re-examination window in force when this was decided (calendar days after the
    decision's local date) — the one approval enforces for this decision and the letter states; None when
    the county has no re-examination policy."""
    reexamination_closes_on: date | None = None
    """R-REX-1: the last local day a re-examination of this decision may be asked for."""


class Channel(StrEnum):
    """R-AID-2: bank transfer (socialised channel), or cash/goods handed over directly in an emergency."""

    bank_transfer = "bank_transfer"
    direct = "direct"


@event("gov.assistance.approval.case-reviewed.v1")
class CaseReviewed(Event):
    """R-FLOW-1: the review step (审核), recorded before the approval step (审批)."""

    case_id: str
    opinion: Decision
    level: str
    """The level that will approve (R-FLOW-3)."""
    actor: str
    reasons: str
    amount: Money
    reviewed_at: datetime


@event("gov.assistance.approval.case-returned.v1")
class CaseReturned(Event):
    """A case sent back for revision, with reasons: it waits for a revised application."""

    case_id: str
    step: str
    actor: str
    reasons: str
    county_code: str
    township_code: str
    returned_at: datetime


@event("gov.assistance.approval.help-first-granted.v1")
class HelpFirstGranted(Event):
    """R-FLOW-2: immediate help before review; disbursement pays it from the township reserve fund (R-RES)."""

    case_id: str
    grant_id: str
    county_code: str
    township_code: str
    level: str
    form: AidForm
    channel: Channel
    amount: Money
    granted_by: str
    granted_at: datetime
    lead_id: str | None = None
    """Help at the scene (R-FLOW-2, R-OVS-2): the lead it was granted on, before the application existed;
    the application follows under ``case_id`` (reserved for the lead)."""
    paperwork_deadline: date | None = None
    """Help at the scene: the application and its paperwork are due by then (10 working days from the
    grant); a case's help first gets its deadline when the emergency is declared over."""


@event("gov.assistance.approval.paperwork-overdue.v1")
class PaperworkOverdue(Event):
    """R-FLOW-2: the review/approval paperwork of a help-first case missed its 10-working-day deadline."""

    case_id: str
    grant_id: str
    county_code: str
    township_code: str
    emergency_over_on: date | None
    """The day the emergency was declared over (the clock's start); None for help at the scene, whose
    clock starts at the grant (``counted_from``)."""
    deadline: date
    calendar: str
    detected_at: datetime
    counted_from: date | None = None
    """The day the 10 working days count from: the emergency's end, or the day of the scene grant."""
    lead_id: str | None = None
    """Help at the scene: the lead it was granted on (R-OVS-2)."""
    application_missing: bool = False
    """True when the case's application never reached approval: help was given at the scene and no
    application followed (R-FLOW-2)."""


class Reexamined(StrEnum):
    """R-REX-2: the outcome of a re-examination (复核)."""

    upheld = "upheld"
    changed = "changed"


@event("gov.assistance.approval.case-redecided.v1")
class CaseRedecided(Event):
    """R-REX-2, R-REX-3: a re-examination (复核) of a decision was decided by an officer who took no part in
    it. ``difference`` = ``amount_after`` - ``amount_before`` (a refusal counts as 0): disbursement pays a
    positive difference as one new instruction of its own reference and never claws back a negative one."""

    case_id: str
    reexamination_id: str
    seq: int
    """The case's n-th re-examination (1, 2, ...): part of the difference payment's reference."""
    outcome: Reexamined
    county_code: str
    township_code: str
    form: AidForm
    level: str
    """township or county: the level that decided the re-examination (R-REX-2)."""
    decision_before: Decision
    decision_after: Decision
    amount_before: Money
    amount_after: Money
    difference: Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
    """Signed: negative when the amount was lowered (recorded, never clawed back, R-REX-3)."""
    reasons: str
    decided_by: str
    requested_at: datetime
    decided_at: datetime
