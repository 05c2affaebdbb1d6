"""Intake gives assessment what verification needs (R-CAT-3, R-CAT-4): the members' ID numbers sealed on
ApplicationSubmitted (only assessment's key context opens them) and a DocumentRecorded (one document) or
DocumentsRecorded (a paper set) when the signed authorisation (家庭经济状况核对授权书) is on file — each in
the transaction that records it."""

from __future__ import annotations

import json

import pytest

from shared.contracts.intake import MEMBERS_SEAL_CONTEXT
from tests.factories import application, document_body, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _events(db, case_id: str, kind: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT envelope FROM intake.outbox WHERE key = $1 AND event_type LIKE $2 ORDER BY id",
        case_id,
        f"%{kind}%",
    )
    return [json.loads(r["envelope"]) if isinstance(r["envelope"], str) else r["envelope"] for r in rows]


async def test_the_submission_carries_the_members_id_numbers_sealed_in_household_order(standalone, db):
    body = application()
    created = await standalone.post("/intake/v1/applications", json=body)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    [submitted] = await _events(db, case_id, "application-submitted")
    sealed = submitted["data"]["members_sealed"]
    assert sealed and "id_number" not in sealed
    cipher = standalone.app.state.runtimes["intake"].cipher
    opened = json.loads(cipher.decrypt(sealed, context=MEMBERS_SEAL_CONTEXT))
    assert opened == [m["id_number"] for m in body["household"]]


async def test_recording_the_authorisation_announces_it_with_its_kind_and_hash_only(standalone, db):
    created = await standalone.post("/intake/v1/applications", json=application())
    case_id = created.json()["id"]
    doc = document_body("verification_authorisation")
    recorded = await standalone.post(f"/intake/v1/applications/{case_id}/documents", json=doc)
    assert recorded.status_code == 201, recorded.text
    [announced] = await _events(db, case_id, "document-recorded")
    assert announced["data"]["kind"] == "verification_authorisation"
    assert announced["data"]["sha256"] == doc["sha256"]
    assert set(announced["data"]) == {"case_id", "kind", "sha256", "recorded_at"}
    again = await standalone.post(f"/intake/v1/applications/{case_id}/documents", json=doc)
    assert again.status_code == 200  # a replay records and announces nothing new
    assert len(await _events(db, case_id, "document-recorded")) == 1


async def _economic(db, case_id: str) -> dict | None:
    row = await db.fetchrow(
        "SELECT state, hold_reason FROM assessment.verifications WHERE case_id = $1 AND kind = 'economic'",
        case_id,
    )
    return dict(row) if row else None


async def test_a_paper_set_with_the_authorisation_releases_the_waiting_economic_request(standalone, db):
    """The batch's one DocumentsRecorded, through the relay, the bus and assessment's handler (R-CAT-3)."""
    created = await standalone.post("/intake/v1/applications", json=application())
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    async def waiting() -> dict | None:
        economic = await _economic(db, case_id)
        return economic if economic and economic["state"] == "awaiting_authorisation" else None

    assert (
        "verification_authorisation" in (await eventually(waiting, what="the request waiting"))["hold_reason"]
    )
    authorisation = document_body("verification_authorisation")
    papers = [document_body("id_card"), authorisation, document_body("household_register")]
    batch = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents/batch", json={"documents": papers}
    )
    assert batch.status_code == 201, batch.text
    [announced] = await _events(db, case_id, "documents-recorded")
    assert [(i["kind"], i["sha256"]) for i in announced["data"]["items"]] == [
        (p["kind"], p["sha256"]) for p in papers
    ]
    assert await _events(db, case_id, ".document-recorded.") == []  # not one message per item

    async def released() -> dict | None:
        economic = await _economic(db, case_id)
        return economic if economic and economic["state"] != "awaiting_authorisation" else None

    economic = await eventually(released, what="the economic request released")
    assert economic["state"] == "to_send"  # due now (no verification system here: it retries)
    on_file = await db.fetchval("SELECT sha256 FROM assessment.authorisations WHERE case_id = $1", case_id)
    assert on_file == authorisation["sha256"]
