"""End to end over Kafka, five processes (issue 20 §4, R-OVS-3, R-FLOW-3): a county's envelope is committed by
approvals in the decision's transaction, spent as disbursement's payment results arrive through approval's
inbox, released when a payment is given up; beyond what remains a township approval is escalated to the
county (the county's setting ``escalate``), which may overrun, and in a county set to ``refuse`` it is
refused, nothing written. What remains is exact to the fen at every step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared import clock
from tests.e2e.conftest import Cluster, open_cluster
from tests.factories import address, application, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

YEAR = clock.local_today().year
ESCALATING, E_TOWNSHIP = "140303", "140303002"  # 矿区: over the envelope, the county decides
REFUSING, R_TOWNSHIP = "140302", "140302004"  # 城区: over the envelope, nobody approves


@pytest.fixture(scope="module")
async def cluster(pg_server_url: str, kafka_bootstrap: str) -> AsyncIterator[Cluster]:
    """A cluster of this module's own: the envelopes it sets stay in force for the rest of the year, and the
    other e2e tests approve cases in the same counties without a budget."""
    async with open_cluster(pg_server_url, kafka_bootstrap, label="budget") as running:
        yield running


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Budget:
    """One county's local envelope over the distributed services."""

    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str], county: str) -> None:
        self.client, self.urls, self.county = client, urls, county
        self.approval = urls["approval"] + "/approval/v1"

    async def set_up(self, amount: str, over_envelope: str) -> None:
        rules = {
            "effective_from": str(clock.local_today()),
            "source_order": ["local"],
            "over_envelope": over_envelope,
        }
        _ok(await self.client.post(f"{self.approval}/budget-policies/{self.county}", json=rules), 201)
        envelope = {"amount": amount}
        _ok(await self.client.put(f"{self.approval}/budgets/{self.county}/{YEAR}/local", json=envelope))

    async def local(self) -> tuple[str, str, str, str]:
        [year] = _ok(await self.client.get(f"{self.approval}/budgets/{self.county}", params={"year": YEAR}))
        [e] = [e for e in year["envelopes"] if e["source"] == "local"]
        return e["amount"], e["committed"], e["spent"], e["available"]

    async def until(self, expected: tuple[str, str, str, str], what: str) -> None:
        async def probe() -> bool:
            return await self.local() == expected

        await eventually(probe, timeout=60, what=f"{what}: local envelope of {self.county} at {expected}")

    async def reviewed(self, township: str) -> str:
        body = application(address=address(self.county, township))
        created = _ok(await self.client.post(self.urls["intake"] + "/intake/v1/applications", json=body), 201)
        case_id = created["id"]

        async def arrived() -> bool:
            return (await self.client.get(f"{self.approval}/cases/{case_id}")).status_code == 200

        await eventually(arrived, timeout=60, what="approval to receive the case")
        reviewed = await review(self.client, case_id, self.urls["approval"], intake_base=self.urls["intake"])
        assert reviewed.status_code == 200, reviewed.text
        return case_id

    async def decide(self, case_id: str, amount: str, role: str = "township") -> httpx.Response:
        body = {
            "decision": "approved",
            "amount": amount,
            "reasons": "R-AMT-1",
            "role": role,
            "confirm_extended_duration": True,
        }
        return await self.client.post(f"{self.approval}/cases/{case_id}/decision", json=body)

    async def payment(self, case_id: str) -> str:
        base = self.urls["disbursement"] + "/disbursement/v1"

        async def probe() -> list[dict[str, Any]] | None:
            rows = (await self.client.get(f"{base}/cases/{case_id}/payments")).json()
            return rows or None

        [row] = await eventually(probe, timeout=60, what=f"the payment of {case_id}")
        return f"{base}/payments/{row['id']}"


