"""The referral loop with one partner, modelled on the HL7 FHIR SDOH Clinical Care guide: each offer of a
needs record (the ServiceRequest) to a partner is a Task whose status goes
requested → accepted | rejected → in-progress → completed | cancelled (R-CHA-1, R-CHA-3)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from services.referral.domain.errors import AboveOutstandingAmount, TransitionRefused
from shared.domain_errors import InvalidValue
from shared.money import ZERO


class TaskStatus(StrEnum):
    requested = "requested"
    accepted = "accepted"
    rejected = "rejected"
    in_progress = "in-progress"
    completed = "completed"
    cancelled = "cancelled"


class Action(StrEnum):
    """What a partner can answer."""

    accept = "accept"
    decline = "decline"
    start = "start"
    fulfil = "fulfil"


class HelpForm(StrEnum):
    """The form of help a partner gave (R-AID-1)."""

    cash = "cash"
    in_kind = "in_kind"
    service = "service"


OPEN = (TaskStatus.requested, TaskStatus.accepted, TaskStatus.in_progress)
"""Tasks that still hold the record: no other partner is offered it meanwhile."""

TRANSITIONS: dict[Action, tuple[tuple[TaskStatus, ...], TaskStatus]] = {
    Action.accept: ((TaskStatus.requested,), TaskStatus.accepted),
    Action.decline: ((TaskStatus.requested,), TaskStatus.rejected),
    Action.start: ((TaskStatus.accepted,), TaskStatus.in_progress),
    Action.fulfil: ((TaskStatus.accepted, TaskStatus.in_progress), TaskStatus.completed),
}


def next_status(current: str, action: Action) -> TaskStatus:
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise TransitionRefused(action.value, current)
    return target


def record_state_after(status: TaskStatus) -> str:
    """The needs record's match state once its task reaches ``status``."""
    return {
        TaskStatus.accepted: "accepted",
        TaskStatus.in_progress: "accepted",
        TaskStatus.completed: "fulfilled",
    }.get(status, "unmatched")


def check_fulfilled_amount(amount: Decimal, remaining: Decimal) -> str | None:
    """A problem with the amount, or None: positive, and not above what remained."""
    if amount <= ZERO:
        return "must be greater than zero"
    if amount > remaining:
        return f"must not exceed the remaining amount {remaining}"
    return None


def ensure_fulfilled_amount(amount: Decimal, remaining: Decimal) -> None:
    """A fulfilment's amount: not positive is a wrong value (422); above what remained, the record's state
    refuses it (``AboveOutstandingAmount``, 409; R-CHA-1)."""
    if amount <= ZERO:
        raise InvalidValue("amount", "must be greater than zero")
    if amount > remaining:
        raise AboveOutstandingAmount(remaining)


def serves(
    need_types: list[str], service_areas: list[str], *, need_type: str, county_code: str, township_code: str
) -> bool:
    """A partner matches a record when it serves the need type and covers the county or the township
    (Open Referral HSDS: service + service area)."""
    return need_type in need_types and (county_code in service_areas or township_code in service_areas)


def outstanding(remaining: Decimal, fulfilled: list[Decimal]) -> Decimal:
    """What of a needs record is still uncovered after the help partners reported (never below zero)."""
    return max(ZERO, remaining - sum(fulfilled, ZERO))


def part_left(outstanding_before: Decimal, amount: Decimal) -> Decimal:
    """What remains after a partner fulfils ``amount`` of ``outstanding_before``: above zero the fulfilment
    was partial (FHIR: this Task completed for the part, a new Task for the rest to the next partner)."""
    return max(ZERO, outstanding_before - amount)
