# ruff: noqa: S608 - SQL on fixed table names of the services
"""Retention (R-RET-1, R-RET-2; issue 17 §4): per data class a county period over the national default, and
the purge-or-pseudonymise job of each of the six services — a dry run that counts exactly the cases closed
longer ago than the period, then its application by a second officer that removes the personal fields of
exactly those cases, keeps the oversight figures and the audit trail as they were, records itself in the
audit log and changes nothing when run again. On the real app and database over the in-process bus; the
closing dates are set directly in the database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from shared import clock
from shared.contracts.intake import RetentionPolicySet
from shared.events import Envelope
from shared.retention import PSEUDONYM_TEXT, on_policy_set
from tests.conftest import ROOT
from tests.factories import application, auth, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICES = ("intake", "assessment", "approval", "disbursement", "referral", "household")
PLANNER = auth("retention-planner", "policy_admin")
CONFIRMER = auth("retention-confirmer", "county_approver")
ELEVEN_YEARS = timedelta(days=11 * 366)

CLOSED_AT = {
    # where each service keeps the case's closing instant (set directly: the case closed 11 years ago)
    "intake": "UPDATE intake.applications SET decided_at = $2, updated_at = $2 WHERE id = $1",
    "assessment": "UPDATE assessment.decided_cases SET decided_at = $2 WHERE case_id = $1",
    "approval": "UPDATE approval.decisions SET at = $2 WHERE case_id = $1",
    "disbursement": "UPDATE disbursement.approved_cases SET decided_at = $2 WHERE case_id = $1",
    "referral": "UPDATE referral.cases "
    "SET decision = jsonb_set(decision, '{decided_at}', to_jsonb($2::text)) WHERE case_id = $1",
    "household": "UPDATE household.cases SET decided_at = $2 WHERE case_id = $1",
}


async def _approved_everywhere(client, db) -> str:
    """An approved, paid and referred case with a complaint, known to all six services."""
    case_id, _ = await pending_case(client, application())
    assert (await review(client, case_id)).status_code == 200
    decided = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "reasons": "R-CAT-3 means test", "confirm_extended_duration": True},
    )
    assert decided.status_code == 200, decided.text
    filed = await client.post(
        f"/approval/v1/cases/{case_id}/complaints", json={"topic": "delay", "summary": "张三说办理太慢"}
    )
    assert filed.status_code == 201, filed.text

    async def everywhere() -> bool:
        checks = (
            "SELECT count(*) FROM intake.applications WHERE id = $1 AND status = 'approved'",
            "SELECT count(*) FROM assessment.decided_cases WHERE case_id = $1",
            "SELECT count(*) FROM disbursement.payment_instructions WHERE case_id = $1",
            "SELECT count(*) FROM referral.needs_records WHERE case_id = $1",
            # the acceptance and the decision notices, both rendered (one still pending has no text yet)
            "SELECT (count(*) >= 2 AND bool_and(sms_text IS NOT NULL))::int "
            "FROM household.notices WHERE case_id = $1",
            "SELECT count(*) FROM household.cases WHERE case_id = $1 AND decided_at IS NOT NULL",
        )
        return all([await db.fetchval(q, case_id) > 0 for q in checks])

    await eventually(everywhere, what="the decided case in every service")
    return case_id


async def _close_long_ago(db, case_id: str) -> None:
    long_ago = clock.now() - ELEVEN_YEARS
    for service, statement in CLOSED_AT.items():
        value: Any = long_ago.isoformat() if service == "referral" else long_ago
        await db.execute(statement, case_id, value)


async def _figures(client) -> dict[str, Any]:
    out = {}
    for service in SERVICES:
        r = await client.get(f"/{service}/v1/figures", headers=PLANNER)
        assert r.status_code == 200, r.text
        out[service] = r.json()
    return out


PERSONAL_COLUMNS = {
    "intake.applications": ("id", "personal, applicant_bidx, facts::text"),
    "intake.application_revisions": ("application_id", "personal, facts::text"),
    "intake.members": ("application_id", "id_bidx"),
    "intake.documents": ("application_id", "metadata::text"),
    "approval.complaints": ("case_id", "summary"),
    "approval.cases": ("case_id", "needs::text, assessment::text"),
    "disbursement.beneficiaries": ("case_id", "payee"),
    "disbursement.payment_instructions": ("case_id", "payee"),
    "referral.cases": ("case_id", "stated_needs::text"),
    "household.cases": ("case_id", "contact_sealed, applicant_index"),
    "household.notices": ("case_id", "sms_text"),
    "intake.outbox": ("key", "envelope::text"),
    "disbursement.outbox": ("key", "envelope::text"),
}


async def _personal(db, case_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The personal columns of a case, as stored (ciphertext, indexes, texts), table by table."""
    out = {}
    for table, (key, columns) in PERSONAL_COLUMNS.items():
        rows = await db.fetch(f"SELECT {columns} FROM {table} WHERE {key} = $1 ORDER BY 1", case_id)
        out[table] = [tuple(r) for r in rows]
    return out


