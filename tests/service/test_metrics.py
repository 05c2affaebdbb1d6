"""/metrics in standalone mode: the gauges read at scrape time from each service's own tables and consumers
— cases by state, reserve-fund balances (R-RES), consumer lag, dead letters waiting — and no personal data."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def scrape(client) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "张小明" not in response.text and "6222020200112233445" not in response.text
    return {
        family.name: {tuple(sorted(s.labels.items())): s.value for s in family.samples}
        for family in text_string_to_metric_families(response.text)
    }


def series(metrics, name: str, **labels: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {k: v for k, v in metrics.get(name, {}).items() if set(labels.items()) <= set(k)}


async def test_reserve_fund_balance_per_township_and_year(standalone):
    township, year = "140321104", random.randint(2040, 2100)  # a fund no other test allocates
    fund = await standalone.post(
        f"/disbursement/v1/reserve-funds/{township}",
        json={
            "county_code": "140321",
            "year": year,
            "proportion": "0.1",
            "previous_year_spending": "50000.00",
            "actor": "county-finance",
        },
    )
    assert fund.status_code == 201, fund.text
    drawn = await standalone.post(
        f"/disbursement/v1/reserve-funds/{township}/{year}/draws",
        json={"amount": "1234.56", "actor": "township", "purpose": "emergency help"},
    )
    assert drawn.status_code == 201, drawn.text
    metrics = await scrape(standalone)
    labels = (("county", "140321"), ("township", township), ("year", str(year)))
    assert metrics["assistance_reserve_fund_allocated_yuan"][labels] == 5000.0
    assert Decimal(str(metrics["assistance_reserve_fund_balance_yuan"][labels])) == Decimal("3765.44")


async def test_cases_by_state_are_counted_from_each_services_own_tables(standalone, db):
    case_id, _ = await pending_case(standalone, application())

    async def referral_knows():
        return await db.fetchval("SELECT count(*) FROM referral.cases WHERE case_id = $1", case_id)

    await eventually(referral_knows, what="referral to record the case")
    metrics = await scrape(standalone)
    by_state = metrics["assistance_cases_by_state"]

    intake = dict(await db.fetch("SELECT status, count(*) FROM intake.applications GROUP BY status"))
    assert series(metrics, "assistance_cases_by_state", service="intake") == {
        (("service", "intake"), ("state", status)): float(n) for status, n in intake.items()
    }
    approval = dict(await db.fetch("SELECT status, count(*) FROM approval.cases GROUP BY status"))
    assert by_state[(("service", "approval"), ("state", "pending"))] == approval["pending"] >= 1
    assessed = await db.fetchval("SELECT count(DISTINCT case_id) FROM assessment.assessments")
    assert sum(series(metrics, "assistance_cases_by_state", service="assessment").values()) == assessed
    referral = await db.fetchval("SELECT count(*) FROM referral.cases")
    assert sum(series(metrics, "assistance_cases_by_state", service="referral").values()) == referral
    assert {dict(k)["state"] for k in series(metrics, "assistance_cases_by_state", service="referral")} <= {
        "awaiting_decision",
        "not_shared",
        "unmatched",
        "offered",
        "accepted",
        "fulfilled",
        "closed",
    }

    # Approving moves the case on: the pending count drops by one at the next scrape, approved grows.
    await review(standalone, case_id)
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "confirm_extended_duration": True,
            "actor": "county-approver-1",
            "reasons": "ok",
        },
    )
    assert decided.status_code == 200, decided.text
    after = (await scrape(standalone))["assistance_cases_by_state"]
    pending = (("service", "approval"), ("state", "pending"))
    approved = (("service", "approval"), ("state", "approved"))
    assert after[pending] == by_state[pending] - 1  # reported as 0 rather than vanishing when none is left
    assert after[approved] == by_state.get(approved, 0) + 1

    async def paid_state():
        current = await scrape(standalone)
        return series(current, "assistance_cases_by_state", service="disbursement") or None

    disbursement = await eventually(paid_state, what="disbursement's cases by payment state")
    latest = await db.fetchval("SELECT count(DISTINCT case_id) FROM disbursement.payment_instructions")
    assert sum(disbursement.values()) == latest


async def test_consumer_lag_and_dead_letters_waiting_per_service(standalone):
    await pending_case(standalone, application())

    async def settled():
        metrics = await scrape(standalone)
        lag = metrics.get("assistance_consumer_lag", {})
        return metrics if lag and all(v == 0 for v in lag.values()) else None

    metrics = await eventually(settled, what="every consumer to catch up")
    lag = metrics["assistance_consumer_lag"]
    assert (
        ("group", "assistance-assessment"),
        ("partition", "0"),
        ("service", "assessment"),
        ("topic", "assistance.intake.v1"),
    ) in lag
    consumed = {(dict(k)["service"], dict(k)["topic"]) for k in lag}
    assert consumed == {
        ("assessment", "assistance.intake.v1"),
        ("approval", "assistance.assessment.v1"),
        ("approval", "assistance.intake.v1"),  # archive completeness: the gate before approving (R-ARC-1)
        ("approval", "assistance.disbursement.v1"),  # payment results spend budget commitments (R-OVS-3)
        ("referral", "assistance.assessment.v1"),  # months assessed: the 低保 suggestion (R-AID-1)
        ("disbursement", "assistance.intake.v1"),
        ("disbursement", "assistance.approval.v1"),
        ("referral", "assistance.intake.v1"),
        ("referral", "assistance.approval.v1"),
        ("intake", "assistance.assessment.v1"),
        ("intake", "assistance.approval.v1"),
        ("assessment", "assistance.approval.v1"),  # decisions: a raise after one is refused (R-AMT-4)
        ("intake", "assistance.disbursement.v1"),  # case-processing-failed: needs_attention
        ("intake", "assistance.referral.v1"),
        ("intake", "assistance.monitoring.leads.v1"),  # leads from outside systems (R-OVS-2)
        *(
            ("household", f"assistance.{s}.v1")
            for s in ("intake", "assessment", "approval", "disbursement", "referral")
        ),
    }
    for service in ("intake", "assessment", "approval", "disbursement", "referral", "household"):
        assert (("service", service),) in metrics["assistance_dead_letters_waiting"]
        assert (("service", service),) in metrics["assistance_outbox_backlog"]
