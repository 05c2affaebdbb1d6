"""R-ARC-1: a township records its paper set in one request (``POST .../documents/batch``): one
transaction, all items or none, one audit entry, one DocumentsRecorded listing the new items and one
ArchiveCompleteness for the set (nothing for replays); a wrong item is named (``documents[i].<field>``)."""

import json

import pytest

from tests.factories import application, document_body

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _case(client) -> str:
    response = await client.post("/intake/v1/applications", json=application())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _batch(client, case_id: str, documents: list[dict]):
    return await client.post(
        f"/intake/v1/applications/{case_id}/documents/batch", json={"documents": documents}
    )


async def _count(db, sql: str, case_id: str) -> int:
    return int(await db.fetchval(sql, case_id))


DOCUMENTS = "SELECT count(*) FROM intake.documents WHERE application_id = $1"
RECORDED_EVENTS = (
    "SELECT count(*) FROM intake.outbox WHERE key = $1 AND event_type LIKE '%.document-recorded.%'"
)
"""The single route's DocumentRecorded: a batch writes none."""
COMPLETENESS_EVENTS = (
    "SELECT count(*) FROM intake.outbox WHERE key = $1 AND event_type LIKE '%archive-completeness%'"
)


async def _batch_events(db, case_id: str) -> list[list[tuple[str, str]]]:
    """The case's DocumentsRecorded rows in intake's outbox, oldest first: each one's (kind, sha256) items."""
    rows = await db.fetch(
        "SELECT envelope FROM intake.outbox WHERE key = $1 AND event_type = $2 ORDER BY id",
        case_id,
        "gov.assistance.intake.documents-recorded.v1",
    )
    envelopes = [json.loads(r["envelope"]) if isinstance(r["envelope"], str) else r["envelope"] for r in rows]
    return [[(i["kind"], i["sha256"]) for i in e["data"]["items"]] for e in envelopes]


async def test_a_paper_set_is_recorded_in_one_request_with_one_completeness_report(standalone, db):
    case_id = await _case(standalone)
    papers = [document_body(k) for k in ("id_card", "household_register", "medical_bills")]
    completeness_before = await _count(db, COMPLETENESS_EVENTS, case_id)
    response = await _batch(standalone, case_id, papers)
    assert response.status_code == 201, response.text
    out = response.json()["documents"]
    assert [(d["kind"], d["sha256"], d["replayed"]) for d in out] == [
        (p["kind"], p["sha256"], False) for p in papers
    ]
    assert await _count(db, DOCUMENTS, case_id) == 3
    assert await _batch_events(db, case_id) == [[(p["kind"], p["sha256"]) for p in papers]]  # one message
    assert await _count(db, RECORDED_EVENTS, case_id) == 0
    assert await _count(db, COMPLETENESS_EVENTS, case_id) == completeness_before + 1
    archive = (await standalone.get(f"/intake/v1/applications/{case_id}/documents")).json()
    assert {"id_card", "household_register", "medical_bills"}.isdisjoint(archive["missing"])


async def test_a_batch_is_one_transaction_with_one_audit_entry(standalone, db):
    case_id = await _case(standalone)
    response = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents/batch",
        json={"documents": [document_body("id_card"), document_body("medical_bills")]},
        headers={"X-Request-ID": f"batch-{case_id}"},
    )
    assert response.status_code == 201, response.text
    entries = await db.fetch(
        "SELECT kind, xmin::text AS tx FROM intake.audit_log WHERE request_id = $1", f"batch-{case_id}"
    )
    assert [e["kind"] for e in entries] == ["change"]
    transactions = await db.fetch(
        "SELECT DISTINCT xmin::text AS tx FROM intake.documents WHERE application_id = $1", case_id
    )
    assert [t["tx"] for t in transactions] == [entries[0]["tx"]]


