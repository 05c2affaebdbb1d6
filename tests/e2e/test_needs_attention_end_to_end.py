"""End to end (five processes, real Kafka and PostgreSQL): a case that assessment cannot process is never
silently stuck: assessment dead-letters the event and announces case-processing-failed in the same
transaction, and intake shows the case as needs_attention, with the reason and the service, within seconds."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import address, application, eventually, forget_county_coverage, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

WITHIN_SECONDS = 20.0


async def test_a_case_assessment_cannot_process_shows_needs_attention_in_intake_within_seconds(
    cluster, db_e2e
):
    intake = cluster.urls["intake"] + "/intake/v1"
    # Intake has not heard of county 140311's policies (its copy of assessment's coverage lacks them), so
    # it cannot refuse an incident dated where no policy is in force; assessment then cannot assess it.
    await forget_county_coverage(db_e2e, "140311", within=60)
    body = application(
        address=address("140311", "140311101"),
        incident={"description": "旧病复发", "occurred_on": "2023-05-04", "ongoing": False},
    )
    async with staff_client(timeout=10) as client:
        created = await client.post(intake + "/applications", json=body)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        started = asyncio.get_running_loop().time()

        async def flagged():
            case = (await client.get(f"{intake}/applications/{case_id}")).json()
            return case if case["status"] == "needs_attention" else None

        case = await eventually(flagged, timeout=WITHIN_SECONDS, what="intake to show needs_attention")
        elapsed = asyncio.get_running_loop().time() - started
        assert case["attention"]["service"] == "assessment"
        assert "140311" in case["attention"]["reason"] and "2023-05-04" in case["attention"]["reason"]
        assert case["attention"]["previous_status"] == "submitted"
        listed = (
            await client.get(
                intake + "/applications",
                params={"status": "needs_attention", "township_code": "140311101", "limit": 200},
            )
        ).json()
        assert case_id in {c["id"] for c in listed["items"]}
        letters = (await client.get(cluster.urls["assessment"] + "/assessment/v1/ops/dead-letters")).json()
        assert any(
            d["subject"] == case_id for d in letters
        )  # the dead letter is kept, and visible on the case
    print(f"needs_attention visible in intake {elapsed:.2f}s after the submission")
