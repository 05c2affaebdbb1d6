"""Budgets (R-OVS-3): county envelopes per funding source, committed in the decision's transaction (and at
help first, R-FLOW-2), spent and released as disbursement's payment events arrive through approval's
inbox; refused (409 budget-exhausted) or escalated to the county (R-FLOW-3) beyond the envelope; two
parallel decisions for the last yuan never overspend. All five services on a database of their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared import clock
from tests.conftest import fresh_world
from tests.factories import (
    address,
    application,
    auth,
    emergency_application,
    eventually,
    pending_case,
)
from tests.factories import review as review_step

pytestmark = pytest.mark.asyncio(loop_scope="session")

YEAR = clock.local_today().year
FINANCE = auth("county-finance", "finance_officer", county="140311")
TOWNSHIP_ADMIN = auth("township-admin", "policy_admin", county="140311", township="140311101")
TOWNSHIP_STAFF = auth("township-approver", "township_approver", county="140311", township="140311101")


@pytest.fixture(scope="module")
async def world(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    async with fresh_world(pg_server_url, tmp_path_factory, "budgets") as (client, db):
        yield {"client": client, "db": db, "app": client.app}


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _envelopes(client: httpx.AsyncClient, county: str, **amounts: str) -> None:
    for source, amount in amounts.items():
        _ok(await client.put(f"/approval/v1/budgets/{county}/{YEAR}/{source}", json={"amount": amount}))


async def _rules(client: httpx.AsyncClient, county: str, order: list[str], over: str = "refuse") -> None:
    body = {"effective_from": str(clock.local_today()), "source_order": order, "over_envelope": over}
    _ok(await client.post(f"/approval/v1/budget-policies/{county}", json=body), 201)


async def _reviewed(
    client: httpx.AsyncClient, county: str, township: str, body: dict[str, Any] | None = None
) -> str:
    case_id, _ = await pending_case(client, body or application(address=address(county, township)))
    _ok(await review_step(client, case_id))
    return case_id


def _decision(amount: str, role: str = "township") -> dict[str, Any]:
    return {
        "decision": "approved",
        "amount": amount,
        "reasons": "R-FLOW-1",
        "role": role,
        "confirm_extended_duration": True,
    }


async def _budget(client: httpx.AsyncClient, county: str) -> dict[str, Any]:
    [year] = _ok(await client.get(f"/approval/v1/budgets/{county}", params={"year": YEAR}))
    return {"total": year, **{e["source"]: e for e in year["envelopes"]}}


def _money(envelope: dict[str, Any]) -> tuple[str, str, str, str]:
    return envelope["amount"], envelope["committed"], envelope["spent"], envelope["available"]


async def _payments(client: httpx.AsyncClient, case_id: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        rows = (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        return rows if len(rows) >= count else None

    return await eventually(probe, what=f"{count} payments of {case_id}")


async def _until(client: httpx.AsyncClient, county: str, source: str, expected: tuple[str, ...]) -> None:
    async def probe() -> bool:
        return _money((await _budget(client, county))[source]) == expected

    await eventually(probe, what=f"{source} envelope of {county} at {expected}")


async def test_approvals_commit_the_first_source_with_room_and_payments_spend_it_to_the_fen(world):
    client = world["client"]
    county, township = "140302", "140302001"
    await _rules(client, county, ["provincial", "central"])
    await _envelopes(client, county, central="3000.00", provincial="1000.00", local="5000.00")
    first = await _reviewed(client, county, township)
    second = await _reviewed(client, county, township)
    _ok(await client.post(f"/approval/v1/cases/{first}/decision", json=_decision("800.00")))
    # 200.00 left of provincial: the next 300.50 goes whole to central, the next source in the county's order
    _ok(await client.post(f"/approval/v1/cases/{second}/decision", json=_decision("300.50")))
    budget = await _budget(client, county)
    assert _money(budget["provincial"]) == ("1000.00", "800.00", "0.00", "200.00")
    assert _money(budget["central"]) == ("3000.00", "300.50", "0.00", "2699.50")
    assert _money(budget["local"]) == ("5000.00", "0.00", "0.00", "5000.00")
    assert _money(budget["total"]) == ("9000.00", "1100.50", "0.00", "7899.50")

    [payment] = await _payments(client, first, 1)
    _ok(await client.post(f"/disbursement/v1/payments/{payment['id']}/result", json={"result": "paid"}))
    await _until(client, county, "provincial", ("1000.00", "0.00", "800.00", "200.00"))
    # returned by the bank: spent becomes committed again, for the re-issue
    _ok(await client.post(f"/disbursement/v1/payments/{payment['id']}/result", json={"result": "returned"}))
    await _until(client, county, "provincial", ("1000.00", "800.00", "0.00", "200.00"))
    _ok(
        await client.post(
            f"/disbursement/v1/payments/{payment['id']}/retry", json={"reason": "account fixed"}
        )
    )
    _ok(await client.post(f"/disbursement/v1/payments/{payment['id']}/result", json={"result": "paid"}))
    await _until(client, county, "provincial", ("1000.00", "0.00", "800.00", "200.00"))

    trace = _ok(await client.get(f"/approval/v1/budgets/{county}/{YEAR}/provincial/movements"))
    assert [(m["kind"], m["amount"]) for m in trace] == [
        ("allocation", "10000000.00"),  # the illustrative seed (an empty schema)
        ("allocation", "-9999000.00"),  # the county's finance officer sets 1000.00
        ("commit", "800.00"),
        ("spend", "800.00"),
        ("unspend", "800.00"),
        ("spend", "800.00"),
    ]
    assert {m["case_id"] for m in trace[2:]} == {first}


async def test_a_correction_to_less_releases_the_difference_and_the_new_payment_spends(world):
    client = world["client"]
    county, township = "140303", "140303003"
    await _rules(client, county, ["local"])
    await _envelopes(client, county, local="2000.00")
    case_id = await _reviewed(client, county, township)
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("900.00")))
    [payment] = await _payments(client, case_id, 1)
    _ok(await client.post(f"/disbursement/v1/payments/{payment['id']}/result", json={"result": "paid"}))
    await _until(client, county, "local", ("2000.00", "0.00", "900.00", "1100.00"))
    corrected = await client.post(
        f"/disbursement/v1/payments/{payment['id']}/correction",
        json={"amount": "600.00", "reason": "R-AMT-1: one person less"},
    )
    _ok(corrected, 201)
    # PaymentCorrected: the 900.00 spent is committed again, 300.00 released, the new 600.00 awaits payment
    await _until(client, county, "local", ("2000.00", "600.00", "0.00", "1400.00"))
    new = corrected.json()
    _ok(await client.post(f"/disbursement/v1/payments/{new['id']}/result", json={"result": "paid"}))
    await _until(client, county, "local", ("2000.00", "0.00", "600.00", "1400.00"))


async def test_an_approval_beyond_the_envelope_is_refused_409_and_nothing_is_written(world):
    client, db = world["client"], world["db"]
    county, township = "140311", "140311101"
    await _rules(client, county, ["central", "local"])
    await _envelopes(client, county, central="500.00", local="499.99", provincial="10000.00")
    case_id = await _reviewed(client, county, township)
    refused = await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("500.01"))
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/budget-exhausted") and problem["rule"] == "R-OVS-3"
    assert problem["available"] == {"central": "500.00", "local": "499.99"}  # provincial is not in its order
    assert _ok(await client.get(f"/approval/v1/cases/{case_id}"))["status"] == "reviewed"
    assert (
        await db.fetchval("SELECT count(*) FROM approval.budget_commitments WHERE case_id = $1", case_id) == 0
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.decisions WHERE case_id = $1 AND step = 'approval'", case_id
        )
        == 0
    )
    assert _money((await _budget(client, county))["central"]) == ("500.00", "0.00", "0.00", "500.00")
    # exactly what remains fits
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("500.00")))
    assert _money((await _budget(client, county))["central"]) == ("500.00", "500.00", "0.00", "0.00")
    # an envelope is never set below what is in use
    lower = await client.put(f"/approval/v1/budgets/{county}/{YEAR}/central", json={"amount": "499.99"})
    assert lower.status_code == 409 and lower.json()["type"].endswith("/envelope-below-use")


async def test_with_the_escalate_setting_the_township_is_sent_to_the_county_which_may_overrun(world):
    client = world["client"]
    county, township = "140321", "140321103"
    await _rules(client, county, ["central"], over="escalate")
    await _envelopes(client, county, central="100.00")
    case_id = await _reviewed(client, county, township)
    sent_up = await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("150.00"))
    assert sent_up.status_code == 409, sent_up.text
    assert sent_up.json()["type"].endswith("/budget-county-approval-required")
    assert sent_up.json()["rule"] == "R-OVS-3"
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("150.00", role="county")))
    assert _money((await _budget(client, county))["central"]) == ("100.00", "150.00", "0.00", "-50.00")
    overrun = await world["db"].fetchval(
        "SELECT overrun FROM approval.budget_commitments WHERE case_id = $1", case_id
    )
    assert str(overrun) == "50.00"


async def test_two_parallel_decisions_for_the_last_yuan_never_overspend(world):
    client, db = world["client"], world["db"]
    county, township = "140322", "140322101"
    await _rules(client, county, ["central"])
    await _envelopes(client, county, central="1001.00")
    warm = await _reviewed(client, county, township)
    _ok(await client.post(f"/approval/v1/cases/{warm}/decision", json=_decision("1000.00")))
    for round_no in range(3):  # a few rounds, each two decisions racing for the last yuan
        left = (await _budget(client, county))["central"]["available"]
        assert left == "1.00"
        a, b = [await _reviewed(client, county, township) for _ in range(2)]
        results = await asyncio.gather(
            *(client.post(f"/approval/v1/cases/{c}/decision", json=_decision(left)) for c in (a, b))
        )
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["type"].endswith("/budget-exhausted")
        assert _money((await _budget(client, county))["central"])[3] == "0.00"
        more = {"amount": f"{1002 + round_no}.00"}  # one more yuan for the next round
        _ok(await client.put(f"/approval/v1/budgets/{county}/{YEAR}/central", json=more))
    committed = await db.fetchval(
        "SELECT sum(c.amount) FROM approval.budget_commitments c JOIN approval.budget_envelopes e "
        "ON e.id = c.envelope_id WHERE e.county_code = $1",
        county,
    )
    assert str(committed) == "1003.00"


async def test_help_first_commits_its_handover_spends_and_the_decision_commits_the_rest(world):
    client = world["client"]
    county, township = "140321", "140321104"
    await _rules(client, county, ["provincial"])
    await _envelopes(client, county, provincial="1000.00")
    _ok(
        await client.post(
            f"/disbursement/v1/reserve-funds/{township}",
            json={
                "county_code": county,
                "year": YEAR,
                "proportion": "0.5",
                "previous_year_spending": "10000.00",
            },
        ),
        201,
    )
    case_id, _ = await pending_case(client, emergency_application(address=address(county, township)))
    grant = {"role": "township", "amount": "400.00", "form": "cash", "channel": "direct", "reasons": "fire"}
    _ok(await client.post(f"/approval/v1/cases/{case_id}/help-first", json=grant), 201)
    assert _money((await _budget(client, county))["provincial"]) == ("1000.00", "400.00", "0.00", "600.00")
    [payment] = await _payments(client, case_id, 1)
    handover = {"witness_name": "village-head", "recipient_name": "王大力", "items": "cash 400.00"}
    _ok(await client.post(f"/disbursement/v1/payments/{payment['id']}/handover", json=handover))
    await _until(client, county, "provincial", ("1000.00", "0.00", "400.00", "600.00"))
    _ok(await review_step(client, case_id, amount="900.00"))
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("900.00", role="county")))
    # the decision commits what help first had not: 900.00 - 400.00
    assert _money((await _budget(client, county))["provincial"]) == ("1000.00", "500.00", "400.00", "100.00")


async def test_envelopes_are_set_by_a_county_finance_officer_and_read_at_county_level(world):
    client = world["client"]
    county = "140311"
    put = await client.put(
        f"/approval/v1/budgets/{county}/{YEAR + 1}/local", json={"amount": "12.34"}, headers=FINANCE
    )
    assert _ok(put)["actor"] == "county-finance" and put.json()["available"] == "12.34"
    other = await client.put(
        f"/approval/v1/budgets/140302/{YEAR + 1}/local", json={"amount": "1.00"}, headers=FINANCE
    )
    assert other.status_code == 404
    admin = await client.put(
        f"/approval/v1/budgets/{county}/{YEAR + 1}/local", json={"amount": "1.00"}, headers=TOWNSHIP_ADMIN
    )
    assert admin.status_code == 403  # a policy admin does not allocate money; the finance officer does
    rules = {"effective_from": "2030-01-01", "source_order": ["local"]}
    assert (
        await client.post(f"/approval/v1/budget-policies/{county}", json=rules, headers=TOWNSHIP_ADMIN)
    ).status_code == 403  # county-level: not a township's admin
    assert (await client.get(f"/approval/v1/budgets/{county}", headers=TOWNSHIP_STAFF)).status_code == 404
    twice = {"effective_from": "2030-01-01", "source_order": ["local", "local"]}
    assert (await client.post(f"/approval/v1/budget-policies/{county}", json=twice)).status_code == 422
    unknown = {
        "effective_from": "2030-01-01",
        "source_order": ["local"],
        "by_category": {"housing": ["local"]},
    }
    assert (await client.post(f"/approval/v1/budget-policies/{county}", json=unknown)).status_code == 422


async def test_a_payment_given_up_releases_its_commitment_once_however_often_delivered(world):
    """Disbursement reports no terminal failure yet; a ``cancelled`` result (the contract's free-text
    result) is what approval releases on. The same event delivered twice releases once (the inbox)."""
    from shared.bus import Record
    from shared.contracts.disbursement import PaymentResultRecorded
    from shared.events import Envelope

    client, db = world["client"], world["db"]
    county, township = "140311", "140311102"
    await _rules(client, county, ["local"])
    before = _money((await _budget(client, county))["local"])
    case_id = await _reviewed(client, county, township)
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("300.00")))
    [payment] = await _payments(client, case_id, 1)
    runtime = world["app"].state.runtimes["approval"]
    given_up = PaymentResultRecorded(
        case_id=case_id,
        instruction_id=payment["id"],
        reference=payment["reference"],
        stage=1,
        attempt=1,
        result="cancelled",
        amount=Decimal("300.00"),
        channel="bank_transfer",
        recorded_at=clock.now(),
    )
    value = (
        Envelope.wrap(given_up, source="/assistance/disbursement", subject=case_id).model_dump_json().encode()
    )
    record = Record(topic=runtime.topic("disbursement"), key=case_id, value=value)
    await runtime.bus.publish([record, record])

    async def released() -> bool:
        count = await db.fetchval(
            "SELECT count(*) FROM approval.budget_movements WHERE case_id = $1 AND kind = 'release'", case_id
        )
        return count == 1

    await eventually(released, what="the commitment released")
    await asyncio.sleep(0.5)  # the second delivery has had its chance
    assert (
        await db.fetchval(
            "SELECT count(*) FROM approval.budget_movements WHERE case_id = $1 AND kind = 'release'", case_id
        )
        == 1
    )
    assert _money((await _budget(client, county))["local"]) == before


async def _attention(client: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        case = (await client.get(f"/intake/v1/applications/{case_id}")).json()
        return case if case["status"] == "needs_attention" else None

    return await eventually(probe, what="intake to show the case needs_attention")


async def test_a_payment_disbursement_gives_up_releases_its_commitment_and_the_case_says_so(world):
    """R-OVS-3: failed, then given up (terminal): approval releases exactly what it had committed for it, the
    case shows needs_attention naming the payment, and a given-up payment is neither retried nor given up
    twice (409 payment-state)."""
    client, db = world["client"], world["db"]
    county, township = "140302", "140302002"
    await _rules(client, county, ["central"])
    before = _money((await _budget(client, county))["central"])
    case_id = await _reviewed(client, county, township)
    _ok(await client.post(f"/approval/v1/cases/{case_id}/decision", json=_decision("700.00")))
    committed = _money((await _budget(client, county))["central"])
    assert Decimal(committed[1]) - Decimal(before[1]) == Decimal("700.00")
    assert Decimal(before[3]) - Decimal(committed[3]) == Decimal("700.00")
    [payment] = await _payments(client, case_id, 1)
    pay = f"/disbursement/v1/payments/{payment['id']}"
    scheduled = await client.post(f"{pay}/give-up", json={"reason": "still scheduled"})
    assert scheduled.status_code == 409 and scheduled.json()["type"].endswith("/payment-state")
    _ok(await client.post(f"{pay}/result", json={"result": "failed", "reason": "account closed"}))
    given_up = _ok(await client.post(f"{pay}/give-up", json={"reason": "account closed, household moved"}))
    assert given_up["status"] == "given_up"
    await _until(client, county, "central", before)
    release = await db.fetch(
        "SELECT amount, instruction_id FROM approval.budget_movements "
        "WHERE case_id = $1 AND kind = 'release'",
        case_id,
    )
    assert [(str(r["amount"]), str(r["instruction_id"])) for r in release] == [("700.00", payment["id"])]
    attention = (await _attention(client, case_id))["attention"]
    assert attention["service"] == "disbursement"
    assert payment["reference"] in attention["reason"] and "R-OVS-3" in attention["reason"]
    for again in ("give-up", "retry"):
        refused = await client.post(f"{pay}/{again}", json={"reason": "once more"})
        assert refused.status_code == 409 and refused.json()["type"].endswith("/payment-state"), again


async def test_a_help_first_payment_given_up_goes_back_to_the_reserve_fund_and_the_budget(world):
    """R-RES, R-OVS-3: the reserve draw is released to the fund (a reserve_release ledger line) and the
    help-first commitment to the envelope."""
    client = world["client"]
    county, township = "140302", "140302003"
    allocation = {
        "county_code": county,
        "year": YEAR,
        "proportion": "0.1",
        "previous_year_spending": "9000.00",
    }
    _ok(await client.post(f"/disbursement/v1/reserve-funds/{township}", json=allocation), 201)
    before = _money((await _budget(client, county))["central"])
    case_id, _ = await pending_case(client, emergency_application(address=address(county, township)))
    grant = {
        "role": "township",
        "amount": "250.00",
        "form": "cash",
        "channel": "bank_transfer",
        "reasons": "fire",
    }
    _ok(await client.post(f"/approval/v1/cases/{case_id}/help-first", json=grant), 201)
    [payment] = await _payments(client, case_id, 1)
    assert payment["funding"] == "reserve"
    fund = f"/disbursement/v1/reserve-funds/{township}/{YEAR}"
    assert _ok(await client.get(fund))["balance"] == "650.00"
    pay = f"/disbursement/v1/payments/{payment['id']}"
    _ok(await client.post(f"{pay}/result", json={"result": "failed", "reason": "no such account"}))
    _ok(await client.post(f"{pay}/give-up", json={"reason": "paid in kind by the village instead"}))
    assert _ok(await client.get(fund))["balance"] == "900.00"
    await _until(client, county, "central", before)
    ledger = _ok(await client.get("/disbursement/v1/ledger", params={"township_code": township}))
    kinds = [(e["kind"], e["amount"]) for e in ledger if e.get("instruction_id") == payment["id"]]
    assert kinds == [("reserve_draw", "250.00"), ("reserve_release", "250.00")]
    reconciled = _ok(
        await client.get(
            "/disbursement/v1/ledger/reconciliation", params={"county_code": county, "year": YEAR}
        )
    )
    [fund_check] = [f for f in reconciled["reserve_funds"] if f["township_code"] == township]
    assert fund_check["balanced"]  # the fund's balance is what its ledger lines add up to (R-OVS-3)
