# ruff: noqa: S608 - SQL on fixed table names of the services
"""Retention of a case closed without a payment (R-RET-1, R-RET-2; issue 17 §4, left over): disbursement
keeps the payee (bank account, sealed) of every submitted application, so it must learn that a refused case
is closed — CaseDecided(rejected) is recorded as an unpaid closing — and purge that payee once the
bank-account period has passed, leaving a recent refusal's payee as it was. On the real app and database
over the in-process bus; the closing instant is set directly in the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.disbursement.repository import instructions as repo
from shared import clock
from tests.factories import application, auth, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

PLANNER = auth("refusal-planner", "policy_admin")
CONFIRMER = auth("refusal-confirmer", "county_approver")
SIX_YEARS = timedelta(days=6 * 366)  # past the national bank-account period (5 years)


async def _refused(client: Any, db: Any) -> str:
    """A case refused at approval (after a review by another officer), its closing known to disbursement."""
    case_id, _ = await pending_case(client, application())
    reviewed = await review(client, case_id, opinion="rejected", reasons="入户核实收入高于标准 (R-CAT-3)")
    assert reviewed.status_code == 200, reviewed.text
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision", json={"decision": "rejected", "reasons": "同意审核意见"}
    )
    assert decided.status_code == 200, decided.text

    async def closed() -> bool:
        row = await db.fetchrow(
            "SELECT decision FROM disbursement.unpaid_closings WHERE case_id = $1", case_id
        )
        return row is not None and row["decision"] == "rejected"

    await eventually(closed, what="the refusal recorded by disbursement")
    return case_id


async def _payee_rows(db: Any, case_id: str) -> list[tuple[Any, ...]]:
    rows = await db.fetch(
        "SELECT payee, county_code, township_code, case_no, category "
        "FROM disbursement.beneficiaries WHERE case_id = $1",
        case_id,
    )
    return [tuple(r) for r in rows]


async def test_a_refused_cases_payee_is_purged_after_its_period_and_a_recent_refusal_is_untouched(
    standalone, db
):
    old = await _refused(standalone, db)
    recent = await _refused(standalone, db)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM disbursement.payment_instructions WHERE case_id = ANY($1::uuid[])",
            [old, recent],
        )
        == 0
    )  # nothing was ever paid: only the payee on the beneficiary row holds the account
    old_before, recent_before = await _payee_rows(db, old), await _payee_rows(db, recent)
    assert old_before[0][0] is not None and recent_before[0][0] is not None
    await db.execute(
        "UPDATE disbursement.unpaid_closings SET closed_at = $2 WHERE case_id = $1",
        old,
        clock.now() - SIX_YEARS,
    )
    county = old_before[0][1]
    figures_before = (await standalone.get("/disbursement/v1/figures", headers=PLANNER)).json()

    made = await standalone.post(
        "/disbursement/v1/retention/dry-runs", json={"county_code": county}, headers=PLANNER
    )
    assert made.status_code == 201, made.text
    run = made.json()
    assert run["counts"]["bank_accounts"]["cases"] == 1  # the old refusal only (R-RET-2)
    assert run["counts"]["bank_accounts"]["disbursement.beneficiaries"] == 1
    assert await _payee_rows(db, old) == old_before  # a dry run changes nothing

    applied = await standalone.post(
        "/disbursement/v1/retention/purges", json={"dry_run_id": run["id"]}, headers=CONFIRMER
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"]["bank_accounts"] == 1

    [old_after] = await _payee_rows(db, old)
    assert old_after[0] is None  # the sealed account is gone
    assert old_after[1:] == old_before[0][1:]  # county, township, case number and category stay
    assert await _payee_rows(db, recent) == recent_before  # byte-identical
    assert (await standalone.get("/disbursement/v1/figures", headers=PLANNER)).json() == figures_before
    again = await standalone.post(
        "/disbursement/v1/retention/dry-runs", json={"county_code": county}, headers=PLANNER
    )
    assert again.json()["counts"]["bank_accounts"]["cases"] == 0


async def test_a_refusal_turned_into_a_later_decision_is_closed_at_the_later_one(standalone, db):
    """The closing moves forward, never back (R-RET-1): a second decision of the same case (an amended,
    re-decided case) restarts the period; a stale one arriving late does not."""
    case_id = await _refused(standalone, db)
    first = await db.fetchval(
        "SELECT closed_at FROM disbursement.unpaid_closings WHERE case_id = $1", case_id
    )
    runtime = standalone.app.state.runtimes["disbursement"]
    async with runtime.transaction() as session:
        for at in (first - timedelta(days=30), first + timedelta(days=30)):
            await repo.add_unpaid_closing(
                session, {"case_id": case_id, "decision": "rejected", "form": "cash", "closed_at": at}
            )
    later = await db.fetchval(
        "SELECT closed_at FROM disbursement.unpaid_closings WHERE case_id = $1", case_id
    )
    assert later == first + timedelta(days=30)
