"""R-ARC-1: key rotation covers documents' content. ``python -m services intake reencrypt`` runs
intake's content rotation after its sealed columns: each blob in the content store under an old key is
opened, checked against its SHA-256 and written again under the current key. After the run the old key
can be retired: the content reads back with the new key alone, and the old key opens nothing. A run is
idempotent (a second one rewrites nothing) and resumable (stopped after a page, the next run finishes)."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.intake import MODULE
from services.intake.service import reencrypt_contents
from shared.crypto import DecryptionError, FieldCipher
from shared.reencrypt import Stop, reencrypt
from shared.settings import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEYS
from tests.factories import emergency_application, pending_case

pytestmark = pytest.mark.asyncio(loop_scope="session")

NEW_KEY = f"k2:{base64.b64encode(os.urandom(32)).decode()}"
ROTATED = FieldCipher(f"{NEW_KEY},{DEV_ENCRYPTION_KEYS}", DEV_BLIND_INDEX_KEY)  # k2 first: it encrypts now
NEW_ONLY = FieldCipher(NEW_KEY, DEV_BLIND_INDEX_KEY)  # the old keys retired
OLD_ONLY = FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)


def _pdf() -> bytes:
    return b"%PDF-1.7\n" + "医疗票据 入户调查".encode() + secrets.token_bytes(64) + b"\n%%EOF\n"


async def _run(runtime, *, batch_size: int = 200, stop_after: int | None = None) -> tuple[int, int]:
    stop, lines = Stop(), []

    def report(line: str) -> None:
        lines.append(line)
        if stop_after is not None and len(lines) >= stop_after:
            stop()

    done = await reencrypt(
        runtime.engine,
        dict(MODULE.metadata.tables),
        [],
        ROTATED,
        batch_size=batch_size,
        report=report,
        stop=stop,
        rotations=[functools.partial(reencrypt_contents, runtime)],
    )
    return done[0].rewritten, done[0].checked


async def test_rotation_rewrites_document_content_so_the_retired_key_no_longer_reads_it(standalone):
    assert reencrypt_contents in MODULE.rotations  # what `python -m services intake reencrypt` runs
    runtime = standalone.app.state.runtimes["intake"]
    uploaded: list[tuple[dict, bytes]] = []
    for kind in ("accident_certificate", "medical_bills"):
        case_id, _ = await pending_case(standalone, emergency_application())
        content = _pdf()
        response = await standalone.post(
            f"/intake/v1/applications/{case_id}/documents/{kind}/content",
            content=content,
            headers={"Content-Type": "application/pdf"},
        )
        assert response.status_code == 201, response.text
        uploaded.append((response.json(), content))
    blobs = {d["id"]: Path(urlsplit(d["storage_uri"]).path) for d, _ in uploaded}
    assert all(p.read_bytes().startswith(b"aes256gcm:dev1.") for p in blobs.values())  # noqa: ASYNC240

    rewritten, checked = await _run(runtime, batch_size=1, stop_after=1)  # interrupted after one page
    assert (rewritten, checked) == (1, 1)
    rewritten, _ = await _run(runtime)  # resumed: the rest, the first one only read
    assert rewritten == 1

    for document, content in uploaded:
        blob = blobs[document["id"]].read_bytes()  # noqa: ASYNC240 - small test files
        assert blob.startswith(b"aes256gcm:k2.") and content not in blob
        context = f"intake.document.content:{document['application_id']}:{document['id']}"
        opened = NEW_ONLY.decrypt_bytes(blob, context=context)
        assert opened == content and hashlib.sha256(opened).hexdigest() == document["sha256"]
        with pytest.raises(DecryptionError):
            OLD_ONLY.decrypt_bytes(blob, context=context)

    assert (await _run(runtime))[0] == 0  # idempotent: nothing left under an old key
