"""Issue 18 part 2 on the real database, all services in one process (R-AID-1): a referral to a government
scheme is a task with a due date; past it without a final outcome it is on the referral desk's overdue list
and the case says so (intake: ``needs_attention``, nothing silent) until the scheme answers; intake's case
timeline and the household's notices show the referral and its outcome, each event applied once however
often it is delivered."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from services.referral.service.scheme_referrals import announce_overdue
from shared import clock
from shared.bus import Record
from tests.factories import address, application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")
COUNTY, TOWNSHIP = "140322", "140322104"


async def medical_case(client) -> str:
    body = application(address=address(COUNTY, TOWNSHIP))
    body["medical"] = {**body["medical"], "total_bills": "300000.00"}
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200
    r = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-2"},
    )
    assert r.status_code == 200, r.text

    async def known():
        needs = (await client.get(f"/referral/v1/cases/{case_id}/needs")).json()
        return needs if isinstance(needs, list) and needs else None

    await eventually(known, what="referral to know the decided case")
    return case_id


async def intake_case(client, case_id: str) -> dict:
    r = await client.get(f"/intake/v1/applications/{case_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def overdue_ids(client) -> list[str]:
    r = await client.get(f"/referral/v1/desk/overdue-scheme-referrals?county_code={COUNTY}")
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()]


async def test_an_overdue_scheme_referral_is_on_the_desk_and_the_case_needs_attention_until_its_outcome(
    standalone, partners, db
):
    scheme = await partners(
        name="盂县医疗保障局 医疗救助",
        kind="government_scheme",
        scheme="medical_assistance",
        need_types=["medical"],
        service_areas=[COUNTY],
        uscc="11140322MB0000000K",
    )
    case_id = await medical_case(standalone)
    made = await standalone.post(
        f"/referral/v1/cases/{case_id}/scheme-referrals",
        json={"partner_id": scheme["id"], "need_type": "medical"},
    )
    assert made.status_code == 201, made.text
    referral = made.json()
    assert referral["overdue"] is False and referral["id"] not in await overdue_ids(standalone)
    runtime = standalone.app.state.runtimes["referral"]
    due = datetime.fromisoformat(referral["due_on"]).date()

    with clock.frozen(datetime.combine(due, time(23, 59), tzinfo=clock.zone())):  # still the due day
        assert await announce_overdue(runtime) == 0
        assert referral["id"] not in await overdue_ids(standalone)

    # the clock stays on the next day only while referral looks (other services' sweeps run on it too)
    def next_day():
        return clock.frozen(datetime.combine(due + timedelta(days=1), time(0, 1), tzinfo=clock.zone()))

    with next_day():
        await announce_overdue(runtime)  # (the background sweep, also on this clock, may be first)
        await announce_overdue(runtime)
        listed = (
            await standalone.get(f"/referral/v1/desk/overdue-scheme-referrals?county_code={COUNTY}")
        ).json()
        case_view = (await standalone.get(f"/referral/v1/cases/{case_id}/scheme-referrals")).json()
    announced = await db.fetchval(
        "SELECT count(*) FROM referral.outbox WHERE event_type = $1 AND key = $2",
        "gov.assistance.referral.scheme-referral-overdue.v1",
        case_id,
    )
    assert announced == 1  # once, however often the sweep runs
    assert [(x["id"], x["overdue"], x["status"]) for x in listed] == [(referral["id"], True, "open")]
    assert case_view[0]["overdue"] is True and case_view[0]["overdue_at"] is not None

    async def flagged():
        case = await intake_case(standalone, case_id)
        return case if case["status"] == "needs_attention" else None

    case = await eventually(flagged, what="the case to show the overdue referral")
    attention = case["attention"]
    assert (attention["service"], attention["scheme_referral_id"]) == ("referral", referral["id"])
    assert "R-AID-1" in attention["reason"] and referral["due_on"] in attention["reason"]
    assert attention["previous_status"] == "approved"
    amended = await standalone.put(
        f"/intake/v1/applications/{case_id}",
        json={**application(address=address(COUNTY, TOWNSHIP)), "reason": "更正"},
    )
    assert amended.status_code == 409  # the attention does not reopen a decided case

    accepted = await standalone.post(
        f"/referral/v1/scheme-referrals/{referral['id']}/outcome", json={"outcome": "accepted"}
    )
    assert accepted.status_code == 200, accepted.text
    with next_day():
        assert referral["id"] in await overdue_ids(standalone)  # accepted is no final outcome
    assert (await intake_case(standalone, case_id))["status"] == "needs_attention"
    granted = await standalone.post(
        f"/referral/v1/scheme-referrals/{referral['id']}/outcome",
        json={"outcome": "granted", "amount": "6000.00"},
    )
    assert granted.status_code == 200, granted.text
    with next_day():
        assert referral["id"] not in await overdue_ids(standalone)

    async def resolved():
        case = await intake_case(standalone, case_id)
        return case if case["status"] == "approved" else None

    assert (await eventually(resolved, what="the attention resolved"))["attention"] is None

    timeline = (await standalone.get(f"/intake/v1/applications/{case_id}/timeline")).json()
    steps = [(e["kind"], e["status"]) for e in timeline]
    assert steps[0] == ("submitted", "submitted")
    # (the overdue was found on the frozen next day, the outcomes on today's clock: the order is by time)
    assert sorted(s for s in steps if s[0].startswith("scheme")) == [
        ("scheme_outcome", "accepted"),
        ("scheme_outcome", "granted"),
        ("scheme_overdue", "open"),
        ("scheme_referral", "open"),
    ]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    granted_entry = [e for e in timeline if e["status"] == "granted"][0]
    assert (granted_entry["amount"], granted_entry["scheme"], granted_entry["ref"]) == (
        "6000.00",
        "medical_assistance",
        referral["id"],
    )
    referral_timeline = (await standalone.get(f"/referral/v1/cases/{case_id}/timeline")).json()
    assert "scheme_overdue" in [e["kind"] for e in referral_timeline]

    async def notices():
        rows = await db.fetch(
            "SELECT kind, facts FROM household.notices WHERE case_id = $1 AND kind LIKE 'scheme%' "
            "ORDER BY created_at",
            case_id,
        )
        return rows if len(rows) == 3 else None

    rows = await eventually(notices, what="the household's scheme notices")
    facts = [(r["kind"], json.loads(r["facts"]) if isinstance(r["facts"], str) else r["facts"]) for r in rows]
    assert sorted(k for k, _ in facts) == ["scheme_outcome", "scheme_outcome", "scheme_referred"]
    [referred] = [f for k, f in facts if k == "scheme_referred"]
    assert referred["scheme"] == "医疗救助" and referred["need"] == "医疗"
    # (a notice queued while the clock was frozen carries that time: compare without the order)
    assert sorted(f["result"] for k, f in facts if k == "scheme_outcome") == [
        "已受理",
        "已批准，金额6000.00元",
    ]


async def test_a_refusal_reaches_the_timeline_and_the_household_with_its_reason_once_however_delivered(
    standalone, partners, db
):
    scheme = await partners(
        name="盂县教育局 教育救助",
        kind="government_scheme",
        scheme="medical_assistance",
        need_types=["medical"],
        service_areas=[COUNTY],
        uscc="11140322MB0000000K",
    )
    case_id = await medical_case(standalone)
    made = await standalone.post(
        f"/referral/v1/cases/{case_id}/scheme-referrals",
        json={"partner_id": scheme["id"], "need_type": "medical"},
    )
    assert made.status_code == 201, made.text
    refused = await standalone.post(
        f"/referral/v1/scheme-referrals/{made.json()['id']}/outcome",
        json={"outcome": "refused", "reason": "已享受同类医疗救助"},
    )
    assert refused.status_code == 200, refused.text

    async def on_timeline():
        timeline = (await standalone.get(f"/intake/v1/applications/{case_id}/timeline")).json()
        return [e for e in timeline if e["kind"] == "scheme_outcome"] or None

    [entry] = await eventually(on_timeline, what="the refusal on intake's timeline")
    assert (entry["status"], entry["reason"]) == ("refused", "已享受同类医疗救助")

    envelope = await db.fetchval(
        "SELECT envelope FROM referral.outbox WHERE event_type = $1 AND key = $2",
        "gov.assistance.referral.scheme-outcome-recorded.v1",
        case_id,
    )
    value = envelope.encode() if isinstance(envelope, str) else json.dumps(envelope).encode()
    runtime = standalone.app.state.runtimes["referral"]
    record = Record(topic=runtime.topic("referral"), key=case_id, value=value)
    await runtime.bus.publish([record, record])  # delivered twice more
    await asyncio.sleep(1.0)
    kept = await db.fetchval(
        "SELECT count(*) FROM intake.scheme_referral_events "
        "WHERE application_id = $1 AND kind = 'scheme_outcome'",
        case_id,
    )
    assert kept == 1
    told = await db.fetch(
        "SELECT facts FROM household.notices WHERE case_id = $1 AND kind = 'scheme_outcome'", case_id
    )
    assert len(told) == 1
    facts = json.loads(told[0]["facts"]) if isinstance(told[0]["facts"], str) else told[0]["facts"]
    assert facts["result"] == "未予批准，原因：已享受同类医疗救助"
    assert Decimal(made.json()["requested_amount"]) > 0
