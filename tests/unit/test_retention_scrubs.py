"""The purge's scrubs of plain JSON columns (R-RET-2): intake's application facts and approval's copied
needs and assessment lose the household's figures and keep what readers and figures use (shape, types,
need types, relations, persons helped), and a scrubbed value scrubbed again is the same."""

from __future__ import annotations

from typing import Any

from services.approval.domain.retention_rules import (
    scrub_assessment_health,
    scrub_assessment_personal,
    scrub_needs,
)
from services.intake.domain.retention_rules import scrub_facts
from shared.contracts.assessment import CaseAssessed
from shared.contracts.common import Need
from shared.contracts.intake import StatedNeed
from shared.retention import PSEUDONYM_TEXT

FACTS: dict[str, Any] = {
    "incident_ongoing": True,
    "requested_months": 3,
    "annual_household_income": "20000.00",
    "property": {"deposits": "1000.00", "vehicles": 1, "vehicle_value": "30000.00", "houses": 1},
    "medical": {"total_bills": "80000.00", "basic_insurance": "40000.00"},
    "education": None,
    "needs": [{"need_type": "medical", "amount": "35000.00"}, {"need_type": "care", "amount": None}],
    "household": [
        {"relation": "self", "age": 41, "dibao": False, "tekun": False, "jiandang": False},
        {"relation": "spouse", "age": 39, "dibao": True, "tekun": False, "jiandang": False},
    ],
}


def test_an_applications_facts_lose_the_households_figures_and_keep_what_readers_use() -> None:
    out = scrub_facts(FACTS)
    assert out["annual_household_income"] == "0.00"
    assert out["property"] == {"deposits": "0.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 0}
    assert out["medical"] == {"total_bills": "0.00", "basic_insurance": "0.00"}
    assert out["education"] is None
    assert [StatedNeed.model_validate(n) for n in out["needs"]] == [
        StatedNeed(need_type="medical"),
        StatedNeed(need_type="care"),
    ]
    assert [m["age"] for m in out["household"]] == [0, 0]
    assert [(m["relation"], m["dibao"]) for m in out["household"]] == [("self", False), ("spouse", True)]
    assert out["incident_ongoing"] is True and out["requested_months"] == 3
    assert scrub_facts(out) == out  # applying again changes nothing
    assert FACTS["annual_household_income"] == "20000.00"  # the input is not changed in place


def _assessed() -> dict[str, Any]:
    return {
        "case_id": "c",
        "persons_helped": 2,
        "household_size": 3,
        "months": 3,
        "monthly_standard": "800.00",
        "amount": "4800.00",
        "needs": [{"need_type": "medical", "amount": "4800.00"}],
        "self_paid": "25000.00",
        "per_capita_income": "6666.67",
        "reasons": [
            {"rule": "R-CAT-3", "passed": True, "message": "自付 25000.00 超过年收入", "figures": {"x": "1"}}
        ],
        "raise_decision": {
            "decided_by": "县政府",
            "decided_on": "2026-11-01",
            "reference": "县政〔2026〕1号",
            "reason": "患者张三病情危重",
        },
        "extended_duration": {
            "tier_id": "t1",
            "policy_version": "p",
            "normal_max": 3,
            "months": 6,
            "min_burden_ratio": "0.5",
            "burden_ratio": "1.25",
        },
    }


def test_approvals_copies_lose_health_figures_and_income_in_their_own_classes() -> None:
    assert [
        Need.model_validate(n).amount for n in scrub_needs([{"need_type": "medical", "amount": "9.00"}])
    ] == [0]
    health = scrub_assessment_health(_assessed())
    assert health["self_paid"] is None and health["needs"] == [{"need_type": "medical", "amount": "0.00"}]
    assert health["reasons"] == [
        {"rule": "R-CAT-3", "passed": True, "message": PSEUDONYM_TEXT, "figures": {"x": PSEUDONYM_TEXT}}
    ]
    assert health["extended_duration"]["burden_ratio"] == "0"
    assert health["extended_duration"]["tier_id"] == "t1" and health["extended_duration"]["normal_max"] == 3
    assert health["per_capita_income"] == "6666.67"  # income is application_personal's, not health's
    personal = scrub_assessment_personal(health)
    assert personal["per_capita_income"] is None
    assert personal["raise_decision"]["reason"] == PSEUDONYM_TEXT
    assert personal["raise_decision"]["reference"] == "县政〔2026〕1号"
    for kept in ("persons_helped", "household_size", "months", "monthly_standard", "amount"):
        assert personal[kept] == _assessed()[kept]  # what the decision and the figures read
    assert scrub_assessment_personal(scrub_assessment_health(personal)) == personal


def test_a_scrubbed_assessment_still_has_the_published_shape() -> None:
    """Every field CaseAssessed names keeps a value of its type: readers parsing it keep working."""
    fields = set(CaseAssessed.model_fields)
    assert {"needs", "self_paid", "per_capita_income", "reasons", "persons_helped"} <= fields
    assert set(scrub_assessment_health(_assessed())) == set(_assessed())
