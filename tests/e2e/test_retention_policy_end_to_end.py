"""End to end (R-RET-1, one policy owner): a county's policy administrator sets its retention periods once at
intake (its own process); the version travels as RetentionPolicySet over the real Kafka broker and each of
the other five service processes keeps a copy through its inbox, so all six report the same periods in
force; a PUT at another service is a 409 naming intake."""

from __future__ import annotations

import httpx
import pytest

from shared import clock
from tests.factories import auth, eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

SERVICES = ("intake", "assessment", "approval", "disbursement", "referral", "household")
COUNTY = "140322"  # 盂县, a county no other e2e test sets retention periods for
ADMIN = auth("retention-admin-yuxian", "policy_admin", county=COUNTY)


async def test_a_countys_periods_set_at_intake_are_in_force_in_every_service_process(cluster) -> None:
    urls = cluster.urls
    async with httpx.AsyncClient(headers=ADMIN, timeout=30) as client:
        put = await client.put(
            f"{urls['intake']}/intake/v1/retention/policies/{COUNTY}",
            json={
                "effective_from": clock.local_today().isoformat(),
                "years": {"bank_accounts": 6, "notices": 2},
                "reason": "县政府第3次常务会议",
            },
        )
        assert put.status_code == 201, put.text
        version = put.json()["version"]

        async def in_force_everywhere() -> bool:
            for service in SERVICES:
                shown = await client.get(
                    f"{urls[service]}/{service}/v1/retention/policies", params={"county_code": COUNTY}
                )
                assert shown.status_code == 200, shown.text
                body = shown.json()
                if [v["version"] for v in body["county"]] != [version]:
                    return False
                assert body["in_force"]["bank_accounts"] == 6 and body["in_force"]["notices"] == 2
            return True

        await eventually(in_force_everywhere, what="the county's version in all six service processes")

        refused = await client.put(
            f"{urls['household']}/household/v1/retention/policies/{COUNTY}",
            json={"effective_from": clock.local_today().isoformat(), "years": {"notices": 1}},
        )
        assert refused.status_code == 409 and refused.json()["type"].endswith("/retention-policy-owner")
