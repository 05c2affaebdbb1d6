"""Approval's refusals are domain errors (services/approval/domain/errors.py) mapped to problem+json in one
place (shared/errors.py): policy and state refusals 409 with today's slugs and rule ids, 404 for unknown
records, 422 only for payload values."""

from decimal import Decimal

import pytest

from services.approval.domain.errors import (
    AboveAssessedAmount,
    AboveDisbursementLimit,
    AboveTownshipLimit,
    AlreadyDeclaredOver,
    BelowHelpFirst,
    CaseAlreadyDecided,
    CaseNotFound,
    ExtendedDurationUnconfirmed,
    HelpFirstAlreadyGranted,
    InvalidValue,
    NotAnEmergency,
    NotAwaitingReview,
    ReviewRequired,
    SeparationOfDuties,
)
from shared.domain_errors import DomainError
from shared.errors import problem_of

EXTENDED = {
    "months": 6,
    "normal_max": 3,
    "tier_id": "severe",
    "policy_version": "v1",
    "burden_ratio": "0.8",
    "min_burden_ratio": "0.5",
}


@pytest.mark.parametrize(
    ("error", "status", "slug", "rule"),
    [
        (ReviewRequired("c", "pending"), 409, "review-required", "R-FLOW-1"),
        (SeparationOfDuties(), 409, "separation-of-duties", "R-FLOW-1"),
        (
            AboveTownshipLimit(Decimal("5000.01"), Decimal("5000.00")),
            409,
            "county-approval-required",
            "R-FLOW-3",
        ),
        (AboveDisbursementLimit(Decimal("5000.01"), None), 409, "county-grant-required", "R-FLOW-3"),
        (ExtendedDurationUnconfirmed(EXTENDED), 409, "extended-duration-unconfirmed", "R-AMT-2"),
        (AboveAssessedAmount("amount", "above the assessed amount"), 409, "above-assessed-amount", "R-AMT-4"),
        (BelowHelpFirst(Decimal("1000.00")), 409, "below-help-first", "R-FLOW-2"),
        (NotAnEmergency(), 409, "not-an-emergency", "R-FLOW-2"),
        (CaseAlreadyDecided("c", "approved"), 409, "case-already-decided", None),
        (NotAwaitingReview("c", "reviewed"), 409, "not-awaiting-review", None),
        (HelpFirstAlreadyGranted("c"), 409, "help-first-already-granted", None),
        (AlreadyDeclaredOver("c", "2026-12-01"), 409, "already-declared-over", None),
        (CaseNotFound("case c is not (yet) awaiting approval"), 404, "not-found", None),
        (InvalidValue("stages", "stage amounts must add up"), 422, "validation-error", None),
    ],
    ids=lambda v: v.slug if isinstance(v, DomainError) else None,
)
def test_each_refusal_of_approval_answers_its_status_slug_and_rule(error, status, slug, rule):
    problem = problem_of(error)
    assert (problem.status, problem.slug) == (status, slug)
    assert problem.extensions.get("rule") == rule


def test_a_refusal_above_the_township_limit_names_the_limit_r_flow_3():
    problem = problem_of(AboveTownshipLimit(Decimal("5000.01"), Decimal("5000.00")))
    assert problem.extensions["limit"] == "5000.00" and "R-FLOW-3" in problem.detail


def test_more_than_assessed_still_names_the_field_it_refuses_r_amt_4():
    problem = problem_of(AboveAssessedAmount("amount", "above the assessed amount (R-AMT-4)"))
    assert problem.extensions["errors"] == [
        {"field": "amount", "message": "above the assessed amount (R-AMT-4)"}
    ]
