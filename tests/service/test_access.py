"""Who may see and do what (issue 6): tokens, roles per endpoint, jurisdiction per object, separation of
duties, and the hash-chained audit log — against the real app and database."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid

import asyncpg
import pytest

from tests.conftest import _plain
from tests.factories import (
    ALL_STAFF,
    address,
    application,
    auth,
    complete_archive,
    pending_case,
    review,
    token,
)

A_COUNTY, A_TOWNSHIP = "140302", "140302001"  # 城区 上站街道
A_OTHER_TOWNSHIP = "140302002"  # 城区 下站街道
B_COUNTY, B_TOWNSHIP = "140303", "140303001"  # 矿区

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/disbursement/v1/disclosures",
    "/referral/v1/asyncapi.json",
    "/referral/v1/rankings",
}
"""Everything else needs a token."""

SAMPLE = {
    "case_id": str(uuid.uuid4()),
    "application_id": str(uuid.uuid4()),
    "payment_id": str(uuid.uuid4()),
    "change_id": str(uuid.uuid4()),
    "township_code": A_TOWNSHIP,
    "county_code": A_COUNTY,
    "year": "2026",
    "scope": "national",
    "consent": "share_with_charities",
    "partner_id": str(uuid.uuid4()),
    "task_id": str(uuid.uuid4()),
    "delivery_id": str(uuid.uuid4()),
    "dead_letter_id": "1",
    "version_id": "1",
    "document_id": str(uuid.uuid4()),
    "flag_id": str(uuid.uuid4()),
    "contract_id": str(uuid.uuid4()),
}


def _routes(app):
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            yield method.upper(), path


def _fill(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


def _protected(path: str) -> bool:
    """Staff endpoints take a JWT; the partner side (/referral/v1/partners/{id}/...) the partner's API key."""
    return path not in PUBLIC


async def test_every_endpoint_but_the_public_ones_needs_a_token(standalone):
    checked = []
    for method, path in _routes(standalone.app):
        if not _protected(path):
            continue
        r = await standalone.request(method, _fill(path), headers={"Authorization": ""}, json={})
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), (method, path)
        checked.append(path)
    assert len(checked) > 30


def _unsigned(claims: dict) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc(claims)}."


@pytest.mark.parametrize(
    "forged", ["bad-signature", "alg-none", "expired", "other-audience", "other-issuer", "garbage"]
)
async def test_forged_or_stale_tokens_are_refused(standalone, forged):
    good = token("mallory", *ALL_STAFF)
    now = int(time.time())
    claims = {
        "sub": "mallory",
        "roles": ALL_STAFF,
        "iat": now,
        "exp": now + 600,
        "aud": "assistance-api",
        "iss": "urn:assistance:dev-issuer",
    }
    bad = {
        "bad-signature": good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB"),
        "alg-none": _unsigned(claims),
        "expired": token("mallory", *ALL_STAFF, ttl=-3600),
        "other-audience": token("mallory", *ALL_STAFF, audience="another-api"),
        "other-issuer": token("mallory", *ALL_STAFF, issuer="https://evil.example"),
        "garbage": "not-a-jwt",
    }[forged]
    r = await standalone.get("/approval/v1/cases", headers={"Authorization": f"Bearer {bad}"})
    assert r.status_code == 401, r.text
    assert r.json()["status"] == 401


# --- roles per endpoint: allowed -> not 401/403; not allowed -> 403 ---

