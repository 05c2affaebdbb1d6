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
