"""Supervision (R-OVS-1, R-FLOW-3, R-FLOW-2): each township's scorecard against its county's targets, computed
exactly over known cases, with the findings and actions the results led to. All five services on a database
of their own; the recorded instants of submission are set with SQL (only timestamps) so the times to
decision are known."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from shared import clock
from tests.conftest import fresh_world
from tests.factories import address, application, auth, emergency_application, pending_case
from tests.factories import review as review_step

pytestmark = pytest.mark.asyncio(loop_scope="session")

YEAR = clock.local_today().year
COUNTY, T1, T2 = "140303", "140303003", "140303004"


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _decide(client: httpx.AsyncClient, case_id: str, amount: str, decision: str = "approved") -> None:
    _ok(await review_step(client, case_id, amount=amount, opinion=decision))
    body = {"decision": decision, "reasons": "R-FLOW-1", "role": "county", "confirm_extended_duration": True}
    if decision == "approved":
        body["amount"] = amount
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=body))


async def _waited(db: asyncpg.Connection, case_id: str, days: str) -> None:
    """Submission ``days`` before its decision (only the timestamp moves)."""
    await db.execute(
        "UPDATE approval.cases SET submitted_at = (SELECT at FROM approval.decisions WHERE case_id = $1 "
        "AND step = 'approval') - $2::numeric * interval '1 day' WHERE case_id = $1",
        case_id,
        days,
    )


@pytest.fixture(scope="module")
async def world(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    async with fresh_world(pg_server_url, tmp_path_factory, "scorecards") as (client, db):
        yield {"client": client, "db": db, **await _drive(client, db)}


async def _drive(client: httpx.AsyncClient, db: asyncpg.Connection) -> dict[str, Any]:
    limits = {
        "county_code": COUNTY,
        "effective_from": "2025-01-01",
        "approval_limit": "300.00",
        "disbursement_limit": "300.00",
    }
    _ok(await client.post(f"/approval/v1/townships/{T1}/limits", json=limits), 201)
    # T1: 200.00 within its 300.00 delegation, 400.00 above it (the county's), one rejection (within)
    within, above, rejected = [
        (await pending_case(client, application(address=address(COUNTY, T1))))[0] for _ in range(3)
    ]
    await _decide(client, within, "200.00")
    await _decide(client, above, "400.00")
    await _decide(client, rejected, "0.00", decision="rejected")
    for case_id, days in ((within, "2"), (above, "5"), (rejected, "1.5")):
        await _waited(db, case_id, days)
    # T2: two helped first; one's paperwork done (on time), the other's overdue
    late, done = [
        (await pending_case(client, emergency_application(address=address(COUNTY, T2))))[0] for _ in range(2)
    ]
    grant = {"role": "township", "amount": "100.00", "form": "cash", "channel": "direct", "reasons": "fire"}
    for case_id in (late, done):
        _ok(await client.post(f"/approval/v1/cases/{case_id}/help-first", json=grant), 201)
    over = {"over_on": f"{YEAR}-01-05"}
    _ok(await client.post(f"/approval/v1/cases/{late}/help-first/emergency-over", json=over))
    await _decide(client, done, "200.00")
    await _waited(db, done, "3")
    targets = {
        "time_to_decision_days": "3",
        "help_first_on_time_share": "0.9",
        "within_delegation_share": "0.6",
    }
    for indicator, target in targets.items():
        put = await client.put(
            f"/approval/v1/scorecard-targets/{COUNTY}/{YEAR}", json={"indicator": indicator, "target": target}
        )
        _ok(put)
    return {"late": late}


def _scores(card: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {s["indicator"]: (s["value"], s["target"], s["met"], s["basis"]) for s in card["scores"]}


async def test_each_townships_scorecard_is_exact_against_the_countys_targets(world):
    client = world["client"]
    body = _ok(await client.get("/approval/v1/scorecards", params={"county_code": COUNTY, "year": YEAR}))
    cards = {c["township_code"]: c for c in body["townships"]}
    assert sorted(cards) == [
        "140303001",
        "140303002",
        T1,
        T2,
    ]  # every township of the county, measured or not
    assert _scores(cards[T1]) == {
        "time_to_decision_days": ("2.00", "3", True, 3),  # median of 2, 5 and 1.5 days
        "help_first_on_time_share": (None, "0.9", None, 0),
        "within_delegation_share": ("0.6667", "0.6", True, 3),  # 2 of 3 within the 300.00 delegation
        "reexamination_reversal_share": (None, None, None, 0),  # none asked for
    }
    assert _scores(cards[T2]) == {
        "time_to_decision_days": ("3.00", "3", True, 1),
        "help_first_on_time_share": ("0.5000", "0.9", False, 2),  # one done, one past its deadline
        "within_delegation_share": ("1.0000", "0.6", True, 1),
        "reexamination_reversal_share": (None, None, None, 0),
    }
    assert _scores(cards["140303001"])["time_to_decision_days"] == (None, "3", None, 0)
    assert {t["indicator"]: t["target"] for t in body["targets"]} == {
        "time_to_decision_days": "3",
        "help_first_on_time_share": "0.9",
        "within_delegation_share": "0.6",
    }


async def test_the_use_made_of_a_result_is_recorded_with_its_follow_up_date(world):
    client = world["client"]
    finding = {
        "township_code": T2,
        "year": YEAR,
        "indicator": "help_first_on_time_share",
        "finding": "half the help-first paperwork late (R-FLOW-2)",
        "action": "township head to clear the backlog; training on the 10-working-day clock",
        "follow_up_on": f"{YEAR + 1}-01-15",
    }
    saved = _ok(await client.post(f"/approval/v1/scorecard-findings/{COUNTY}", json=finding), 201)
    assert saved["actor"] == "test-officer"
    body = _ok(
        await client.get("/approval/v1/scorecards", params={"county_code": COUNTY, "township_code": T2})
    )
    [card] = body["townships"]
    assert [(f["indicator"], f["follow_up_on"]) for f in card["findings"]] == [
        ("help_first_on_time_share", f"{YEAR + 1}-01-15")
    ]
    township = auth("t-approver", "county_approver", county=COUNTY, township=T2)
    assert (
        await client.post(f"/approval/v1/scorecard-findings/{COUNTY}", json=finding, headers=township)
    ).status_code == 403
    assert (
        await client.get("/approval/v1/scorecards", params={"county_code": COUNTY}, headers=township)
    ).status_code == 404
    elsewhere = {**finding, "township_code": "140302001"}
    assert (await client.post(f"/approval/v1/scorecard-findings/{COUNTY}", json=elsewhere)).status_code == 422
    too_much = {"indicator": "within_delegation_share", "target": "1.5"}
    assert (
        await client.put(f"/approval/v1/scorecard-targets/{COUNTY}/{YEAR}", json=too_much)
    ).status_code == 422