CASE = "{case}"
MATRIX = [
    # method, path, body, roles allowed
    ("GET", "/approval/v1/cases", None, set(ALL_STAFF) - {"policy_admin"}),
    ("GET", f"/approval/v1/cases/{CASE}", None, set(ALL_STAFF) - {"policy_admin"}),
    (
        "POST",
        f"/approval/v1/cases/{CASE}/review",
        {"opinion": "approved", "reasons": "r"},
        {"township_reviewer", "county_approver"},
    ),
    (
        "POST",
        f"/approval/v1/cases/{CASE}/decision",
        {"decision": "approved", "confirm_extended_duration": True, "reasons": "r"},
        {"township_approver", "county_approver"},
    ),
    ("POST", "/approval/v1/decisions:batch", {"items": []}, {"township_approver", "county_approver"}),
    (
        "POST",
        f"/approval/v1/townships/{A_TOWNSHIP}/limits",
        {
            "county_code": A_COUNTY,
            "effective_from": "2099-01-01",
            "approval_limit": "5000.00",
            "disbursement_limit": "5000.00",
        },
        {"policy_admin"},
    ),
    (
        "PUT",
        "/approval/v1/calendars/national/2097",
        {"holidays": [], "workdays": [], "source": "test"},
        {"policy_admin"},
    ),
    ("GET", f"/disbursement/v1/cases/{CASE}/payments", None, set(ALL_STAFF) - {"policy_admin"}),
    ("POST", f"/disbursement/v1/payments/{uuid.uuid4()}/result", {"outcome": "paid"}, {"finance_officer"}),
    (
        "GET",
        f"/disbursement/v1/ledger?county_code={A_COUNTY}",
        None,
        {"finance_officer", "auditor", "county_approver"},
    ),
    (
        "POST",
        f"/disbursement/v1/reserve-funds/{A_TOWNSHIP}/2026/draws",
        {"amount": "1.00", "purpose": "x"},
        {"finance_officer"},
    ),
    ("POST", "/intake/v1/applications", {"category": "x"}, {"intake_clerk", "gov_system"}),
    ("GET", "/intake/v1/applications", None, set(ALL_STAFF) - {"policy_admin"}),
    ("GET", f"/intake/v1/applications/{CASE}", None, set(ALL_STAFF) - {"policy_admin"}),
    (
        "POST",
        f"/intake/v1/applications/{CASE}/duplicate-review",
        {"outcome": "cleared", "reason": "r"},
        {"township_approver", "county_approver"},
    ),
    (
        "POST",
        f"/intake/v1/applications/{CASE}/consents/share_with_charities/withdrawal",
        None,
        {"intake_clerk"},
    ),
    ("GET", f"/assessment/v1/cases/{CASE}", None, set(ALL_STAFF) - {"policy_admin"}),
    ("POST", f"/assessment/v1/cases/{CASE}/raises", {}, {"county_approver"}),
    ("POST", "/assessment/v1/policies", {}, {"policy_admin"}),
    ("GET", "/assessment/v1/policies", None, set(ALL_STAFF)),
    ("GET", "/intake/v1/figures", None, set(ALL_STAFF)),
    ("GET", "/referral/v1/performance", None, {"county_approver", "auditor", "policy_admin"}),
    ("POST", "/referral/v1/partners", {}, {"policy_admin"}),
    ("GET", "/disbursement/v1/payee-changes", None, set(ALL_STAFF) - {"policy_admin"}),
    (
        "POST",
        f"/disbursement/v1/payee-changes/{SAMPLE['change_id']}/decision",
        {},
        {"township_approver", "county_approver", "finance_officer"},  # the second person (R-AID-2)
    ),
    ("GET", f"/referral/v1/cases/{CASE}/referrals", None, set(ALL_STAFF) - {"policy_admin"}),
    ("GET", "/approval/v1/audit/verify", None, {"auditor"}),
    ("GET", "/disbursement/v1/audit/entries", None, {"auditor"}),
    ("GET", "/assessment/v1/ops/dead-letters", None, {"auditor", "policy_admin"}),
]
ROLES = [*ALL_STAFF, "partner", "gov_system"]


@pytest.fixture(scope="module")
async def a_case(standalone):
    case_id, _ = await pending_case(standalone, application(address=address(A_COUNTY, A_TOWNSHIP)))
    return case_id


