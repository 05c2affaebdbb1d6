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


class LeadNotFound(RecordNotFound):
    """Intake has not announced the lead (LeadOpened, R-OVS-2), or it is outside the caller's jurisdiction."""


class NotAnEmergencyLead(RuleRefused):
    """R-FLOW-2, R-CAT-1: help at the scene is for an emergency lead only."""

    slug = "not-an-emergency"

    def __init__(self, lead_id: str, urgency: str, category: str | None) -> None:
        cause = f"its category is {category}" if urgency == "emergency" else f"its urgency is {urgency}"
        super().__init__(
            f"lead {lead_id} is not an emergency ({cause}): help first at the scene is for emergencies "
            "(R-FLOW-2, R-CAT-1); the township visits and the application goes the normal way",
            rule="R-FLOW-2",
            urgency=urgency,
            category=category,
        )


class LeadClosed(StateConflict):
    """R-OVS-2: intake closed the lead without an application, so no help is granted at the scene on it."""

    slug = "lead-closed"

    def __init__(self, lead_id: str, closed_at: object) -> None:
        super().__init__(
            f"lead {lead_id} was closed at intake ({closed_at}) without an application: no help at the scene "
            "on it; if the household still needs help, record a new lead or take its application",
            rule="R-OVS-2",
            lead_id=lead_id,
        )


class ClockFromTheScene(StateConflict):
    """R-FLOW-2: the paperwork of help given at the scene is due 10 working days after the grant."""

    slug = "paperwork-clock-from-the-scene"

    def __init__(self, case_id: str, deadline: object) -> None:
        super().__init__(
            f"case {case_id} had help at the scene: its paperwork is due {deadline}, counted from the grant "
            "(R-FLOW-2), not from the emergency's end"
        )


class HelpFirstAlreadyGranted(StateConflict):
    slug = "help-first-already-granted"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} already had help first")


class AlreadyDeclaredOver(StateConflict):
    slug = "already-declared-over"

    def __init__(self, case_id: str, over_on: object) -> None:
        super().__init__(f"the emergency of case {case_id} was already declared over on {over_on}")


class ReexaminationNotFound(RecordNotFound):
    """No open re-examination of the case (R-REX-2)."""


class ComplaintNotFound(RecordNotFound):
    """No such complaint on the case (R-REX-4)."""


class CaseNotDecided(StateConflict):
    slug = "case-not-decided"

    def __init__(self, case_id: str, status: str) -> None:
        super().__init__(f"case {case_id} is {status}: only a decision can be re-examined (R-REX-1)")


class GroundDoesNotFit(RuleRefused):
    """R-REX-1: a refusal is contested as a refusal, an approval only for its amount."""

    slug = "ground-does-not-fit"

    def __init__(self, ground: str, decision: str) -> None:
        super().__init__(
            f"the decision is {decision}: a re-examination of the {ground} does not apply (R-REX-1)",
            rule="R-REX-1",
            errors=[{"field": "ground", "message": f"the decision is {decision}"}],
        )


class ReexaminationWindowClosed(RuleRefused):
    """R-REX-1: the county's window after the decision notice has closed."""

    slug = "reexamination-window-closed"

    def __init__(self, notice_on: object, closed_on: object, days: int) -> None:
        super().__init__(
            f"the re-examination window of {days} days after the decision notice of {notice_on} closed on "
            f"{closed_on} (R-REX-1)",
            rule="R-REX-1",
            notice_on=str(notice_on),
            window_closed_on=str(closed_on),
            window_days=days,
        )


class ReexaminationAlreadyOpen(StateConflict):
    slug = "reexamination-already-open"

    def __init__(self, case_id: str) -> None:
        super().__init__(
            f"case {case_id} already has an open re-examination: one at a time (R-REX-1)", rule="R-REX-1"
        )


class ReexaminerTookPart(SeparationOfDuties):
    """R-REX-2: whoever reviewed, decided or re-examined the decision cannot re-examine it."""

    def __init__(self, officer: str) -> None:
        RuleRefused.__init__(
            self,
            f"{officer} took part in the decision of this case: a re-examination is decided by an officer "
            "who took no part in it (separation of duties, R-REX-2)",
            rule="R-REX-2",
        )


