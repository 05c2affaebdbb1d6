"""R-ARC-1: the 临时救助审核审批表 as a PDF with a packaged CJK font, showing the case's trail (application,
verification, home visit, review and approval opinions with names and dates, amount), archived with its
hash; and the case's archive exported as one ZIP with an index for the records office."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.factories import auth, emergency_application, eventually, pending_case, review
from tests.service.test_household_notices import _pdftoppm

pytestmark = pytest.mark.asyncio(loop_scope="session")

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


async def _approved_case(client, body: dict | None = None) -> tuple[str, dict]:
    case_id, case = await pending_case(client, body or emergency_application())
    assert (await review(client, case_id)).status_code == 200
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "ok"},
    )
    assert decided.status_code == 200, decided.text

    async def both_steps():
        steps = (await client.get(f"/intake/v1/applications/{case_id}")).json()
        return steps if steps["status"] == "approved" else None

    await eventually(both_steps, what="intake to follow the decision")
    return case_id, decided.json()


async def test_the_approval_form_shows_the_case_trail_and_is_archived_with_its_hash(standalone):
    body = emergency_application()
    case_id, decided = await _approved_case(standalone, body)
    made = await standalone.post(f"/intake/v1/applications/{case_id}/forms/approval-form")
    assert made.status_code == 201, made.text
    form = made.json()
    assert form["kind"] == "approval_form" and form["media_type"] == "application/pdf"
    content = await standalone.get(f"/intake/v1/applications/{case_id}/documents/{form['id']}/content")
    assert content.status_code == 200 and hashlib.sha256(content.content).hexdigest() == form["sha256"]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "approval-form.pdf"
    pdf.write_bytes(content.content)  # noqa: ASYNC240 - a small artifact
    text = "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content.content)).pages
    )
    case_no = (await standalone.get(f"/intake/v1/applications/{case_id}")).json()["case_no"]
    assert "临时救助审核审批表" in text and case_no in text
    assert "入户调查" in text and "家中房屋受损" in text and "test-visitor" in text  # the signed visit
    assert "审核意见" in text and "test-reviewer" in text  # the review, by whom
    assert "审批意见" in text and "test-officer" in text  # the decision, by whom
    amount = decided["decisions"][-1]["amount"]
    assert amount in text
    id_number = body["household"][0]["id_number"]
    assert id_number not in text and id_number[:6] + "********" + id_number[-4:] in text  # masked
    pdftoppm = await asyncio.to_thread(_pdftoppm)
    await asyncio.to_thread(
        subprocess.run,
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / "approval-form"),
        ],
        check=True,
    )
    assert (ARTIFACTS / "approval-form.png").stat().st_size > 10_000  # noqa: ASYNC240

    upload = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents/approval_form/content",
        content=content.content,
        headers={"Content-Type": "application/pdf"},
    )
    assert upload.status_code == 409  # the form is made by the system, never uploaded


async def test_the_archive_exports_as_one_zip_whose_index_names_every_item_with_its_hash(standalone):
    case_id, _ = await _approved_case(standalone)
    photo = await standalone.post(
        f"/intake/v1/applications/{case_id}/documents/home_visit_photo/content",
        content=b"\x89PNG\r\n\x1a\n" + b"photo" * 50,
        headers={"Content-Type": "image/png"},
    )
    assert photo.status_code == 201
    assert (
        await standalone.post(f"/intake/v1/applications/{case_id}/forms/approval-form")
    ).status_code == 201
    exported = await standalone.get(f"/intake/v1/applications/{case_id}/archive/export")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        index = json.loads(archive.read("index.json"))
        assert index["application_id"] == case_id and index["missing"] == [
            k for k in index["required"] if k not in {d["kind"] for d in index["documents"]}
        ]
        held = [d for d in index["documents"] if d["file"]]
        assert {d["kind"] for d in held} >= {"home_visit_photo", "approval_form"}
        for item in held:
            assert hashlib.sha256(archive.read(item["file"])).hexdigest() == item["sha256"]
        [visit] = index["home_visits"]
        assert json.loads(archive.read(visit))["status"] == "confirmed"
    outsider = auth("other-county-auditor", "auditor", county="140303")
    hidden = await standalone.get(f"/intake/v1/applications/{case_id}/archive/export", headers=outsider)
    assert hidden.status_code == 404
