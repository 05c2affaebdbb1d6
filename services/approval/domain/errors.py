"""What approval refuses, in the language of the policy (R-FLOW-1..4, R-AMT-2, R-AMT-4).

Raised by domain and service code; shared/errors.py maps them to problem+json by kind (404, 409, 422).
The slugs are the problem type URIs' last segments clients already know."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.domain_errors import InvalidValue, RecordNotFound, RuleRefused, StateConflict


class CaseNotFound(RecordNotFound):
    """The case has not reached approval (yet), or it is outside the caller's jurisdiction."""


class HelpFirstNotFound(RecordNotFound):
    """The case had no help first (R-FLOW-2)."""


class CountyNotFound(RecordNotFound):
    """An unknown county code (calendars are per county, R-FLOW-2)."""


class CalendarNotFound(RecordNotFound):
    """No schedule loaded for that scope and year (deadlines then count weekends only, R-FLOW-2)."""


class CaseAlreadyDecided(StateConflict):
    slug = "case-already-decided"

    def __init__(self, case_id: str, status: str, detail: str | None = None) -> None:
        super().__init__(detail or f"case {case_id} is already {status}")


class NotAwaitingReview(StateConflict):
    slug = "not-awaiting-review"

    def __init__(self, case_id: str, status: str) -> None:
        super().__init__(f"case {case_id} is {status}, not awaiting review")


class ReviewRequired(RuleRefused):
    """R-FLOW-1: a decision (审批) follows a recorded review (审核)."""

    slug = "review-required"

    def __init__(self, case_id: str, status: str) -> None:
        super().__init__(
            f"case {case_id} is {status}: review (审核) comes before approval (审批), by another person "
            "(R-FLOW-1)",
            rule="R-FLOW-1",
        )


class SeparationOfDuties(RuleRefused):
    """R-FLOW-1: the reviewer of a case cannot also approve it."""

    slug = "separation-of-duties"

    def __init__(self) -> None:
        super().__init__(
            "the reviewer of a case cannot also approve it: separation of duties (R-FLOW-1)", rule="R-FLOW-1"
        )


class AboveTownshipLimit(RuleRefused):
    """R-FLOW-3: above the township's delegated approval limit the county approves."""

    slug = "county-approval-required"

    def __init__(self, amount: Decimal, limit: Decimal | None) -> None:
        super().__init__(
            f"{amount} is above the township's approval limit {limit}: the county civil-affairs "
            "department approves (R-FLOW-3)",
            rule="R-FLOW-3",
            limit=str(limit),
        )


class AboveDisbursementLimit(RuleRefused):
    """R-FLOW-2 with R-FLOW-3: a township grants help first within its disbursement limit only."""

    slug = "county-grant-required"

    def __init__(self, amount: Decimal, limit: Decimal | None) -> None:
        super().__init__(
            f"{amount} is above the township's disbursement limit {limit}: the county grants it (R-FLOW-3)",
            rule="R-FLOW-3",
        )


class ExtendedDurationUnconfirmed(RuleRefused):
    """R-AMT-2: more than the normal months needs the approver's explicit confirmation."""

    slug = "extended-duration-unconfirmed"

    def __init__(self, extended: dict[str, Any]) -> None:
        super().__init__(
            f"{extended['months']} months is beyond the normal {extended['normal_max']} (R-AMT-2): the "
            f"assessment cites county rule {extended['tier_id']} of policy {extended['policy_version']} "
            f"(self-paid burden {extended['burden_ratio']} of income, tier from "
            f"{extended['min_burden_ratio']}); confirm it explicitly with confirm_extended_duration: true, "
            "or approve at most the normal months",
            rule="R-AMT-2",
            tier_id=extended["tier_id"],
            policy_version=extended["policy_version"],
            months=extended["months"],
            normal_max=extended["normal_max"],
        )


class AboveAssessedAmount(RuleRefused):
    """R-AMT-4: more than the assessed amount only with a county-government raise (a new assessment).
    A refusal of policy (409), naming the field in ``errors`` as before."""

    slug = "above-assessed-amount"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", rule="R-AMT-4", errors=[{"field": field, "message": message}])


class BelowHelpFirst(RuleRefused):
    """R-FLOW-2: the decision covers at least the help already granted first."""

    slug = "below-help-first"

    def __init__(self, granted: Decimal) -> None:
        message = f"below the {granted} already granted as help first (R-FLOW-2)"
        super().__init__(
            f"amount: {message}", rule="R-FLOW-2", errors=[{"field": "amount", "message": message}]
        )


class NotAnEmergency(RuleRefused):
    slug = "not-an-emergency"

    def __init__(self) -> None:
        super().__init__("help first is for emergency cases (R-FLOW-2, R-CAT-1)", rule="R-FLOW-2")


class HelpFirstAlreadyGranted(StateConflict):
    slug = "help-first-already-granted"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} already had help first")


class AlreadyDeclaredOver(StateConflict):
    slug = "already-declared-over"

    def __init__(self, case_id: str, over_on: object) -> None:
        super().__init__(f"the emergency of case {case_id} was already declared over on {over_on}")


__all__ = [
    "AboveAssessedAmount",
    "AboveDisbursementLimit",
    "AboveTownshipLimit",
    "AlreadyDeclaredOver",
    "BelowHelpFirst",
    "CalendarNotFound",
    "CaseAlreadyDecided",
    "CaseNotFound",
    "CountyNotFound",
    "ExtendedDurationUnconfirmed",
    "HelpFirstAlreadyGranted",
    "HelpFirstNotFound",
    "InvalidValue",
    "NotAnEmergency",
    "NotAwaitingReview",
    "ReviewRequired",
    "SeparationOfDuties",
]


class ArchiveIncomplete(RuleRefused):
    """R-ARC-1: the case archive lacks items the county requires before an approving review or decision."""

    slug = "archive-incomplete"

    def __init__(self, case_id: str, missing: list[str] | None) -> None:
        if missing is None:
            detail = (
                f"case {case_id}: intake has not reported its archive yet, so its completeness is unknown "
                "(R-ARC-1)"
            )
        else:
            detail = (
                f"case {case_id}: the archive lacks {', '.join(missing)}; record them in intake, or a county "
                "approver overrides with a reason (R-ARC-1)"
            )
        super().__init__(detail, rule="R-ARC-1", missing=missing or [])


class NothingToOverride(StateConflict):
    """R-ARC-1: an override covers missing items; with none blocking there is nothing to override."""

    slug = "nothing-to-override"
