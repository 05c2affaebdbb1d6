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