@pytest.mark.parametrize("role", ROLES)
async def test_role_matrix(standalone, a_case, role):
    for method, path, body, allowed in MATRIX:
        r = await standalone.request(
            method, path.replace(CASE, a_case), json=body, headers=auth(f"matrix-{role}", role)
        )
        if role in allowed:
            assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text[:300])
        else:
            assert r.status_code == 403, (role, method, path, r.status_code, r.text[:300])
            assert r.json()["type"].endswith("/forbidden")


# --- jurisdiction: object-level checks on every id, lists narrowed ---


async def test_a_township_sees_and_acts_on_its_own_cases_only(standalone):
    case_id, _ = await pending_case(standalone, application(address=address(A_COUNTY, A_TOWNSHIP)))
    own = auth("own-reviewer", "township_reviewer", township=A_TOWNSHIP)
    neighbour = auth("next-reviewer", "township_reviewer", township=A_OTHER_TOWNSHIP)
    other_county = auth("far-approver", "county_approver", county=B_COUNTY)
    county = auth("county-approver", "county_approver", county=A_COUNTY)

    for caller in (neighbour, other_county):
        assert (await standalone.get(f"/approval/v1/cases/{case_id}", headers=caller)).status_code == 404
        assert (await review(standalone, case_id, headers=caller)).status_code == 404
        assert (
            await standalone.get(f"/disbursement/v1/cases/{case_id}/payee-changes", headers=caller)
        ).status_code == 404
    listed = await standalone.get("/approval/v1/cases?limit=200", headers=neighbour)
    assert listed.status_code == 200 and case_id not in {c["case_id"] for c in listed.json()}
    assert {c["township_code"] for c in listed.json()} <= {A_OTHER_TOWNSHIP}
    foreign = await standalone.get(f"/approval/v1/cases?county_code={B_COUNTY}", headers=county)
    assert foreign.status_code == 403

    assert (await standalone.get(f"/approval/v1/cases/{case_id}", headers=own)).status_code == 200
    assert (await review(standalone, case_id, headers=own)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        headers=county,
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "checked"},
    )
    assert decided.status_code == 200, decided.text
    steps = [(d["step"], d["actor"]) for d in decided.json()["decisions"]]
    assert steps == [("review", "own-reviewer"), ("approval", "county-approver")]
    listed = await standalone.get(f"/approval/v1/cases?county_code={A_COUNTY}&limit=200", headers=county)
    assert case_id in {c["case_id"] for c in listed.json()}