async def _audit(db) -> dict[str, list[tuple[Any, ...]]]:
    return {
        s: [
            tuple(r)
            for r in await db.fetch(f"SELECT seq, kind, action, hash FROM {s}.audit_log ORDER BY seq")
        ]
        for s in SERVICES
    }


def _assert_facts_scrubbed(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Intake's facts (application_personal, R-RET-2): the household's figures are gone, the shape, the
    relations, the flags and the need types the readers use are kept."""
    rows = [("intake.applications", 2), ("intake.application_revisions", 1)]
    for table, at in rows:
        assert after[table] and len(after[table]) == len(before[table])
        for old_row, new_row in zip(before[table], after[table], strict=True):
            was, now = json.loads(old_row[at]), json.loads(new_row[at])
            assert was["annual_household_income"] != "0.00" and now["annual_household_income"] == "0.00"
            assert set(now["medical"].values()) == {"0.00"} and set(was["medical"].values()) != {"0.00"}
            assert now["property"] == {
                "deposits": "0.00",
                "vehicles": 0,
                "vehicle_value": "0.00",
                "houses": 0,
            }
            assert [m["age"] for m in now["household"]] == [0] * len(was["household"])
            keep = ("relation", "dibao", "tekun", "jiandang")
            assert [{k: m[k] for k in keep} for m in now["household"]] == [
                {k: m[k] for k in keep} for m in was["household"]
            ]
            assert [n["need_type"] for n in now["needs"]] == [n["need_type"] for n in was["needs"]]
            assert all(n["amount"] is None for n in now["needs"])
            assert now["incident_ongoing"] == was["incident_ongoing"]


def _assert_needs_and_assessment_scrubbed(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Approval's copies (R-RET-2): the needs' amounts and the assessment's health figures (health), its
    income (application_personal); what the decision and the figures read is kept."""
    [(needs_was, assessed_was)] = before["approval.cases"]
    [(needs_now, assessed_now)] = after["approval.cases"]
    was, now = json.loads(needs_was), json.loads(needs_now)
    assert was and any(n["amount"] != "0.00" for n in was)
    assert [n["need_type"] for n in now] == [n["need_type"] for n in was]
    assert {n["amount"] for n in now} == {"0.00"}
    a_was, a_now = json.loads(assessed_was), json.loads(assessed_now)
    assert a_was["per_capita_income"] is not None and a_now["per_capita_income"] is None
    assert a_now["self_paid"] is None
    assert {n["amount"] for n in a_now["needs"]} == {"0.00"}
    assert a_was["reasons"] and {r["message"] for r in a_now["reasons"]} == {PSEUDONYM_TEXT}
    assert all(set(r["figures"].values()) <= {PSEUDONYM_TEXT} for r in a_now["reasons"])
    assert [(r["rule"], r["passed"]) for r in a_now["reasons"]] == [
        (r["rule"], r["passed"]) for r in a_was["reasons"]
    ]
    kept = ("persons_helped", "household_size", "months", "monthly_standard", "amount", "eligible")
    assert {k: a_now[k] for k in kept} == {k: a_was[k] for k in kept}


def _county(app_row: Any) -> str:
    return str(app_row["county_code"])


async def test_a_purge_after_retention_removes_the_old_cases_personal_data_and_keeps_figures_and_audit(
    standalone, db
):
    old = await _approved_everywhere(standalone, db)
    recent = await _approved_everywhere(standalone, db)
    await _close_long_ago(db, old)
    county = _county(await db.fetchrow("SELECT county_code FROM intake.applications WHERE id = $1", old))
    recent_before = await _personal(db, recent)
    old_before = await _personal(db, old)
    figures_before = await _figures(standalone)

    # a run without a dry run, in any service: refused (R-RET-2)
    nothing = await standalone.post(
        "/intake/v1/retention/purges",
        json={"dry_run_id": str(uuid.uuid4())},
        headers=CONFIRMER,
    )
    assert nothing.status_code == 409 and nothing.json()["type"].endswith("/retention-dry-run-required")

    runs = {}
    for service in SERVICES:
        made = await standalone.post(
            f"/{service}/v1/retention/dry-runs", json={"county_code": county}, headers=PLANNER
        )
        assert made.status_code == 201, made.text
        runs[service] = made.json()
    counts = {s: {c: n["cases"] for c, n in r["counts"].items()} for s, r in runs.items()}
    # exactly the old case, in every class it has data of (the recent one is within every period)
    assert counts["intake"] == {"application_personal": 1, "documents": 1}
    assert counts["approval"] == {"application_personal": 1, "health": 1}
    assert counts["disbursement"]["bank_accounts"] == 1
    assert counts["referral"] == {"health": 1, "partner_sharing": counts["referral"]["partner_sharing"]}
    assert counts["household"] == {"application_personal": 1, "notices": 1}
    assert counts["intake"] and runs["intake"]["counts"]["application_personal"]["intake.members"] >= 1
    report_text = json.dumps(runs)
    assert old not in report_text and recent not in report_text  # counts only, no case and no person
    assert await _personal(db, old) == old_before  # a dry run changes nothing

    # the same officer cannot apply the dry run (four eyes)
    same = await standalone.post(
        "/intake/v1/retention/purges", json={"dry_run_id": runs["intake"]["id"]}, headers=PLANNER
    )
    assert same.status_code == 409 and same.json()["type"].endswith("/retention-four-eyes")
    assert await _personal(db, old) == old_before

    audit_before = await _audit(db)
    for service in SERVICES:
        applied = await standalone.post(
            f"/{service}/v1/retention/purges", json={"dry_run_id": runs[service]["id"]}, headers=CONFIRMER
        )
        assert applied.status_code == 200, applied.text
        body = applied.json()
        assert body["status"] == "applied" and body["applied_by"] == "retention-confirmer"
        assert body["applied"] == counts[service]

    after = await _personal(db, old)
    app_personal, app_bidx, _ = after["intake.applications"][0]
    assert app_personal != old_before["intake.applications"][0][0] and app_bidx.startswith("purged:")
    cipher = standalone.app.state.runtimes["intake"].cipher
    stated = json.loads(cipher.decrypt(app_personal, context="intake.application.personal"))
    assert {m["name"] for m in stated["household"]} == {PSEUDONYM_TEXT}
    assert {m["id_number"] for m in stated["household"]} == {PSEUDONYM_TEXT}
    assert stated["phone"] == PSEUDONYM_TEXT and stated["address"] == PSEUDONYM_TEXT
    assert all(r[0].startswith("purged:") for r in after["intake.members"])
    assert all(json.loads(r[0]) == {"purged": True} for r in after["intake.documents"])
    assert after["approval.complaints"] == [(PSEUDONYM_TEXT,)]
    _assert_facts_scrubbed(old_before, after)
    _assert_needs_and_assessment_scrubbed(old_before, after)
    assert after["disbursement.beneficiaries"] == [(None,)]
    assert {r[0] for r in after["disbursement.payment_instructions"]} == {None}
    assert after["referral.cases"] == [(None,)]
    # the published events about the case keep their type and time, not the sealed fields they carried
    assert after["intake.outbox"] and {r[0] for r in after["intake.outbox"]} == {'{"purged": true}'}
    assert after["disbursement.outbox"] and {r[0] for r in after["disbursement.outbox"]} == {
        '{"purged": true}'
    }
    assert after["household.cases"] == [(None, None)]
    assert {r[0] for r in after["household.notices"]} == {None}
    assert await _personal(db, recent) == recent_before  # the recent case untouched

    # the purged case is still readable, masked as before: the figures and dates are all there
    view = await standalone.get(f"/intake/v1/applications/{old}")
    assert view.status_code == 200, view.text
    assert await _figures(standalone) == figures_before

    # the audit trail: every earlier entry as it was, the purge recorded, the chain intact
    audit_after = await _audit(db)
    for service in SERVICES:
        assert audit_after[service][: len(audit_before[service])] == audit_before[service]
        purges = [e for e in audit_after[service][len(audit_before[service]) :] if e[1] == "purge"]
        assert purges, f"{service}: no purge entry"
        verdict = await standalone.get(f"/{service}/v1/audit/verify", headers=auth("a", "auditor"))
        assert verdict.json()["intact"] is True, verdict.text

    # running again changes nothing; a new dry run finds nothing left
    again = await standalone.post(
        "/intake/v1/retention/purges", json={"dry_run_id": runs["intake"]["id"]}, headers=CONFIRMER
    )
    assert again.status_code == 200 and again.json()["applied"] == counts["intake"]
    assert await _personal(db, old) == after
    for service in SERVICES:
        fresh = await standalone.post(
            f"/{service}/v1/retention/dry-runs", json={"county_code": county}, headers=PLANNER
        )
        assert {c: n["cases"] for c, n in fresh.json()["counts"].items()} == dict.fromkeys(counts[service], 0)
    report = await standalone.get(
        f"/intake/v1/retention/runs/{runs['intake']['id']}", headers=auth("a", "auditor")
    )
    assert report.status_code == 200 and report.json()["status"] == "applied"


async def test_a_county_sets_its_own_periods_once_at_intake_and_every_service_keeps_them(standalone, db):
    """R-RET-1: one owner. The county's policy admin sets the periods at intake; the version travels as
    RetentionPolicySet and the other five services keep a copy through their inbox; a PUT elsewhere is a
    409 naming intake."""
    county, other = "140302", "140303"
    today = clock.local_today()
    own = auth("county-admin", "policy_admin", county=county)
    put = await standalone.put(
        f"/intake/v1/retention/policies/{county}",
        json={"effective_from": today.isoformat(), "years": {"notices": 1}, "reason": "县政府决定"},
        headers=own,
    )
    assert put.status_code == 201, put.text
    version = put.json()["version"]

    async def everywhere() -> bool:
        for service in SERVICES:
            shown = await standalone.get(
                f"/{service}/v1/retention/policies", params={"county_code": county}, headers=own
            )
            body = shown.json()
            if body["in_force"]["notices"] != 1 or [v["version"] for v in body["county"]] != [version]:
                return False
        return True

    await eventually(everywhere, what="the county's version in all six services")
    shown = (
        await standalone.get("/household/v1/retention/policies", params={"county_code": county}, headers=own)
    ).json()
    assert shown["in_force"]["application_personal"] == 10  # a class it left out keeps the default
    assert shown["county"][0]["set_by"] == "county-admin" and shown["county"][0]["reason"] == "县政府决定"

    for service in SERVICES[1:]:
        elsewhere = await standalone.put(
            f"/{service}/v1/retention/policies/{county}",
            json={"effective_from": today.isoformat(), "years": {"notices": 2}},
            headers=own,
        )
        assert elsewhere.status_code == 409, elsewhere.text
        assert elsewhere.json()["type"].endswith("/retention-policy-owner") and "intake" in elsewhere.text
    other_county = await standalone.put(
        f"/intake/v1/retention/policies/{other}",
        json={"effective_from": today.isoformat(), "years": {"notices": 1}},
        headers=own,
    )
    assert other_county.status_code == 404
    township = auth("town-admin", "policy_admin", township=f"{county}001")
    refused = await standalone.put(
        f"/intake/v1/retention/policies/{county}",
        json={"effective_from": today.isoformat(), "years": {"notices": 1}},
        headers=township,
    )
    assert refused.status_code == 403
    clerk = await standalone.put(
        f"/intake/v1/retention/policies/{county}",
        json={"effective_from": today.isoformat(), "years": {"notices": 1}},
        headers=auth("clerk", "intake_clerk", county=county),
    )
    assert clerk.status_code == 403
    unknown = await standalone.put(
        f"/intake/v1/retention/policies/{county}",
        json={"effective_from": today.isoformat(), "years": {"audit_trail": 1}},
        headers=own,
    )
    assert unknown.status_code == 422 and "years.audit_trail" in unknown.text  # the audit trail is no class
    entries = await db.fetch(
        "SELECT actor FROM intake.audit_log WHERE county_code = $1 AND kind = 'change'", county
    )
    assert "county-admin" in {e["actor"] for e in entries}
    for service in SERVICES:  # nothing half-written by the refusals: still the one version everywhere
        n = await db.fetchval(
            f"SELECT count(*) FROM {service}.retention_policies WHERE county_code = $1", county
        )
        assert n == 1, service


async def test_a_policy_event_delivered_twice_is_kept_once(standalone, db):
    """The copy is keyed by the owner's version (R-RET-1): the same RetentionPolicySet again adds nothing."""
    event = RetentionPolicySet(
        version="140311-2026-01-01-abcdef",
        county_code="140311",
        effective_from=date(2026, 1, 1),
        years={"health": 4},
        set_by="county-admin",
        set_at=clock.now(),
    )
    runtime = standalone.app.state.runtimes["referral"]
    for _ in range(2):
        async with runtime.transaction() as session:
            await on_policy_set(
                runtime, session, Envelope.wrap(event, source="intake", subject="140311"), event
            )
    rows = await db.fetch(
        "SELECT version, years FROM referral.retention_policies WHERE county_code = '140311'"
    )
    assert [(r["version"], json.loads(r["years"])) for r in rows] == [(event.version, {"health": 4})]


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANCE_", "HOUSEHOLD_"))}
    env.update(HOUSEHOLD_DATABASE_URL=url, ASSISTANCE_ENVIRONMENT="test", ASSISTANCE_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "services", "retention", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_ops_run_the_dry_run_and_a_second_officer_applies_it_from_the_command_line(
    standalone, db, database_url
):
    old = await _approved_everywhere(standalone, db)
    await _close_long_ago(db, old)
    county = _county(await db.fetchrow("SELECT county_code FROM intake.applications WHERE id = $1", old))
    planned = await asyncio.to_thread(
        _cli, database_url, "dry-run", "--service", "household", "--county", county, "--by", "ops-planner"
    )
    assert planned.returncode == 0, planned.stderr
    report = json.loads(planned.stdout)
    assert {c: n["cases"] for c, n in report["counts"].items()} == {"application_personal": 1, "notices": 1}
    assert old not in planned.stdout
    apply = ("apply", "--service", "household", "--dry-run-id", report["id"], "--batch-size", "1")
    same = await asyncio.to_thread(_cli, database_url, *apply, "--by", "ops-planner")
    assert same.returncode == 1 and json.loads(same.stdout)["refused"] == "retention-four-eyes"
    done = await asyncio.to_thread(_cli, database_url, *apply, "--by", "ops-confirmer")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["applied"] == {"application_personal": 1, "notices": 1}
    row = await db.fetchrow(
        "SELECT contact_sealed, applicant_index FROM household.cases WHERE case_id = $1", old
    )
    assert tuple(row) == (None, None)
    purges = await db.fetch(
        "SELECT actor, target FROM household.audit_log WHERE kind = 'purge' AND actor = 'ops-confirmer'"
    )
    assert len(purges) == 2 and all(json.loads(p["target"])["retention_run"] == report["id"] for p in purges)


async def test_a_retried_policy_is_the_same_version_and_concurrent_ones_make_one(standalone, db):
    """A client that retries a PUT whose answer it lost gets the version its first attempt made (200,
    Idempotent-Replayed), and two identical PUTs at once make one version and one event: the county is
    locked while its latest version is compared. A different reason or period is a new version."""
    county = "140321"
    own = auth("county-admin-pd", "policy_admin", county=county)
    body = {"effective_from": "2099-01-01", "years": {"notices": 30}, "reason": "重试"}
    url = f"/intake/v1/retention/policies/{county}"
    first, second = await asyncio.gather(
        standalone.put(url, json=body, headers=own), standalone.put(url, json=body, headers=own)
    )
    assert sorted((first.status_code, second.status_code)) == [200, 201], (first.text, second.text)
    replay = first if first.status_code == 200 else second
    assert replay.headers["Idempotent-Replayed"] == "true" and first.json() == second.json()
    again = await standalone.put(url, json=body, headers=own)
    assert again.status_code == 200 and again.json()["version"] == first.json()["version"]
    events = (
        "SELECT count(*) FROM intake.outbox WHERE key = $1 "
        "AND event_type = 'gov.assistance.intake.retention-policy-set.v1'"
    )
    assert await db.fetchval(events, county) == 1
    assert (
        await db.fetchval("SELECT count(*) FROM intake.retention_policies WHERE county_code = $1", county)
        == 1
    )
    changed = await standalone.put(url, json={**body, "reason": "县政府再次决定"}, headers=own)
    assert changed.status_code == 201 and changed.json()["version"] != first.json()["version"]
    as_text = await standalone.put(url, json={**body, "years": {"notices": "30"}}, headers=own)
    assert as_text.status_code == 422 and "years" in as_text.text
    assert await db.fetchval(events, county) == 2
