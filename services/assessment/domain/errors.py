"""Assessment's refusals, named (shared/domain_errors.py maps them to problem+json by kind)."""

from __future__ import annotations

from typing import Any

from shared.domain_errors import InvalidValue, RecordNotFound, RuleRefused, StateConflict


class AssessmentNotFound(RecordNotFound):
    """No assessment of the case (yet): intake's event has not been assessed, or the case is unknown."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no assessment for case {case_id} (yet)")


class CaseAlreadyDecided(RuleRefused):
    """R-AMT-4: a raise is recorded before approval decides, so that approval takes it."""

    slug = "case-already-decided"


class NotEligible(RuleRefused):
    """R-AMT-4: only an eligible case's amount can be raised."""

    slug = "not-eligible"


class RaiseNotAllowed(RuleRefused):
    """R-AMT-2, R-AMT-4: the raise the county government recorded breaks a limit of the policy or is not
    above the current amount; names the field (``errors``) like a validation error does."""

    slug = "raise-refused"

    def __init__(self, field: str, message: str, **extensions: Any) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}], **extensions)
        self.field = field


class InvalidRaise(InvalidValue):
    """A raise whose values are wrong in themselves (both or neither of months and amount, a future date)."""


class AssessmentChanged(StateConflict):
    """Another assessment revision was written meanwhile; the caller retries."""

    slug = "assessment-changed"


class PolicyVersionExists(StateConflict):
    """Policy versions are immutable: a version id is used once (assessments pin the one they used)."""

    slug = "policy-version-exists"


class VerificationRequestNotFound(RecordNotFound):
    """An answer for a request id assessment never received from the verification system (R-CAT-3)."""

    slug = "verification-request-not-found"

    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"no verification request {request_id} is known: nothing was applied", request_id=request_id
        )


class AnswerAfterDecision(RuleRefused):
    """R-CAT-3/R-CAT-4: an answer arriving after approval decided the case is not applied."""

    slug = "verification-answer-after-decision"


class VerificationAlreadyAnswered(StateConflict):
    """A different second answer for a request already answered and applied."""

    slug = "verification-already-answered"


class VerificationNotAwaited(StateConflict):
    """The request is not awaiting an answer (overdue, late, never sent)."""

    slug = "verification-not-awaited"


class AnswerRefused(InvalidValue):
    """An answer that is not the contract's (members not those asked about, a figure missing): names the
    field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)


class EssentialItemNotFound(RecordNotFound):
    """R-CAT-4: the item is not on the case's essential-spending checklist (or there is none)."""

    slug = "essential-item-not-found"

    def __init__(self, case_id: str, item: str, items: list[str]) -> None:
        listed = ", ".join(items) or "none: the household is not registry-confirmed 低保/特困/建档立卡"
        super().__init__(f"{item} is not on the essential-spending checklist of case {case_id} ({listed})")


class EssentialItemAlreadyVerified(StateConflict):
    """R-CAT-4: each item is verified once, by a named officer."""

    slug = "essential-item-already-verified"
