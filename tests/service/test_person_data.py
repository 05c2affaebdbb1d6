"""A person's rights over their data (PIPL arts. 23, 44-45; R-RIGHTS-1, R-RIGHTS-3), in one process on the
real database: the export intake assembles from all six services over HTTP (in-process transport in
standalone), only for the data-protection officer, only the person's own records; the recipients list."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.factories import (
    address,
    application,
    auth,
    eventually,
    partner_body,
    pending_case,
    resident_id,
    review,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOWNSHIP = "140302005"  # this module's partner serves only here
DPO = auth("dpo-city", "data_protection_officer")
SERVICES = ["intake", "assessment", "approval", "disbursement", "referral", "household"]
PEER_ROUTES = [f"/{s}/v1/person-data" for s in SERVICES] + ["/referral/v1/person-data/recipients"]


async def _decided(client, body) -> str:
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200  # R-FLOW-1: a second person reviews first
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "ok"},
    )
    assert decided.status_code == 200, decided.text
    return case_id


async def _paid_and_referred(client, case_id: str) -> None:
    async def everywhere():
        paid = (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        offers = (await client.get(f"/referral/v1/cases/{case_id}/referrals")).json()
        notices = (await client.get(f"/household/v1/cases/{case_id}/notices")).json()
        return bool(paid) and bool(offers) and bool(notices)

    await eventually(everywhere, what="payment, referral offer and notices")


@pytest.fixture(scope="module")
async def people(standalone):
    """Two households decided, paid and referred in the same township; returns their bodies and cases."""
    registered = await standalone.post("/referral/v1/partners", json=partner_body(service_areas=[TOWNSHIP]))
    assert registered.status_code == 201, registered.text
    partner = registered.json()
    first = application(address=address("140302", TOWNSHIP))
    second = application(address=address("140302", TOWNSHIP))
    cases = [await _decided(standalone, first), await _decided(standalone, second)]
    for case_id in cases:
        await _paid_and_referred(standalone, case_id)
    return {"partner": partner, "bodies": [first, second], "cases": cases}


def _id(body) -> str:
    return body["household"][0]["id_number"]


def _records(export, service: str, kind: str) -> list[dict]:
    [section] = [s for s in export["sections"] if s["service"] == service]
    return section["records"][kind]


async def test_an_export_holds_the_persons_records_from_every_service_and_nobody_elses(
    standalone, people, db
):
    mine, theirs = people["cases"]
    response = await standalone.post(
        "/intake/v1/person-data/export", json={"id_number": _id(people["bodies"][0])}, headers=DPO
    )
    assert response.status_code == 200, response.text
    export = response.json()
    assert [s["service"] for s in export["sections"]] == SERVICES
    assert export["case_ids"] == [mine]
    for service, kind in [
        ("intake", "applications"),
        ("intake", "stated"),
        ("intake", "archive"),
        ("assessment", "assessments"),
        ("approval", "cases"),
        ("disbursement", "payments"),
        ("referral", "needs_records"),
        ("referral", "referrals"),
        ("household", "cases"),
        ("household", "notices"),
    ]:
        found = {r["case_id"] for r in _records(export, service, kind)}
        assert found == {mine}, f"{service}/{kind}: {found}"
    [stated] = _records(export, "intake", "stated")
    assert stated["phone"] == "13800000000" and stated["household"][0]["name"] == "张小明"
    spouse = people["bodies"][0]["household"][1]["id_number"]
    assert stated["household"][1]["id_number"] != spouse  # another person's ID number stays masked
    text = json.dumps(export, ensure_ascii=False)
    assert theirs not in text and _id(people["bodies"][1]) not in text
    assert "6222020200112233445" not in text  # accounts are masked (payments, payee)
    assert {p["payee_account"][-4:] for p in _records(export, "disbursement", "payments")} == {"3445"}
    assert [r["partner_id"] for r in export["recipients"]] == [people["partner"]["id"]]
    # every part was audit-logged, by route and place, never with the ID number
    for schema in SERVICES:
        rows = await db.fetch(
            f"SELECT * FROM {schema}.audit_log WHERE actor = 'dpo-city' AND action LIKE '%person-data%'"  # noqa: S608 - schema names of the services
        )
        assert rows, f"{schema} recorded no person-data request"
        assert _id(people["bodies"][0]) not in str([dict(r) for r in rows])


async def test_only_the_data_protection_officer_may_export_or_ask_a_service(standalone, people):
    body = {"id_number": _id(people["bodies"][0])}
    for path in ["/intake/v1/person-data/export", "/intake/v1/person-data/recipients", *PEER_ROUTES]:
        response = await standalone.post(path, json=body)  # the default caller: every staff role
        assert response.status_code == 403, f"{path}: {response.status_code} {response.text}"


async def test_an_unknown_person_gets_an_empty_export(standalone, people):
    response = await standalone.post(
        "/intake/v1/person-data/export", json={"id_number": resident_id()}, headers=DPO
    )
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["case_ids"] == [] and export["recipients"] == []
    assert all(rows == [] for s in export["sections"] for rows in s["records"].values())


async def test_an_officer_of_another_county_finds_nothing_of_the_person(standalone, people):
    elsewhere = auth("dpo-kuangqu", "data_protection_officer", county="140303")
    body = {"id_number": _id(people["bodies"][0]), "case_ids": people["cases"]}
    response = await standalone.post(
        "/intake/v1/person-data/export", json=body | {"case_ids": []}, headers=elsewhere
    )
    assert response.status_code == 422  # the export takes the person only: intake finds the cases
    response = await standalone.post(
        "/intake/v1/person-data/export", json={"id_number": body["id_number"]}, headers=elsewhere
    )
    assert response.status_code == 200 and response.json()["case_ids"] == []
    for path in PEER_ROUTES:  # asked directly with the case ids, a service answers nothing either
        answer = await standalone.post(path, json=body, headers=elsewhere)
        assert answer.status_code == 200, answer.text
        rows = (
            answer.json() if isinstance(answer.json(), list) else sum(answer.json()["records"].values(), [])
        )
        assert rows == [], path


async def test_a_malformed_id_number_is_a_422_naming_the_field(standalone):
    response = await standalone.post(
        "/intake/v1/person-data/export", json={"id_number": "140302198001010011"}, headers=DPO
    )
    assert response.status_code == 422
    assert "id_number" in response.text


async def test_the_recipients_list_names_partner_data_classes_time_and_consent(standalone, people):
    mine = people["cases"][0]
    ask = {"id_number": _id(people["bodies"][0])}
    response = await standalone.post("/intake/v1/person-data/recipients", json=ask, headers=DPO)
    assert response.status_code == 200, response.text
    [offer] = response.json()
    assert offer["case_id"] == mine and offer["partner_id"] == people["partner"]["id"]
    assert offer["via"] == "needs_record" and offer["partner_name"] == people["partner"]["name"]
    assert {"need_type", "remaining_amount", "household_size", "health"} <= set(offer["data_classes"])
    assert "name" not in offer["data_classes"] and "id_number" not in offer["data_classes"]
    assert offer["consents"] == ["share_with_charities", "share_health_data"]
    assert offer["consent_in_force"] is True and offer["shared_at"]

    withdrawn = await standalone.post(f"/intake/v1/applications/{mine}/consents/share_health_data/withdrawal")
    assert withdrawn.status_code == 200, withdrawn.text

    async def no_longer_in_force():
        again = await standalone.post("/intake/v1/person-data/recipients", json=ask, headers=DPO)
        return again.json() if not again.json()[0]["consent_in_force"] else None

    [after] = await eventually(no_longer_in_force, what="referral to learn of the withdrawal")
    assert after["partner_id"] == offer["partner_id"] and after["shared_at"] == offer["shared_at"]


FAILING_PEER = Path(__file__).with_name("fake_failing_peer.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def failing_peer() -> Iterator[str]:
    """A service that answers every person-data request with 500, a real process; its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(FAILING_PEER), "--port", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("port ")
        for _ in range(100):  # until uvicorn listens
            try:
                httpx.get(f"http://127.0.0.1:{port}/control/received", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def peer_at(standalone, service: str, url: str) -> Iterator[None]:
    """Intake asks ``service`` at ``url`` (INTAKE_PEER_URLS) instead of in this process, for the block."""
    settings = standalone.app.state.runtimes["intake"].settings
    before = settings.peer_urls
    settings.peer_urls = {**before, service: url}
    try:
        yield
    finally:
        settings.peer_urls = before


def _no_partial_export(response, people) -> dict:
    assert response.status_code == 502, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("service-unavailable") and problem["status"] == 502
    assert not {"sections", "recipients", "case_ids"} & set(problem), problem
    text = response.text
    assert _id(people["bodies"][0]) not in text and people["cases"][0] not in text
    return problem


async def test_an_export_is_a_502_naming_the_service_that_answered_500_never_a_partial_one(
    standalone, people, failing_peer
):
    """R-RIGHTS-1: one service answers 500, so the export is refused as a whole, naming that service."""
    body = {"id_number": _id(people["bodies"][0])}
    with peer_at(standalone, "disbursement", failing_peer):
        response = await standalone.post("/intake/v1/person-data/export", json=body, headers=DPO)
    problem = _no_partial_export(response, people)
    assert problem["service"] == "disbursement" and "disbursement" in problem["detail"]
    assert "500" in problem["detail"]
    async with httpx.AsyncClient(base_url=failing_peer) as c:
        [asked] = (await c.get("/control/received")).json()
    assert asked["path"] == "/disbursement/v1/person-data"
    assert asked["bearer"] and asked["id_in_body"] and not asked["id_in_url"]  # the caller's token, body only
    assert asked["id_last4"] == body["id_number"][-4:]


async def test_an_export_is_a_502_naming_a_service_nobody_answers_for(standalone, people):
    """R-RIGHTS-1: a service at a closed port (nothing listens) is named in the 502; then, with every
    service reachable again, the same export is whole."""
    body = {"id_number": _id(people["bodies"][0])}
    with peer_at(standalone, "approval", f"http://127.0.0.1:{_free_port()}"):
        response = await standalone.post("/intake/v1/person-data/export", json=body, headers=DPO)
    problem = _no_partial_export(response, people)
    assert problem["service"] == "approval" and "approval" in problem["detail"]
    again = await standalone.post("/intake/v1/person-data/export", json=body, headers=DPO)
    assert again.status_code == 200 and [s["service"] for s in again.json()["sections"]] == SERVICES
