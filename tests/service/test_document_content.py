"""R-ARC-1: documents with their content. An upload is scanned (magic bytes against the declared type),
hashed (SHA-256), stored encrypted (AES-GCM) in the content store and recorded in one step; served back only
to staff covering the case, each download audited. Bad input: over the limit 413, a media type not
accepted 415, content that is not its declared type 422; nothing half-written. The S3 store is tested
against a real HTTP process that checks every request's SigV4 signature."""

from __future__ import annotations

import hashlib
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from services.intake.adapters.content_store import S3Store, StoreError
from tests.factories import auth, document_body, emergency_application, pending_case

pytestmark = pytest.mark.asyncio(loop_scope="session")

PDF = b"%PDF-1.7\n" + "临时救助 入户调查 医疗票据".encode() + secrets.token_bytes(64) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(100)
FAKE_S3 = Path(__file__).with_name("fake_s3.py")


def _upload(client, case_id: str, content: bytes, media_type: str, kind: str = "medical_bills", **kw):
    return client.post(
        f"/intake/v1/applications/{case_id}/documents/{kind}/content",
        content=content,
        headers={"Content-Type": media_type, **kw.pop("headers", {})},
        **kw,
    )


async def _count(db, case_id: str) -> int:
    return await db.fetchval("SELECT count(*) FROM intake.documents WHERE application_id = $1", case_id)


async def test_an_upload_is_stored_encrypted_with_its_hash_and_served_back_to_staff_of_the_case(
    standalone, db
):
    case_id, _ = await pending_case(standalone, emergency_application())
    uploaded = await _upload(standalone, case_id, PDF, "application/pdf", kind="accident_certificate")
    assert uploaded.status_code == 201, uploaded.text
    doc = uploaded.json()
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest() and doc["size_bytes"] == len(PDF)
    on_disk = Path(urlsplit(doc["storage_uri"]).path).read_bytes()  # noqa: ASYNC240 - a small test file
    assert PDF not in on_disk and b"%PDF" not in on_disk  # encrypted at rest

    request_id = uuid.uuid4().hex
    served = await standalone.get(
        f"/intake/v1/applications/{case_id}/documents/{doc['id']}/content",
        headers={"X-Request-ID": request_id},
    )
    assert served.status_code == 200 and served.content == PDF
    assert (
        served.headers["content-type"] == "application/pdf"
        and served.headers["x-content-sha256"] == doc["sha256"]
    )
    entry = await db.fetchrow("SELECT actor, status FROM intake.audit_log WHERE request_id = $1", request_id)
    assert (entry["actor"], entry["status"]) == ("test-officer", 200)  # every download is audited

    outsider = auth("other-county-clerk", "intake_clerk", county="140303")
    hidden = await standalone.get(
        f"/intake/v1/applications/{case_id}/documents/{doc['id']}/content", headers=outsider
    )
    assert hidden.status_code == 404
    archive = (await standalone.get(f"/intake/v1/applications/{case_id}/documents")).json()
    assert "accident_certificate" not in archive["missing"]

    again = await _upload(standalone, case_id, PDF, "application/pdf", kind="accident_certificate")
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == doc["id"]


async def test_content_that_is_not_its_declared_type_is_refused_and_nothing_is_written(standalone, db):
    case_id, _ = await pending_case(standalone, emergency_application())
    before = await _count(db, case_id)
    refused = await _upload(standalone, case_id, PNG, "application/pdf")
    assert refused.status_code == 422 and refused.json()["type"].endswith("/content-refused"), refused.text
    assert "application/pdf" in refused.json()["detail"]
    assert await _count(db, case_id) == before
    settings = standalone.app.state.runtimes["intake"].settings
    folder = Path(settings.content_dir) / case_id
    assert not folder.exists() or not any(folder.iterdir())


async def test_a_wrong_media_type_is_415_and_an_upload_over_the_limit_is_413(standalone, db):
    case_id, _ = await pending_case(standalone, emergency_application())
    html = await _upload(standalone, case_id, b"<html><script>x</script></html>", "text/html")
    assert html.status_code == 415 and html.json()["type"].endswith("/unsupported-media-type")
    assert "application/pdf" in html.json()["accepted"]
    settings = standalone.app.state.runtimes["intake"].settings
    before = settings.document_max_bytes
    settings.document_max_bytes = 1000
    try:
        large = await _upload(standalone, case_id, b"%PDF-" + b"0" * 2000, "application/pdf")
        assert large.status_code == 413 and large.json()["limit_bytes"] == 1000
        small = await _upload(standalone, case_id, b"%PDF-" + b"1" * 500, "application/pdf")
        assert small.status_code == 201
    finally:
        settings.document_max_bytes = before
    assert await _count(db, case_id) == 1


async def test_a_document_recorded_by_reference_has_no_content_here(standalone):
    case_id, _ = await pending_case(standalone, emergency_application())
    recorded = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents", json=document_body("id_card")
    )
    assert recorded.status_code == 201
    answer = await standalone.get(
        f"/intake/v1/applications/{case_id}/documents/{recorded.json()['id']}/content"
    )
    assert answer.status_code == 409 and answer.json()["type"].endswith("/content-not-held")


@pytest.fixture
def fake_s3() -> Iterator[tuple[str, str, str]]:
    """An S3-compatible store, a real process checking SigV4; yields (endpoint, access key, secret)."""
    access, secret = "AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(FAKE_S3),
            "--access-key",
            access,
            f"--secret-key={secret}",  # one argument: a URL-safe secret may begin with "-" (the old flake)
            "--region",
            "cn-north-1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("port "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}", access, secret
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_the_s3_store_signs_every_request_and_the_store_checks_the_signature(fake_s3):
    endpoint, access, secret = fake_s3
    store = S3Store(endpoint, "archive", region="cn-north-1", access_key=access, secret_key=secret)
    key = f"{uuid.uuid4()}/{uuid.uuid4()}"
    await store.put(key, b"sealed-bytes")
    assert await store.get(key) == b"sealed-bytes"
    assert store.key_of(store.uri(key)) == key
    await store.delete(key)
    with pytest.raises(StoreError):
        await store.get(key)
    async with httpx.AsyncClient() as c:
        received = (await c.get(f"{endpoint}/control/received")).json()["received"]
    assert [r["method"] for r in received] == ["PUT", "GET", "DELETE", "GET"]
    assert all(r["signed"] == "host;x-amz-content-sha256;x-amz-date" for r in received)

    forged = S3Store(endpoint, "archive", region="cn-north-1", access_key=access, secret_key="not-the-secret")
    with pytest.raises(StoreError, match="403"):
        await forged.put(key, b"x")