async def test_intake_applications_are_seen_only_within_the_jurisdiction(standalone):
    created = await standalone.post(
        "/intake/v1/applications",
        json=application(address=address(A_COUNTY, A_TOWNSHIP)),
        headers=auth("clerk-a", "intake_clerk", township=A_TOWNSHIP),
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    elsewhere = await standalone.post(
        "/intake/v1/applications",
        json=application(address=address(B_COUNTY, B_TOWNSHIP)),
        headers=auth("clerk-a", "intake_clerk", township=A_TOWNSHIP),
    )
    assert elsewhere.status_code == 403
    clerk_b = auth("clerk-b", "intake_clerk", township=B_TOWNSHIP)
    for path in (
        f"/intake/v1/applications/{case_id}",
        f"/intake/v1/applications/{case_id}/documents",
        f"/intake/v1/applications/{case_id}/revisions",
    ):
        assert (await standalone.get(path, headers=clerk_b)).status_code == 404, path
    withdrawn = await standalone.post(
        f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal", headers=clerk_b
    )
    assert withdrawn.status_code == 404
    listed = (await standalone.get("/intake/v1/applications?limit=200", headers=clerk_b)).json()["items"]
    assert case_id not in {a["id"] for a in listed} and {a["township_code"] for a in listed} <= {B_TOWNSHIP}
    own = await standalone.get(
        f"/intake/v1/applications/{case_id}", headers=auth("clerk-a2", "intake_clerk", township=A_TOWNSHIP)
    )
    assert own.status_code == 200


async def test_a_government_system_is_recorded_as_the_referring_system(standalone):
    created = await standalone.post(
        "/intake/v1/applications",
        json=application(),
        headers=auth("urn:gov:monitoring-platform", "gov_system"),
    )
    assert created.status_code == 201, created.text
    assert created.json()["channel"] == "gov_system"
    assert created.json()["referring_system"] == "urn:gov:monitoring-platform"


async def test_the_actor_recorded_is_the_token_holder_not_what_the_body_claims(standalone):
    case_id, _ = await pending_case(standalone, application())
    await complete_archive(standalone, case_id)  # R-ARC-1: an approving review needs the archive
    r = await standalone.post(
        f"/approval/v1/cases/{case_id}/review",
        headers=auth("real-reviewer", "township_reviewer"),
        json={"opinion": "approved", "reasons": "ok", "actor": "someone-else"},
    )
    assert r.status_code == 200 and r.json()["decisions"][0]["actor"] == "real-reviewer"


# --- the audit log ---


async def test_changes_and_reads_are_audited_in_a_hash_chain_that_shows_tampering(standalone, database_url):
    case_id, _ = await pending_case(standalone, application())
    auditor = auth("the-auditor", "auditor")
    await review(
        standalone,
        case_id,
        headers={**auth("audited-reviewer", "township_reviewer"), "X-Audit-Reason": "home visit"},
    )
    await standalone.get(f"/approval/v1/cases/{case_id}", headers=auth("curious-clerk", "intake_clerk"))

    entries = (await standalone.get("/approval/v1/audit/entries?limit=1000", headers=auditor)).json()
    mine = [e for e in entries if e["target"].get("case_id") == case_id]
    change = next(e for e in mine if e["actor"] == "audited-reviewer" and e["kind"] == "change")
    assert change["action"] == "POST /approval/v1/cases/{case_id}/review" and change["reason"] == "home visit"
    assert any(e["actor"] == "curious-clerk" and e["kind"] == "read" for e in mine)
    assert (await standalone.get("/approval/v1/audit/verify", headers=auditor)).json()["intact"] is True

    conn = await asyncpg.connect(_plain(database_url))
    try:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE approval.audit_log SET actor = 'nobody' WHERE id = $1", change["id"])
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM approval.audit_log WHERE id = $1", change["id"])
        # Someone with the power to switch the trigger off rewrites history...
        async with conn.transaction():
            await conn.execute("ALTER TABLE approval.audit_log DISABLE TRIGGER audit_log_append_only")
            await conn.execute("UPDATE approval.audit_log SET actor = 'nobody' WHERE id = $1", change["id"])
            await conn.execute("ALTER TABLE approval.audit_log ENABLE TRIGGER audit_log_append_only")
        verdict = (await standalone.get("/approval/v1/audit/verify", headers=auditor)).json()
        assert (verdict["intact"], verdict["first_broken_id"], verdict["head"]) == (False, change["id"], None)
        assert f"entry {change['id']} was changed" in verdict["problems"][0]
    finally:
        async with conn.transaction():  # put it back for the other tests
            await conn.execute("ALTER TABLE approval.audit_log DISABLE TRIGGER audit_log_append_only")
            await conn.execute(
                "UPDATE approval.audit_log SET actor = 'audited-reviewer' WHERE id = $1", change["id"]
            )
            await conn.execute("ALTER TABLE approval.audit_log ENABLE TRIGGER audit_log_append_only")
        await conn.close()
    assert (await standalone.get("/approval/v1/audit/verify", headers=auditor)).json()["intact"] is True


async def test_the_token_command_mints_what_the_services_accept(standalone):
    import asyncio
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "services",
            "token",
            "--role",
            "auditor",
            "--township",
            A_TOWNSHIP,
            "--sub",
            "cli-auditor",
        ],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    headers = {"Authorization": f"Bearer {out.stdout.strip()}"}
    assert (await standalone.get("/approval/v1/audit/verify", headers=headers)).status_code == 200
    assert (await standalone.get("/approval/v1/cases", headers=headers)).status_code == 200
    assert (
        await standalone.post("/approval/v1/decisions:batch", headers=headers, json={"items": []})
    ).status_code == 403
