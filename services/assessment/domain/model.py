"""Assessment's typed entities: what the repository returns (never a database row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.contracts.approval import Decision


class Outcome(StrEnum):
    """The outcome of a case's latest assessment (R-CAT), as the state gauges count it."""

    eligible = "eligible"
    ineligible = "ineligible"


@dataclass(frozen=True, slots=True)
class Assessment:
    """One frozen assessment revision: the inputs (application revision) and the policy version it pinned,
    and its result; a raise (R-AMT-4) is a new revision carrying ``raise_decision``. Never updated."""

    id: str
    case_id: str
    revision: int
    application_revision: int
    county_code: str
    eligible: bool
    amount: Decimal
    policy_version: str
    inputs: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime
    raise_decision: dict[str, Any] | None = None
    recorded_by: str | None = None
    basis: str = "application"
    """``application`` (as submitted) or ``verification`` (re-assessed on verified figures or registry
    statuses)."""

    @property
    def township_code(self) -> str | None:
        township = self.inputs.get("township_code")
        return str(township) if township is not None else None

    @property
    def outcome(self) -> Outcome:
        return Outcome.eligible if self.eligible else Outcome.ineligible


@dataclass(frozen=True, slots=True)
class DecidedCase:
    """A case approval has decided (from its CaseDecided event): a raise on it is refused (R-AMT-4)."""

    case_id: str
    decision: Decision
    decided_at: datetime


class VerificationKind(StrEnum):
    """What is asked: the city verification system's economic check (核对, R-CAT-3) or the source registry's
    低保/特困/建档立卡 status (R-CAT-4)."""

    economic = "economic"
    registry = "registry"


class VerificationState(StrEnum):
    """``awaiting_authorisation``: no signed authorisation on file yet; ``cannot_start``: something the
    request needs is missing (``hold_reason``); ``to_send``: due to be sent (retried with backoff);
    ``requested``: the system answered 202, its answer is awaited (callback or polling); ``answered``:
    applied;
    ``overdue``: no answer by the deadline (the case shows needs_attention); ``late``: answered after the
    decision, nothing applied."""

    awaiting_authorisation = "awaiting_authorisation"
    cannot_start = "cannot_start"
    to_send = "to_send"
    requested = "requested"
    answered = "answered"
    overdue = "overdue"
    late = "late"


OPEN_STATES = (VerificationState.to_send, VerificationState.requested)


@dataclass(frozen=True, slots=True)
class Verification:
    """One request to another government system for a case's application revision; the members' ID numbers
    and the answer are held only as ciphertext (``members_sealed``, ``answer_sealed``)."""

    id: str
    case_id: str
    kind: VerificationKind
    application_revision: int
    county_code: str
    township_code: str
    state: VerificationState
    members_sealed: str | None
    request_id: str | None
    answer_sealed: str | None
    answer_digest: str | None
    attempts: int
    last_error: str | None
    hold_reason: str | None
    deadline: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True, slots=True)
class EssentialItem:
    """R-CAT-4: one item of a priority household's essential-spending checklist, verified by a named
    officer."""

    case_id: str
    item: str
    verified_by: str | None
    verified_at: datetime | None
    finding: str | None
