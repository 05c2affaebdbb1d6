"""End to end over the real Kafka broker (R-ARC-1): five service processes; a case without its home-visit
report cannot be approved until the report is recorded — approval learns the archive's completeness only
from intake's ArchiveCompleteness events on the intake topic."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import (
    REVIEW,
    document_body,
    emergency_application,
    eventually,
    record_home_visit,
    reviewer,
    staff_client,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]


async def _archive(client: httpx.AsyncClient, approval: str, case_id: str, blocking: list[str]) -> dict:
    async def reported():
        r = await client.get(f"{approval}/approval/v1/cases/{case_id}")
        archive = r.json().get("archive") if r.status_code == 200 else None
        return archive if archive is not None and archive["blocking"] == blocking else None

    return await eventually(reported, timeout=60, what=f"approval to hold the archive blocking {blocking}")


async def test_a_case_without_its_visit_report_is_approved_only_after_the_report_is_recorded(cluster):
    intake, approval = cluster.urls["intake"], cluster.urls["approval"]
    async with staff_client(timeout=15) as client:
        created = await client.post(f"{intake}/intake/v1/applications", json=emergency_application())
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        archive = (await client.get(f"{intake}/intake/v1/applications/{case_id}/documents")).json()
        for item in archive["required"]:
            if item["stage"] == "intake":
                r = await client.post(
                    f"{intake}/intake/v1/applications/{case_id}/documents", json=document_body(item["kind"])
                )
                assert r.status_code == 201, r.text
        await _archive(client, approval, case_id, ["home_visit_report"])

        refused = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/review", json=REVIEW, headers=reviewer()
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"].endswith("/archive-incomplete")
        assert refused.json()["missing"] == ["home_visit_report"]

        await record_home_visit(client, case_id, intake)
        await _archive(client, approval, case_id, [])
        reviewed = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/review", json=REVIEW, headers=reviewer()
        )
        assert reviewed.status_code == 200, reviewed.text
        decided = await client.post(
            f"{approval}/approval/v1/cases/{case_id}/decision",
            json={"decision": "approved", "confirm_extended_duration": True, "reasons": "ok"},
        )
        assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