async def test_a_batch_sent_again_is_a_replay_that_records_and_publishes_nothing(standalone, db):
    case_id = await _case(standalone)
    papers = [document_body("id_card"), document_body("medical_bills")]
    first = await _batch(standalone, case_id, papers)
    assert first.status_code == 201, first.text
    events = await _count(db, "SELECT count(*) FROM intake.outbox WHERE key = $1", case_id)
    assert len(await _batch_events(db, case_id)) == 1
    again = await _batch(standalone, case_id, papers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert [d["id"] for d in again.json()["documents"]] == [d["id"] for d in first.json()["documents"]]
    assert all(d["replayed"] for d in again.json()["documents"])
    assert await _count(db, "SELECT count(*) FROM intake.outbox WHERE key = $1", case_id) == events
    assert len(await _batch_events(db, case_id)) == 1


async def test_a_batch_with_one_paper_already_on_file_records_only_the_new_ones(standalone, db):
    case_id = await _case(standalone)
    on_file = document_body("id_card")
    assert (
        await standalone.post(f"/intake/v1/applications/{case_id}/documents", json=on_file)
    ).status_code == 201
    new = document_body("medical_bills")
    response = await _batch(standalone, case_id, [new, on_file])
    assert response.status_code == 201, response.text
    assert [d["replayed"] for d in response.json()["documents"]] == [False, True]
    assert await _count(db, DOCUMENTS, case_id) == 2
    assert await _count(db, RECORDED_EVENTS, case_id) == 1  # the single route's, for the paper on file
    assert await _batch_events(db, case_id) == [[("medical_bills", new["sha256"])]]  # only the new one


@pytest.mark.parametrize(
    "spoil,field,status",
    [
        ({"kind": "selfie"}, "documents[1].kind", 422),
        ({"sha256": "abc"}, "documents[1].sha256", 422),
        ({"storage_uri": "ftp://elsewhere/x.pdf"}, "documents[1].storage_uri", 422),
        ({"kind": "home_visit_report"}, "documents[1].kind", 409),
    ],
)
async def test_one_wrong_item_refuses_the_whole_batch_naming_it(standalone, db, spoil, field, status):
    case_id = await _case(standalone)
    events = await _count(db, "SELECT count(*) FROM intake.outbox WHERE key = $1", case_id)
    papers = [document_body("id_card"), {**document_body("medical_bills"), **spoil}]
    response = await _batch(standalone, case_id, papers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await _count(db, DOCUMENTS, case_id) == 0
    assert await _count(db, "SELECT count(*) FROM intake.outbox WHERE key = $1", case_id) == events
    assert await _batch_events(db, case_id) == []


async def test_the_same_paper_twice_in_one_batch_is_refused_naming_the_repeat(standalone, db):
    case_id = await _case(standalone)
    paper = document_body("id_card")
    response = await _batch(standalone, case_id, [paper, document_body("medical_bills"), paper])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["documents[2]"]
    assert await _count(db, DOCUMENTS, case_id) == 0


@pytest.mark.parametrize("documents", [[], [document_body("id_card")] * 51])
async def test_an_empty_or_oversized_batch_is_a_422(standalone, documents):
    case_id = await _case(standalone)
    response = await _batch(standalone, case_id, documents)
    assert response.status_code == 422
    assert "documents" in [e["field"] for e in response.json()["errors"]]


async def test_the_batch_event_lists_the_items_in_the_order_sent_then_the_completeness_report(standalone, db):
    case_id = await _case(standalone)
    papers = [document_body(k) for k in ("medical_bills", "id_card", "household_register")]
    assert (await _batch(standalone, case_id, papers)).status_code == 201
    rows = await db.fetch(
        "SELECT event_type, envelope FROM intake.outbox WHERE key = $1 ORDER BY id", case_id
    )
    types = [r["event_type"].split(".")[3] for r in rows]
    assert types.count("documents-recorded") == 1
    at = types.index("documents-recorded")
    assert types[at + 1] == "archive-completeness"  # the report on the set, right after the items
    envelope = rows[at]["envelope"]
    data = (json.loads(envelope) if isinstance(envelope, str) else envelope)["data"]
    assert set(data) == {"case_id", "items"} and data["case_id"] == case_id
    assert [i["kind"] for i in data["items"]] == ["medical_bills", "id_card", "household_register"]
    assert all(set(i) == {"kind", "sha256", "recorded_at"} for i in data["items"])  # kind and hash only
