"""Intake's and assessment's refusals keep their problem types; a policy or state refusal is a 409, a value
wrong in itself a 422 naming the field (docs/CONVENTIONS.md, "Errors"; shared/errors.py STATUS_OF_KIND)."""

import pytest

from services.assessment.domain import errors as assessment
from services.intake.domain import errors as intake
from shared.domain_errors import DomainError
from shared.errors import PROBLEM_BASE, problem_of


@pytest.mark.parametrize(
    "error,status,slug",
    [
        (intake.ApplicationNotFound("a1"), 404, "not-found"),
        (intake.RepeatApplication("same cause (R-FLOW-5)", rule="R-FLOW-5"), 409, "repeat-application"),
        (
            intake.NoPolicyInForce("incident.occurred_on", "no policy", rule="R-AMT-3"),
            409,
            "no-policy-in-force",
        ),
        (
            intake.ConsentsChangeByWithdrawal("consents", "by withdrawal", rule="R-CHA-2"),
            409,
            "consents-change-by-withdrawal",
        ),
        (intake.IdempotencyKeyReused("other body"), 409, "idempotency-key-reused"),
        (intake.CaseNotAmendable("under review"), 409, "case-not-amendable"),
        (intake.NoOpenDuplicateFlags("nothing to review"), 409, "no-open-duplicate-flags"),
        (intake.InvalidApplication("storage_uri", "not allowed"), 422, "validation-error"),
        (assessment.AssessmentNotFound("c1"), 404, "not-found"),
        (assessment.CaseAlreadyDecided("decided (R-AMT-4)", rule="R-AMT-4"), 409, "case-already-decided"),
        (assessment.NotEligible("ineligible (R-AMT-4)", rule="R-AMT-4"), 409, "not-eligible"),
        (
            assessment.RaiseNotAllowed("months", "never more than 6 (R-AMT-2)", rule="R-AMT-2"),
            409,
            "raise-refused",
        ),
        (assessment.AssessmentChanged("retry"), 409, "assessment-changed"),
        (assessment.PolicyVersionExists("exists"), 409, "policy-version-exists"),
        (assessment.InvalidRaise("decided_on", "in the future"), 422, "validation-error"),
    ],
)
def test_each_refusal_answers_its_status_and_problem_type(error: DomainError, status: int, slug: str) -> None:
    body = problem_of(error).body("/x")
    assert (body["status"], body["type"]) == (status, PROBLEM_BASE + slug)


@pytest.mark.parametrize(
    "error",
    [
        intake.NoPolicyInForce("incident.occurred_on", "no policy of county 140321 on 2024-06-01"),
        intake.ConsentsChangeByWithdrawal("consents", "consents change only through the withdrawal endpoint"),
        assessment.RaiseNotAllowed("amount", "a raise must be above the current amount"),
        intake.InvalidApplication("merged_into", "must be one of the flagged cases"),
    ],
)
def test_a_refusal_about_one_field_names_it_as_a_validation_error_does(error: DomainError) -> None:
    [named] = problem_of(error).body()["errors"]
    assert named["field"] in error.detail and named["message"] in error.detail
