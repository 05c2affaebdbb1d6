"""Intake's pure rules: same cause (R-FLOW-5), duplicate flags, archive checklist (R-ARC-1)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.domain import policy
from services.intake.domain.duplicates import Candidate, FlagKind, NewCase, flags, repeat_of, same_cause
from shared.contracts.common import SUBTYPES_BY_CATEGORY, Subtype

D = date(2026, 10, 1)
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def earlier(**overrides) -> Candidate:
    base = {
        "id": "e",
        "case_no": "LS1",
        "status": "submitted",
        "category": "expenditure",
        "subtype": "medical",
        "incident_date": D,
        "incident_ongoing": False,
        "decided_at": None,
    }
    base.update(overrides)
    return Candidate(**base)


@pytest.mark.parametrize(
    "candidate,new,same",
    [
        (earlier(), NewCase("expenditure", "medical", D), True),  # same incident
        (earlier(status="approved"), NewCase("expenditure", "medical", D), True),  # helped already
        (earlier(status="rejected"), NewCase("expenditure", "medical", D), False),  # nobody was helped
        (earlier(status="merged"), NewCase("expenditure", "medical", D), False),  # its target counts
        (earlier(), NewCase("expenditure", "education", D), False),  # another sub-type
        (earlier(), NewCase("expenditure", "medical", D + timedelta(days=1)), False),  # a new incident
        (
            earlier(incident_ongoing=True),
            NewCase("expenditure", "medical", D + timedelta(days=30)),
            True,
        ),  # episode
        (earlier(incident_ongoing=True), NewCase("expenditure", "medical", D + timedelta(days=365)), True),
        (earlier(incident_ongoing=True), NewCase("expenditure", "medical", D + timedelta(days=366)), False),
        (earlier(incident_ongoing=True), NewCase("expenditure", "medical", D - timedelta(days=1)), False),
        (
            earlier(category="emergency", subtype="fire_or_accident", incident_ongoing=True),
            NewCase("emergency", "fire_or_accident", D + timedelta(days=3)),
            False,
        ),  # emergencies: same day only
        (
            earlier(category="emergency", subtype="fire_or_accident"),
            NewCase("emergency", "fire_or_accident", D),
            True,
        ),
    ],
)
def test_same_cause_is_the_same_incident_or_the_same_expenditure_episode(candidate, new, same):
    assert same_cause(candidate, new, repeat_episode_days=365) is same


def test_the_repeat_names_the_earliest_case_of_the_same_cause():
    first = earlier(id="first", case_no="LS1", incident_ongoing=True)
    second = earlier(id="second", case_no="LS2", incident_date=D + timedelta(days=10))
    assert (
        repeat_of(
            [second, first],
            NewCase("expenditure", "medical", D + timedelta(days=10)),
            repeat_episode_days=365,
        ).id
        == "first"
    )
    assert repeat_of([], NewCase("expenditure", "medical", D), repeat_episode_days=365) is None


@pytest.mark.parametrize(
    "status,decided_days_ago,expected",
    [
        ("held", None, FlagKind.person_in_open_case),
        ("submitted", None, FlagKind.person_in_open_case),
        ("assessed", None, FlagKind.person_in_open_case),
        ("reviewed", None, FlagKind.person_in_open_case),
        ("returned", None, FlagKind.person_in_open_case),
        ("approved", 10, FlagKind.household_being_helped),
        ("approved", 183, FlagKind.household_being_helped),
        ("approved", 184, None),
        ("rejected", 1, None),
        ("merged", None, None),
    ],
)
def test_duplicates_are_flagged_while_a_case_is_open_or_the_household_is_being_helped(
    status, decided_days_ago, expected
):
    decided = NOW - timedelta(days=decided_days_ago) if decided_days_ago is not None else None
    found = flags([earlier(status=status, decided_at=decided)], now=NOW, helping_window_days=183)
    assert [k for k, _ in found] == ([expected] if expected else [])


@pytest.mark.parametrize("subtype", [s for subtypes in SUBTYPES_BY_CATEGORY.values() for s in subtypes])
def test_every_sub_type_has_an_archive_checklist_starting_with_the_application_form(subtype):
    rules = policy.in_force(date(2026, 11, 1))
    required = rules.required(subtype.value)
    assert required[0] == "application_form" and "id_card" in required and "household_register" in required
    assert "meeting_minutes" not in required
    assert rules.required(subtype.value, raised=True)[-1] == "meeting_minutes"  # R-AMT-4 minutes (R-ARC-1)


@pytest.mark.parametrize(
    "subtype,specific",
    [
        (Subtype.medical, {"medical_bills", "illness_certificate", "verification_report"}),
        (Subtype.education, {"education_cost_proof", "verification_authorisation"}),
        (Subtype.fire_or_accident, {"accident_certificate"}),
        (Subtype.sudden_illness, {"medical_bills", "illness_certificate"}),
    ],
)
def test_checklists_follow_the_case_type(subtype, specific):
    assert specific <= set(policy.in_force(date(2026, 11, 1)).required(subtype.value))


def test_emergency_checklists_need_no_means_test_papers():
    required = policy.in_force(date(2026, 11, 1)).required("fire_or_accident")
    assert "verification_report" not in required and "income_property_declaration" not in required


def test_missing_items_keep_checklist_order():
    assert policy.missing(["a", "b", "c"], {"b"}) == ["a", "c"]
    assert policy.missing(["a"], {"a", "extra"}) == []


def test_checklist_versions_are_effective_dated():
    first = policy.versions()[0]
    assert policy.in_force(first.effective_from) is first
    assert policy.in_force(first.effective_from - timedelta(days=1)) is first  # earliest for older dates
    with pytest.raises(ValueError):
        policy.IntakePolicy.model_validate(
            {**first.model_dump(), "checklists": {"medical": ["no_such_kind"]}}
        )
