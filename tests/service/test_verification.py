"""Verification (核对, R-CAT-3) and registry status (R-CAT-4) against a fake verification system that is a
real HTTP process on 127.0.0.1 (tests/service/fake_verification.py), checking the token, the idempotency
key and every ID number it receives; it can answer 500, time out, or keep an answer pending.

Intake does not yet put the members' sealed ID numbers on ApplicationSubmitted nor announce recorded
documents, so the tests publish those two intake events themselves through intake's own outbox: the real
relay, bus and assessment consumer (with its inbox) carry them from there."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from shared import clock
from shared.contracts.common import Category, Subtype
from shared.contracts.intake import (
    MEMBERS_SEAL_CONTEXT,
    ApplicationSubmitted,
    ArchiveCompleteness,
    Consents,
    DocumentRecorded,
    MedicalCosts,
    MemberFacts,
    Property,
)
from tests.factories import REVIEW, auth, eventually, gov_system, resident_id, reviewer, unique_birth

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVER = Path(__file__).with_name("fake_verification.py")
SYSTEM = "city-verification"
FAST_COUNTY, FAST_TOWNSHIP = "140303", "140303001"
"""A county whose test policy gives the verification system 5 seconds to answer (the deadline test)."""


@pytest.fixture(scope="module", name="database_url")
async def verification_database(pg_server_url: str) -> str:
    """The module's own database: its policy version with a short deadline must not reach other modules."""
    from tests.conftest import create_database

    return await create_database(pg_server_url)


@pytest.fixture(scope="module", name="standalone")
async def verification_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    from tests.conftest import standalone_client

    async with standalone_client(database_url, tmp_path_factory) as client:
        yield client