class ReexaminationLevelTooLow(RuleRefused):
    """R-REX-2: at the same level as the first decision or higher."""

    slug = "reexamination-level-too-low"

    def __init__(self, first: str) -> None:
        super().__init__(
            f"the decision was taken at the {first} level: its re-examination is decided at the same level "
            "or higher (R-REX-2)",
            rule="R-REX-2",
        )


class ChangeWithoutEffect(RuleRefused):
    """R-REX-2: a change states a different decision or amount; otherwise it is upheld."""

    slug = "change-without-effect"

    def __init__(self) -> None:
        super().__init__(
            "a changed decision must differ from the one re-examined (else: upheld) (R-REX-2)",
            rule="R-REX-2",
            errors=[{"field": "amount", "message": "same decision and amount as before"}],
        )


class ComplaintState(StateConflict):
    slug = "complaint-state"

    def __init__(self, complaint_id: str, status: str, action: str) -> None:
        super().__init__(f"complaint {complaint_id} is {status}: cannot {action} (R-REX-4)", rule="R-REX-4")


class NoReexaminationPolicy(RuleRefused):
    """R-REX-1: without the county's windows nothing is accepted (no built-in default)."""

    slug = "no-reexamination-policy"

    def __init__(self, county_code: str) -> None:
        super().__init__(
            f"county {county_code} has no re-examination policy in force (R-REX-1)", rule="R-REX-1"
        )


__all__ = [
    "AboveAssessedAmount",
    "AboveDisbursementLimit",
    "AboveTownshipLimit",
    "AlreadyDeclaredOver",
    "BelowHelpFirst",
    "CalendarNotFound",
    "CaseAlreadyDecided",
    "CaseNotDecided",
    "CaseNotFound",
    "ChangeWithoutEffect",
    "ComplaintNotFound",
    "ComplaintState",
    "CountyNotFound",
    "ExtendedDurationUnconfirmed",
    "GroundDoesNotFit",
    "HelpFirstAlreadyGranted",
    "HelpFirstNotFound",
    "InvalidValue",
    "NoReexaminationPolicy",
    "NotAnEmergency",
    "NotAwaitingReview",
    "ReexaminationAlreadyOpen",
    "ReexaminationLevelTooLow",
    "ReexaminationNotFound",
    "ReexaminationWindowClosed",
    "ReexaminerTookPart",
    "ReviewRequired",
    "SeparationOfDuties",
]


# --- budgets (R-OVS-3) ---


class BudgetExhausted(RuleRefused):
    """R-OVS-3: no envelope of the case's funding sources has the amount left (county setting: refuse)."""

    slug = "budget-exhausted"

    def __init__(self, amount: Decimal, county_code: str, year: int, left: dict[str, str]) -> None:
        shown = ", ".join(f"{s} {v}" for s, v in left.items()) or "no envelope set"
        super().__init__(
            f"{amount} is beyond what remains of county {county_code}'s {year} budget for this case "
            f"({shown}) (R-OVS-3)",
            rule="R-OVS-3",
            year=year,
            available=left,
        )


class BudgetEscalated(RuleRefused):
    """R-OVS-3 with R-FLOW-3: beyond the envelope, the county setting sends the approval to the county."""

    slug = "budget-county-approval-required"

    def __init__(self, amount: Decimal, county_code: str, year: int, left: dict[str, str]) -> None:
        shown = ", ".join(f"{s} {v}" for s, v in left.items())
        super().__init__(
            f"{amount} is beyond what remains of county {county_code}'s {year} budget ({shown}): by the "
            "county's setting the county civil-affairs department approves it (R-OVS-3, R-FLOW-3)",
            rule="R-OVS-3",
            year=year,
            available=left,
        )


class EnvelopeBelowUse(StateConflict):
    """R-OVS-3: an envelope is never set below what is already committed and spent."""

    slug = "envelope-below-use"

    def __init__(self, amount: Decimal, used: Decimal) -> None:
        super().__init__(
            f"{amount} is below the {used} already committed and spent from this envelope (R-OVS-3)",
            rule="R-OVS-3",
            used=str(used),
        )


class EnvelopeNotFound(RecordNotFound):
    """No envelope of that county, year and source (R-OVS-3)."""


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
