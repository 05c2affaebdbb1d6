"""A dead-lettered event is listed, and replayed once its cause is fixed — exactly once in effect."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.bus import Record
from shared.contracts.monitoring import LeadReported
from shared.crypto import FieldCipher
from shared.events import Envelope
from shared.inbox import open_dead_letter
from shared.reencrypt import reencrypt
from tests.factories import application, eventually, forget_county_coverage, resident_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_event_without_a_policy_is_dead_lettered_then_replayed_after_the_policy_is_loaded(
    standalone, db
):
    # Intake refuses an incident date it knows no policy covers; here intake has not heard of the county's
    # policies yet (its coverage is kept from assessment's events), so the case reaches assessment.
    await forget_county_coverage(db, "140302")
    body = application(
        incident={"description": "2019年旧病复发", "occurred_on": "2019-06-01", "ongoing": False}
    )
    created = await standalone.post("/intake/v1/applications", json=body)
    assert created.status_code == 201
    case_id = created.json()["id"]

    async def dead_letter():
        letters = (await standalone.get("/assessment/v1/ops/dead-letters")).json()
        return next((d for d in letters if d["subject"] == case_id), None)

    letter = await eventually(dead_letter, what="the event to be dead-lettered")
    assert "no policy" in letter["error"]
    assert (await standalone.get(f"/assessment/v1/cases/{case_id}")).status_code == 404

    failed_again = await standalone.post(f"/assessment/v1/ops/dead-letters/{letter['id']}/replay")
    assert failed_again.status_code == 409 and failed_again.json()["type"].endswith("/replay-failed")

    seed = (await standalone.get("/assessment/v1/policies", params={"county_code": "140302"})).json()[0]
    policy = seed | {"version": "140302-2019.1", "effective_from": "2019-01-01", "effective_to": "2019-12-31"}
    assert (await standalone.post("/assessment/v1/policies", json=policy)).status_code == 201

    replayed = await standalone.post(f"/assessment/v1/ops/dead-letters/{letter['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["replayed_at"]
    assessments = (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()
    assert len(assessments) == 1 and assessments[0]["policy_version"] == "140302-2019.1"
    again = await standalone.post(f"/assessment/v1/ops/dead-letters/{letter['id']}/replay")
    assert again.status_code == 409
    assert len((await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()) == 1


def _lead_envelope(name: str, id_number: str) -> Envelope:
    """A lead for a township that is not the city's: intake dead-letters it (poison: township_code)."""
    payload = LeadReported(
        lead_ref=f"JC-{uuid.uuid4().hex[:10]}",
        source="monitoring_platform",
        township_code="140399999",
        urgency="emergency",
        name=name,
        id_number=id_number,
        phone="13700002222",
        address="某村7号",
        description="监测预警: 家庭收入骤降",
        reported_at=datetime.now(UTC),
    )
    return Envelope.wrap(payload, source="urn:cn:yangquan:low-income-monitoring", subject=payload.lead_ref)


async def test_a_leads_dead_letter_keeps_no_plaintext_of_the_persons_name_or_id_number(standalone, db):
    """R-OVS-2: the raw message of a failed lead is personal data; its dead letter is stored sealed (the
    service's field encryption, its own context), and still listed with its subject for operators."""
    name, id_number = "钱多多", resident_id(area="140302", birth="19770707")
    lead = _lead_envelope(name, id_number)
    runtime = standalone.app.state.runtimes["intake"]
    topic = runtime.topic("monitoring.leads")
    await runtime.bus.publish([Record(topic, lead.subject, lead.to_bytes(), {})])

    async def stored():
        return await db.fetchrow("SELECT value, error FROM intake.dead_letter WHERE event_id = $1", lead.id)

    row = await eventually(stored, what="the lead to be dead-lettered")
    assert row["error"].startswith("poison: township_code")
    for secret in (name, id_number, id_number[-4:] + '"', "13700002222"):
        assert secret not in row["value"] and secret not in row["error"]
    assert FieldCipher.is_sealed(row["value"])
    assert json.loads(open_dead_letter(runtime.cipher, "intake", row["value"]))["id"] == lead.id
    listed = (await standalone.get("/intake/v1/ops/dead-letters")).json()
    assert any(d["event_id"] == lead.id and d["subject"] == lead.subject for d in listed)


async def test_dead_letters_stored_in_the_clear_before_are_sealed_by_the_reencryption_run(standalone, db):
    """Rows from before payloads were sealed: ``reencrypt`` seals them (and moves sealed ones to the
    current key); a second run has nothing to do, and replay reads both forms."""
    from services.intake import MODULE

    lead = _lead_envelope("孙二娘", resident_id(area="140302", birth="19850505"))
    legacy_id = await db.fetchval(
        'INSERT INTO intake.dead_letter (event_id, event_type, topic, partition, "offset", key, value, '
        "error, attempts) VALUES ($1, $2, 'legacy', 0, 0, NULL, $3, 'poison: township_code', 1) RETURNING id",
        lead.id,
        lead.type,
        lead.to_bytes().decode(),
    )
    runtime = standalone.app.state.runtimes["intake"]
    lines: list[str] = []
    done = await reencrypt(
        runtime.engine,
        dict(MODULE.metadata.tables),
        [c for c in MODULE.sealed_columns if c.table == "intake.dead_letter"],
        runtime.cipher,
        report=lines.append,
    )
    assert done[0].rewritten >= 1, lines
    value = await db.fetchval("SELECT value FROM intake.dead_letter WHERE id = $1", legacy_id)
    assert "孙二娘" not in value and FieldCipher.is_sealed(value)
    assert open_dead_letter(runtime.cipher, "intake", value) == lead.to_bytes().decode()
    again = await reencrypt(
        runtime.engine,
        dict(MODULE.metadata.tables),
        [c for c in MODULE.sealed_columns if c.table == "intake.dead_letter"],
        runtime.cipher,
        report=lines.append,
    )
    assert again[0].rewritten == 0
