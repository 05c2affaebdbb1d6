"""An archive item's ``storage_uri`` only names an allowed document store (R-ARC-1): a ``javascript:``
link, a server file or credentials in the URI are a 422 naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from tests.factories import application, document_body

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def case_id(client) -> str:
    created = await client.post("/intake/v1/applications", json=application())
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def record(client, application_id: str, uri: str):
    return await client.post(
        f"/intake/v1/applications/{application_id}/documents",
        json=document_body("medical_bills", storage_uri=uri),
    )


@pytest.mark.parametrize(
    "uri",
    [
        "javascript://archive/%0aalert(document.cookie)",
        "file:///etc/passwd",
        "file://fileserver/share/scan.pdf",
        "http://archive.example/scan.pdf",
        "ftp://archive.example/scan.pdf",
        "data://text/html,<script>alert(1)</script>",
        "https://user:secret@archive.example/scan.pdf",
        "s3:///no-bucket.pdf",
    ],
)
async def test_a_storage_uri_outside_the_allowed_stores_is_refused(standalone, db, uri):
    app_id = await case_id(standalone)
    response = await record(standalone, app_id, uri)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["storage_uri"]
    count = "SELECT count(*) FROM intake.documents WHERE application_id = $1"
    assert await db.fetchval(count, app_id) == 0


async def test_a_javascript_storage_uri_is_refused(standalone):
    response = await record(standalone, await case_id(standalone), "javascript://x/%0aalert(1)")
    assert response.status_code == 422 and response.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert "scheme javascript is not allowed" in response.text


@pytest.mark.parametrize(
    "uri", ["s3://archive/140302/2026/scan-1.pdf", "oss://yq-archive/a.pdf", "https://archive.example/a.pdf"]
)
async def test_an_object_store_or_https_location_is_recorded(standalone, uri):
    response = await record(standalone, await case_id(standalone), uri)
    assert response.status_code == 201 and response.json()["storage_uri"] == uri


async def test_a_file_uri_is_accepted_only_under_the_configured_archive_root(standalone):
    runtime = standalone.app.state.runtimes["intake"]
    app_id = await case_id(standalone)
    assert (await record(standalone, app_id, "file:///srv/archive/140302/a.pdf")).status_code == 422
    runtime.settings.document_file_root = "/srv/archive"
    try:
        for outside in (
            "file:///etc/passwd",
            "file:///srv/archive/../../etc/passwd",
            "file:///srv/archive2/x",
        ):
            assert (await record(standalone, app_id, outside)).status_code == 422, outside
        inside = await record(standalone, app_id, "file:///srv/archive/140302/a.pdf")
        assert inside.status_code == 201, inside.text
    finally:
        runtime.settings.document_file_root = None