@dataclass
class FakeVerification:
    base: str
    token: str

    async def plan(self, first_id: str, **plan: Any) -> None:
        async with httpx.AsyncClient(base_url=self.base) as c:
            (await c.post("/control/plan", json={first_id: plan})).raise_for_status()

    async def received(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base) as c:
            return (await c.get("/control/received")).json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fake_verification(standalone: httpx.AsyncClient) -> Iterator[FakeVerification]:
    """The verification system, a real process; assessment is pointed at it with fast retries and polls."""
    token = secrets.token_hex(16)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--token", token, "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("port ")
        for _ in range(100):  # until uvicorn listens
            try:
                httpx.get(f"http://127.0.0.1:{port}/control/received", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                import time

                time.sleep(0.1)
        settings = standalone.app.state.runtimes["assessment"].settings  # type: ignore[attr-defined]
        settings.verification_url = f"http://127.0.0.1:{port}"
        settings.verification_token = SecretStr(token)
        settings.verification_timeout_seconds = 1.0
        settings.verification_retry_seconds = 0.2
        settings.verification_retry_max_seconds = 0.5
        settings.verification_poll_seconds = 0.2
        settings.verification_check_seconds = 0.1
        yield FakeVerification(f"http://127.0.0.1:{port}", token)
        settings.verification_check_seconds = 3600.0  # the worker idles before the services shut down
        settings.verification_url = None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
async def fast_policy(standalone: httpx.AsyncClient) -> None:
    """County 140303's test policy: the same figures, but the answer is due within 5 seconds."""
    policies = (await standalone.get("/assessment/v1/policies", params={"county_code": FAST_COUNTY})).json()
    current = next(p for p in policies if p["effective_from"] == "2026-01-01")
    params = {**current["parameters"], "verification": {**current["parameters"]["verification"]}}
    params["verification"]["answer_within_seconds"] = 5
    body = {**current, "version": f"{FAST_COUNTY}-verify-test", "parameters": params}
    created = await standalone.post("/assessment/v1/policies", json=body)
    assert created.status_code == 201, created.text


def _household() -> list[str]:
    birth = unique_birth()
    return [resident_id(birth=birth), resident_id(birth=birth)]


async def submit(
    client: httpx.AsyncClient,
    ids: list[str],
    *,
    income: str = "20000.00",
    dibao: bool = False,
    county: str = "140302",
    township: str = "140302001",
    authorise: bool = True,
) -> str:
    """Publish intake's ApplicationSubmitted (with the sealed ID numbers) and, unless told otherwise, the
    recorded authorisation, through intake's outbox; returns the case id."""
    runtime = client.app.state.runtimes["intake"]  # type: ignore[attr-defined]
    case_id = str(uuid.uuid4())
    app = ApplicationSubmitted(
        case_id=case_id,
        case_no=f"T{case_id[:8]}",
        revision=1,
        channel="walk_in",
        referring_system=None,
        county_code=county,
        township_code=township,
        category=Category.expenditure,
        subtype=Subtype.medical,
        incident_date=date(2026, 10, 1),
        incident_ongoing=False,
        household=[
            MemberFacts(relation="self", age=40),
            MemberFacts(relation="spouse", age=38, dibao=dibao),
        ],
        persons_helped=2,
        requested_months=None,
        annual_household_income=Decimal(income),
        property=Property(deposits=Decimal("1000.00"), vehicles=0, vehicle_value=Decimal("0.00"), houses=1),
        medical=MedicalCosts(
            total_bills=Decimal("80000.00"),
            basic_insurance=Decimal("40000.00"),
            critical_illness_insurance=Decimal("10000.00"),
            commercial_insurance=Decimal("0.00"),
            medical_assistance=Decimal("5000.00"),
        ),
        education=None,
        consents=Consents(
            verify_economic_situation=True, share_with_charities=False, share_health_data=False
        ),
        submitted_at=clock.now(),
        members_sealed=runtime.cipher.encrypt(json.dumps(ids), context=MEMBERS_SEAL_CONTEXT),
    )
    # intake's report that the archive is complete: this case never passed through intake's API, and
    # approval refuses an approving review until intake has reported (R-ARC-1)
    archive = ArchiveCompleteness(
        case_id=case_id,
        county_code=app.county_code,
        township_code=app.township_code,
        policy_version="test",
        required=[],
        missing=[],
        blocking=[],
        as_of=clock.now(),
    )
    async with runtime.transaction() as session:
        await runtime.outbox.add(session, app, subject=case_id)
        await runtime.outbox.add(session, archive, subject=case_id)
        if authorise:
            doc = DocumentRecorded(
                case_id=case_id, kind="verification_authorisation", sha256="ab" * 32, recorded_at=clock.now()
            )
            await runtime.outbox.add(session, doc, subject=case_id)
    return case_id


async def verification_of(client: httpx.AsyncClient, case_id: str, **want: str) -> dict[str, Any]:
    """The case's verification view once its requests of each given kind are in the given state."""

    last: list[Any] = []

    async def probe() -> dict[str, Any] | None:
        r = await client.get(f"/assessment/v1/cases/{case_id}/verification")
        last[:] = [r.status_code, r.text[:1500]]
        if r.status_code != 200:
            return None
        view = r.json()
        states = {v["kind"]: v["state"] for v in view["verifications"]}
        return view if all(states.get(k) == s for k, s in want.items()) else None

    try:
        return await eventually(probe, timeout=30, what=f"verification states {want}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last answer: {last}") from None


def _kind(view: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(v for v in view["verifications"] if v["kind"] == kind)


async def _latest(client: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
    return (await client.get(f"/assessment/v1/cases/{case_id}")).json()


async def test_a_verified_income_beyond_the_tolerance_makes_the_case_ineligible_citing_it(
    standalone, fake_verification
):
    ids = _household()
    await fake_verification.plan(
        ids[0], figures={ids[0]: {"annual_income": "48000.00"}, ids[1]: {"annual_income": "30000.00"}}
    )
    case_id = await submit(standalone, ids, income="20000.00")
    view = await verification_of(standalone, case_id, economic="answered", registry="answered")
    allrev = (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()
    assert view["figure_source"] == "verified", [
        (a["revision"], a["basis"], a["figure_source"], a["result"]["status_source"]) for a in allrev
    ]
    economic = _kind(view, "economic")
    assert [m["verified"]["annual_income"] for m in economic["members"]] == ["48000.00", "30000.00"]
    assert all("*" in m["id_number"] and m["id_number"] not in ids for m in economic["members"])  # masked
    income = next(c for c in economic["comparison"] if c["figure"] == "annual_household_income")
    assert (income["declared"], income["verified"], income["flagged"]) == ("20000.00", "78000.00", True)

    latest = await _latest(standalone, case_id)
    assert (
        latest["eligible"] is False
        and latest["figure_source"] == "verified"
        and latest["basis"] == "verification"
    )
    failed = [r for r in latest["result"]["reasons"] if not r["passed"]]
    assert failed and all(r["rule"] == "R-CAT-3" for r in failed)
    assert any("verified annual household income 78000.00" in r["message"] for r in failed)
    assert any("beyond the county tolerance 2000.00" in r["message"] for r in failed)
    first = (await standalone.get(f"/assessment/v1/cases/{case_id}/assessments")).json()[-1]
    assert first["eligible"] is True and first["figure_source"] == "declared"  # the declared one stays
    got = await fake_verification.received()
    assert got["refused"] == []  # token, idempotency key and every ID number passed the server's checks


async def test_a_verified_income_within_the_tolerance_stays_eligible_and_says_verified(
    standalone, fake_verification, db
):
    ids = _household()
    await fake_verification.plan(
        ids[0], figures={ids[0]: {"annual_income": "21500.00", "deposits": "800.00"}}
    )
    case_id = await submit(standalone, ids, income="20000.00")
    await verification_of(standalone, case_id, economic="answered")
    latest = await _latest(standalone, case_id)
    assert latest["eligible"] is True and latest["figure_source"] == "verified"
    reasons = latest["result"]["reasons"]
    tolerance = next(r for r in reasons if "differs from the declared" in r["message"])
    assert tolerance["passed"] and tolerance["figures"]["verified_annual_household_income"] == "21500.00"
    means = next(r for r in reasons if r["rule"] == "R-CAT-3" and "per-capita income" in r["message"])
    assert means["message"].startswith("verified per-capita income 10750.00")
    sealed = await db.fetchval(
        "SELECT answer_sealed FROM assessment.verifications WHERE case_id = $1 AND kind = 'economic'", case_id
    )
    assert sealed and "21500" not in sealed and ids[0] not in sealed  # encrypted at rest
    members = await db.fetchval(
        "SELECT members_sealed FROM assessment.verifications WHERE case_id = $1 AND kind = 'economic'",
        case_id,
    )
    assert ids[0] not in members
    stored = await db.fetchval(
        "SELECT count(*) FROM assessment.assessments WHERE case_id = $1 AND inputs::text LIKE $2",
        case_id,
        f"%{ids[0]}%",
    )
    assert stored == 0


async def test_a_request_that_times_out_is_retried_then_shown_on_the_case_after_the_deadline(
    standalone, fake_verification, fast_policy, db
):
    ids = _household()
    await fake_verification.plan(ids[0], send="timeout")
    before = (await fake_verification.received())["timeouts"]
    case_id = await submit(standalone, ids, county=FAST_COUNTY, township=FAST_TOWNSHIP)
    view = await verification_of(standalone, case_id, economic="overdue")
    economic = _kind(view, "economic")
    assert economic["attempts"] >= 2 and "timed out" in economic["last_error"]
    assert "R-CAT-3: no answer from the city verification system by the deadline" in economic["hold_reason"]
    assert (await fake_verification.received())["timeouts"] - before >= 2
    announced = await db.fetch(
        "SELECT envelope FROM assessment.outbox WHERE key = $1 AND event_type = $2",
        case_id,
        "gov.assistance.assessment.case-processing-failed.v1",
    )
    assert len(announced) == 1 and "R-CAT-3" in json.loads(announced[0]["envelope"])["data"]["reason"]
    assert (await _latest(standalone, case_id))["figure_source"] == "declared"  # nothing verified applied


async def test_a_500_is_retried_with_backoff_and_the_error_is_visible_meanwhile(
    standalone, fake_verification
):
    ids = _household()
    await fake_verification.plan(ids[0], send="error500")
    case_id = await submit(standalone, ids)

    async def retried() -> dict[str, Any] | None:
        r = await standalone.get(f"/assessment/v1/cases/{case_id}/verification")
        if r.status_code != 200 or not r.json()["verifications"]:
            return None
        economic = _kind(r.json(), "economic")
        return economic if economic["attempts"] >= 2 else None

    economic = await eventually(retried, what="two failed attempts")
    assert economic["state"] == "to_send" and "answered 500" in economic["hold_reason"]
    await fake_verification.plan(ids[0], send="ok")  # the system recovers: the next retry goes through
    await verification_of(standalone, case_id, economic="answered")


async def test_an_answer_for_an_unknown_request_is_a_404_problem(standalone, fake_verification):
    answer = {"members": [{"id_number": resident_id(), **{"annual_income": "1.00"}}]}
    r = await standalone.post(
        "/assessment/v1/verification-answers/vr-nobody-asked", json=answer, headers=gov_system(SYSTEM)
    )
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (
        r.json()["type"].endswith("/verification-request-not-found")
        and "vr-nobody-asked" in r.json()["detail"]
    )
    other = await standalone.post(
        "/assessment/v1/verification-answers/vr-nobody-asked",
        json=answer,
        headers=gov_system("another-system"),
    )
    assert other.status_code == 403, other.text  # only the configured verification system answers


async def test_a_late_answer_after_the_decision_is_refused_409_and_nothing_is_applied(
    standalone, fake_verification, db
):
    ids = _household()
    await fake_verification.plan(ids[0], poll="pending")
    case_id = await submit(standalone, ids)
    view = await verification_of(standalone, case_id, economic="requested")
    request_id = _kind(view, "economic")["request_id"]

    async def in_approval() -> bool:
        return (await standalone.get(f"/approval/v1/cases/{case_id}")).status_code == 200

    await eventually(in_approval, what="the case to reach approval")
    latest = await _latest(standalone, case_id)
    reviewed = await standalone.post(  # not factories.review: intake holds no archive for this case
        f"/approval/v1/cases/{case_id}/review",
        json={**REVIEW, "amount": latest["amount"]},
        headers=reviewer(),
    )
    assert reviewed.status_code == 200, reviewed.text
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-FLOW-1"},
    )
    assert decided.status_code == 200, decided.text

    async def assessment_knows() -> bool:
        return bool(
            await db.fetchval("SELECT count(*) FROM assessment.decided_cases WHERE case_id = $1", case_id)
        )

    await eventually(assessment_knows, what="assessment to learn of the decision")
    revisions = await db.fetchval("SELECT count(*) FROM assessment.assessments WHERE case_id = $1", case_id)
    answer = {
        "request_id": request_id,
        "status": "answered",
        "members": [
            {
                "id_number": i,
                "annual_income": "90000.00",
                "deposits": "0.00",
                "vehicles": 0,
                "vehicle_value": "0.00",
                "houses": 0,
                "business_registrations": 0,
            }
            for i in ids
        ],
    }
    r = await standalone.post(
        f"/assessment/v1/verification-answers/{request_id}", json=answer, headers=gov_system(SYSTEM)
    )
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"].endswith("/verification-answer-after-decision")
    assert "already approved" in problem["detail"] and "not applied" in problem["detail"]
    after = await db.fetchval("SELECT count(*) FROM assessment.assessments WHERE case_id = $1", case_id)
    state = await db.fetchval("SELECT state FROM assessment.verifications WHERE request_id = $1", request_id)
    assert after == revisions and state == "requested"  # nothing applied, nothing half-written

    await fake_verification.plan(ids[0], poll="answer")  # the same late answer, now found by polling
    view = await verification_of(standalone, case_id, economic="late")
    assert "not applied" in _kind(view, "economic")["hold_reason"]
    assert (
        await db.fetchval("SELECT count(*) FROM assessment.assessments WHERE case_id = $1", case_id) == after
    )


async def test_the_registry_confirms_a_declared_dibao_and_the_checklist_is_verified_by_named_officers(
    standalone, fake_verification
):
    ids = _household()
    await fake_verification.plan(ids[0], registry={ids[1]: {"dibao": True}})
    case_id = await submit(standalone, ids, dibao=True)
    view = await verification_of(standalone, case_id, registry="answered")
    assert view["status_source"] == "registry"
    member = _kind(view, "registry")["members"][1]
    assert member["registry_status"]["dibao"] and not member["status_flagged"]
    latest = await _latest(standalone, case_id)
    r4 = next(r for r in latest["result"]["reasons"] if r["rule"] == "R-CAT-4" and "registry" in r["message"])
    assert "confirmed at the source registry: member 2 低保" in r4["message"]
    assert latest["result"]["priority_verification"] is True
    items = [i["item"] for i in view["essential_spending"]]
    assert "medical" in items and all(i["verified_by"] is None for i in view["essential_spending"])

    officer = auth("officer-wang", "township_reviewer")
    done = await standalone.post(
        f"/assessment/v1/cases/{case_id}/essential-spending/medical",
        json={"finding": "票据与医保结算单一致"},
        headers=officer,
    )
    assert done.status_code == 200, done.text
    assert done.json()["verified_by"] == "officer-wang"
    again = await standalone.post(
        f"/assessment/v1/cases/{case_id}/essential-spending/medical", json={"finding": "x"}, headers=officer
    )
    assert again.status_code == 409 and again.json()["type"].endswith("/essential-item-already-verified")
    view = (await standalone.get(f"/assessment/v1/cases/{case_id}/verification")).json()
    assert (
        next(i for i in view["essential_spending"] if i["item"] == "medical")["verified_by"] == "officer-wang"
    )


async def test_the_registry_refutes_a_self_declared_dibao_and_no_checklist_is_generated(
    standalone, fake_verification
):
    ids = _household()
    case_id = await submit(standalone, ids, dibao=True)  # the registry holds no status for either member
    view = await verification_of(standalone, case_id, registry="answered")
    member = _kind(view, "registry")["members"][1]
    assert (
        member["declared_status"]["dibao"]
        and not member["registry_status"]["dibao"]
        and member["status_flagged"]
    )
    latest = await _latest(standalone, case_id)
    assert (
        latest["result"]["priority_verification"] is False and latest["result"]["status_source"] == "registry"
    )
    r4 = next(r for r in latest["result"]["reasons"] if r["rule"] == "R-CAT-4")
    assert "declared but not held by the registry (self-declaration not used): member 2 低保" in r4["message"]
    assert view["essential_spending"] == []
    nothing = await standalone.post(
        f"/assessment/v1/cases/{case_id}/essential-spending/medical", json={"finding": "x"}
    )
    assert nothing.status_code == 404 and nothing.json()["type"].endswith("/essential-item-not-found")


async def test_without_the_signed_authorisation_nothing_is_sent_and_the_case_says_why(
    standalone, fake_verification
):
    ids = _household()
    case_id = await submit(standalone, ids, authorise=False)
    view = await verification_of(standalone, case_id, economic="awaiting_authorisation")
    assert "verification_authorisation" in _kind(view, "economic")["hold_reason"]
    await asyncio.sleep(0.5)
    got = await fake_verification.received()
    assert not any(
        r["kind"] == "economic" and r["reference"] == _kind(view, "economic")["id"]
        for r in got["requests"].values()
    )


async def test_a_callback_answer_is_applied_once_and_a_different_second_answer_is_refused(
    standalone, fake_verification
):
    ids = _household()
    await fake_verification.plan(ids[0], poll="pending")  # the system will call back instead
    case_id = await submit(standalone, ids)
    request_id = _kind(await verification_of(standalone, case_id, economic="requested"), "economic")[
        "request_id"
    ]
    figures = {
        "deposits": "0.00",
        "vehicles": 0,
        "vehicle_value": "0.00",
        "houses": 0,
        "business_registrations": 0,
    }
    answer = {"members": [{"id_number": i, "annual_income": "10000.00", **figures} for i in ids]}
    url = f"/assessment/v1/verification-answers/{request_id}"
    first = await standalone.post(url, json=answer, headers=gov_system(SYSTEM))
    assert first.status_code == 200, first.text
    assert (
        first.json()["state"] == "answered"
        and first.json()["members"][0]["verified"]["annual_income"] == "10000.00"
    )
    assert (await _latest(standalone, case_id))["figure_source"] == "verified"
    again = await standalone.post(url, json=answer, headers=gov_system(SYSTEM))
    assert again.status_code == 200, again.text  # a retried callback changes nothing
    changed = {"members": [{"id_number": i, "annual_income": "99999.00", **figures} for i in ids]}
    refused = await standalone.post(url, json=changed, headers=gov_system(SYSTEM))
    assert refused.status_code == 409 and refused.json()["type"].endswith("/verification-already-answered")
    stranger = {"members": [{"id_number": resident_id(), "annual_income": "1.00", **figures}]}
    wrong = await standalone.post(
        "/assessment/v1/registry-answers/" + request_id, json=stranger, headers=gov_system(SYSTEM)
    )
    assert wrong.status_code == 404  # an economic request is not a registry check