async def test_a_county_envelope_is_committed_spent_released_and_escalated_exactly_over_kafka(cluster):
    async with staff_client(timeout=20) as client:
        budget = Budget(client, cluster.urls, ESCALATING)
        await budget.set_up("1000.00", "escalate")
        assert await budget.local() == ("1000.00", "0.00", "0.00", "1000.00")
        first, second, third = [await budget.reviewed(E_TOWNSHIP) for _ in range(3)]

        _ok(await budget.decide(first, "400.00"))  # committed in the decision's own transaction
        assert await budget.local() == ("1000.00", "400.00", "0.00", "600.00")
        _ok(await budget.decide(second, "350.00"))
        assert await budget.local() == ("1000.00", "750.00", "0.00", "250.00")

        first_payment = await budget.payment(first)
        _ok(await client.post(f"{first_payment}/result", json={"result": "paid"}))
        await budget.until(("1000.00", "350.00", "400.00", "250.00"), "the first paid")

        # 300.00 > 250.00 left: the township may not approve it (R-FLOW-3), the county may, and overruns
        escalated = await budget.decide(third, "300.00")
        assert escalated.status_code == 409, escalated.text
        problem = escalated.json()
        assert problem["type"].endswith("/budget-county-approval-required")
        assert problem["available"] == {"local": "250.00"}
        assert await budget.local() == ("1000.00", "350.00", "400.00", "250.00")  # nothing written
        _ok(await budget.decide(third, "300.00", role="county"))
        assert await budget.local() == ("1000.00", "650.00", "400.00", "-50.00")

        # the second's transfer fails and is given up: its 350.00 goes back to the envelope
        second_payment = await budget.payment(second)
        _ok(
            await client.post(
                f"{second_payment}/result", json={"result": "failed", "reason": "account closed"}
            )
        )
        given_up = await client.post(f"{second_payment}/give-up", json={"reason": "household moved away"})
        assert _ok(given_up)["status"] == "given_up"
        await budget.until(("1000.00", "300.00", "400.00", "300.00"), "the second given up")

        third_payment = await budget.payment(third)
        _ok(await client.post(f"{third_payment}/result", json={"result": "paid"}))
        await budget.until(("1000.00", "0.00", "700.00", "300.00"), "the third paid")

        trace = _ok(await client.get(f"{budget.approval}/budgets/{ESCALATING}/{YEAR}/local/movements"))
        mine = [(m["kind"], m["amount"]) for m in trace if m["case_id"] in (first, second, third)]
        assert sorted(mine) == sorted(
            [
                ("commit", "400.00"),
                ("commit", "350.00"),
                ("commit", "300.00"),
                ("spend", "400.00"),
                ("release", "350.00"),
                ("spend", "300.00"),
            ]
        )

        async def flagged() -> dict[str, Any] | None:
            case = (await client.get(cluster.urls["intake"] + f"/intake/v1/applications/{second}")).json()
            return case if case["status"] == "needs_attention" else None

        case = await eventually(flagged, timeout=60, what="intake to show the given-up case")
        assert case["attention"]["service"] == "disbursement"


async def test_in_a_county_set_to_refuse_an_approval_beyond_the_envelope_is_refused_and_nothing_written(
    cluster,
):
    async with staff_client(timeout=20) as client:
        budget = Budget(client, cluster.urls, REFUSING)
        await budget.set_up("500.00", "refuse")
        paid, refused = [await budget.reviewed(R_TOWNSHIP) for _ in range(2)]
        _ok(await budget.decide(paid, "200.00"))
        payment = await budget.payment(paid)
        _ok(await client.post(f"{payment}/result", json={"result": "paid"}))
        await budget.until(("500.00", "0.00", "200.00", "300.00"), "the first paid")
        for role in ("township", "county"):  # refuse: not even the county overruns
            answer = await budget.decide(refused, "300.01", role=role)
            assert answer.status_code == 409, answer.text
            assert answer.json()["type"].endswith("/budget-exhausted")
            assert answer.json()["available"] == {"local": "300.00"}
        assert await budget.local() == ("500.00", "0.00", "200.00", "300.00")
        case = _ok(await client.get(f"{budget.approval}/cases/{refused}"))
        assert case["status"] == "reviewed"  # the decision rolled back with the refusal
        _ok(await budget.decide(refused, "300.00", role="county"))  # exactly what remains
        assert await budget.local() == ("500.00", "300.00", "200.00", "0.00")
