"""Issue 18 on the real database, all services in one process: every case's needs reach a partner (R-AID-1,
R-CHA-1), through the best-fitting charity project (需求导向) whose places are held by an offer, taken on
acceptance and freed on decline, closing when full or ended; government schemes take referrals as tasks
with a due date and an outcome on the case's timeline; a hardship outlasting temporary help is on the desk's
list for 低保; a bad 统一社会信用代码, a suspended scheme and a project over capacity are refused naming the
cause, with nothing written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from services.referral.service import exchange
from shared import clock
from tests.factories import (
    address,
    auth,
    emergency_application,
    eventually,
    partner_body,
    pending_case,
    review,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
COUNTY = "140322"
FIRE_NEEDS = [
    {"need_type": "living", "amount": "9000.00"},
    {"need_type": "housing_repair", "amount": "30000.00"},
    {"need_type": "psychological"},
    {"need_type": "legal"},
]
USCC = "91350100M000100Y43"


def key(partner: dict) -> dict:
    return {"Authorization": f"Bearer {partner['api_key']}"}


@pytest.fixture
async def partners(standalone, db):
    """Registers partners (and their projects) on demand; afterwards suspends them, withdraws their projects
    and closes records they left waiting, so no later test's partner is offered them."""
    made: list[dict] = []

    async def register(**overrides):
        r = await standalone.post("/referral/v1/partners", json=partner_body(**overrides))
        assert r.status_code == 201, r.text
        made.append(r.json())
        return r.json()

    yield register
    ids = [p["id"] for p in made]
    await db.execute(
        "UPDATE referral.projects SET status = 'closed', closed_reason = 'withdrawn' "
        "WHERE partner_id = ANY($1::uuid[])",
        ids,
    )
    for partner in made:
        await standalone.patch(f"/referral/v1/partners/{partner['id']}", json={"status": "suspended"})
    await db.execute(
        "UPDATE referral.needs_records SET match_state = 'closed' WHERE county_code = $1 "
        "AND match_state IN ('unmatched', 'offered')",
        COUNTY,
    )


async def project(client, partner: dict, **overrides) -> dict:
    today = clock.local_today()
    body = {
        "name": "安居修缮计划",
        "need_types": ["housing_repair"],
        "areas": [COUNTY],
        "capacity": 5,
        "budget": "100000.00",
        "starts_on": (today - timedelta(days=30)).isoformat(),
        "ends_on": (today + timedelta(days=60)).isoformat(),
    } | overrides
    r = await client.post(f"/referral/v1/partners/{partner['id']}/projects", json=body, headers=key(partner))
    assert r.status_code == 201, r.text
    return r.json()


async def decided(client, township: str, **overrides) -> str:
    body = emergency_application(address=address(COUNTY, township), needs=FIRE_NEEDS) | overrides
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200
    r = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-1"},
    )
    assert r.status_code == 200, r.text
    return case_id


async def offered_task(client, partner: dict) -> dict:
    async def probe():
        r = await client.get(f"/referral/v1/partners/{partner['id']}/referrals", headers=key(partner))
        return [t for t in r.json() if t["status"] == "requested"]

    [task] = await eventually(probe, what="an offer to the partner")
    return task


async def places(client, partner: dict, project_id: str) -> dict:
    r = await client.get(f"/referral/v1/partners/{partner['id']}/projects/{project_id}", headers=key(partner))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_fire_cases_housing_need_goes_to_the_best_fitting_project_not_the_first_partner(
    standalone, partners, db
):
    first = await partners(need_types=["housing_repair"], service_areas=[COUNTY])
    second = await partners(need_types=["housing_repair", "living"], service_areas=[COUNTY])
    await project(standalone, first, name="全县修缮")  # county-wide, published first
    near = await project(standalone, second, name="乡镇修缮", areas=[f"{COUNTY}103"])  # names the township
    case_id = await decided(standalone, f"{COUNTY}103")
    task = await offered_task(standalone, second)  # after the decision reached referral

    needs = (await standalone.get(f"/referral/v1/cases/{case_id}/needs")).json()
    kinds = {n["need_type"]: n["amount"] for n in needs}
    assert kinds["housing_repair"] == "30000.00" and kinds["legal"] is None  # R-AID-1: service need kept
    assert Decimal(kinds["living"]) < Decimal("9000.00")  # the decision covered part of living
    assert task["need_type"] == "housing_repair" and task["remaining_amount"] == "30000.00"
    row = await db.fetchrow("SELECT project_id FROM referral.tasks WHERE id = $1", task["task_id"])
    assert str(row["project_id"]) == near["id"]
    assert (await places(standalone, second, near["id"]))["places_held"] == 1
    records = (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
    # R-CHA-2: the psychological need is health data; without an amount it is no needs record anyway
    assert {r["need_type"] for r in records} == {"living", "housing_repair"}


async def test_capacity_is_taken_on_acceptance_freed_on_decline_and_a_full_project_closes(
    standalone, partners
):
    partner = await partners(need_types=["housing_repair"], service_areas=[COUNTY])
    small = await project(standalone, partner, capacity=1, areas=[f"{COUNTY}104"])
    await decided(standalone, f"{COUNTY}104")
    task = await offered_task(standalone, partner)
    base = f"/referral/v1/partners/{partner['id']}/referrals/{task['task_id']}"

    declined = await standalone.post(base + "/decline", json={"reason": "no team"}, headers=key(partner))
    assert declined.status_code == 200, declined.text
    freed = await places(standalone, partner, small["id"])
    assert (freed["places_held"], freed["places_taken"], freed["status"]) == (0, 0, "open")

    await decided(standalone, f"{COUNTY}104")
    task = await offered_task(standalone, partner)
    accepted = await standalone.post(
        f"/referral/v1/partners/{partner['id']}/referrals/{task['task_id']}/accept", headers=key(partner)
    )
    assert accepted.status_code == 200, accepted.text
    full = await places(standalone, partner, small["id"])
    assert (full["places_held"], full["places_taken"]) == (0, 1)
    assert (full["status"], full["closed_reason"]) == ("closed", "full")
    assert Decimal(full["budget_committed"]) == Decimal("30000.00")


async def test_lowering_a_projects_capacity_below_its_places_is_a_409_and_changes_nothing(
    standalone, partners, db
):
    partner = await partners(need_types=["housing_repair"], service_areas=[COUNTY])
    p = await project(standalone, partner, capacity=3, areas=[f"{COUNTY}101"])
    await decided(standalone, f"{COUNTY}101")
    await offered_task(standalone, partner)  # holds one place
    url = f"/referral/v1/partners/{partner['id']}/projects/{p['id']}"
    r = await standalone.patch(url, json={"capacity": 1, "budget": "90000.00"}, headers=key(partner))
    assert r.status_code == 200, r.text  # one place held fits a capacity of one
    r = await standalone.patch(url, json={"capacity": 1}, headers=key(partner))
    assert r.status_code == 200
    await db.execute("UPDATE referral.projects SET places_taken = 1 WHERE id = $1", p["id"])
    r = await standalone.patch(url, json={"capacity": 1, "budget": "80000.00"}, headers=key(partner))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("project-over-capacity") and p["id"] in r.json()["detail"]
    row = await db.fetchrow("SELECT capacity, budget FROM referral.projects WHERE id = $1", p["id"])
    assert (row["capacity"], row["budget"]) == (1, Decimal("90000.00"))  # nothing half-written


async def test_an_ended_project_closes_and_a_project_outside_its_partners_area_is_refused(
    standalone, partners
):
    partner = await partners(need_types=["housing_repair"], service_areas=[COUNTY])
    today = clock.local_today()
    ended = await project(
        standalone,
        partner,
        starts_on=(today - timedelta(days=40)).isoformat(),
        ends_on=(today - timedelta(days=1)).isoformat(),
    )
    await exchange.sweep_once(standalone.app.state.runtimes["referral"])
    closed = await places(standalone, partner, ended["id"])
    assert (closed["status"], closed["closed_reason"]) == ("closed", "ended")
    r = await standalone.post(
        f"/referral/v1/partners/{partner['id']}/projects",
        json={
            "name": "x",
            "need_types": ["goods"],
            "areas": ["140302"],
            "capacity": 1,
            "budget": "1.00",
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
        },
        headers=key(partner),
    )
    assert r.status_code == 422 and "areas" in r.text


@pytest.mark.parametrize(
    ("uscc", "fault"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M00010", "uscc"),
        ("9135O100M000100Y43", "alphabet"),
    ],
)
async def test_a_bad_uscc_is_a_422_naming_it_and_registers_nothing(standalone, db, uscc, fault):
    before = await db.fetchval("SELECT count(*) FROM referral.partners")
    r = await standalone.post("/referral/v1/partners", json=partner_body(uscc=uscc))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "uscc" in r.text and fault in r.text
    assert await db.fetchval("SELECT count(*) FROM referral.partners") == before


async def test_a_scheme_referral_is_a_task_with_a_due_date_and_its_outcome_is_on_the_timeline(
    standalone, partners
):
    scheme = await partners(
        name="盂县医疗保障局 医疗救助",
        kind="government_scheme",
        scheme="medical_assistance",
        need_types=["medical"],
        service_areas=[COUNTY],
        uscc="11140322MB0000000K",
    )
    case_id = await _medical_case(standalone, f"{COUNTY}102")
    r = await standalone.post(
        f"/referral/v1/cases/{case_id}/scheme-referrals",
        json={"partner_id": scheme["id"], "need_type": "medical"},
    )
    assert r.status_code == 201, r.text
    referral = r.json()
    assert referral["status"] == "open" and referral["scheme"] == "medical_assistance"
    due = clock.local_today() + timedelta(days=15)  # the county default (seed/referral_policy.json)
    assert referral["due_on"] == due.isoformat() and Decimal(referral["requested_amount"]) > 0
    again = await standalone.post(
        f"/referral/v1/cases/{case_id}/scheme-referrals",
        json={"partner_id": scheme["id"], "need_type": "medical"},
    )
    assert again.status_code == 409

    tasks = (
        await standalone.get(f"/referral/v1/partners/{scheme['id']}/scheme-referrals", headers=key(scheme))
    ).json()
    assert [t["id"] for t in tasks] == [referral["id"]]
    out = f"/referral/v1/partners/{scheme['id']}/scheme-referrals/{referral['id']}/outcome"
    no_amount = await standalone.post(out, json={"outcome": "granted"}, headers=key(scheme))
    assert no_amount.status_code == 422 and "amount" in no_amount.text
    granted = await standalone.post(
        out, json={"outcome": "granted", "amount": "6000.00"}, headers=key(scheme)
    )
    assert granted.status_code == 200, granted.text
    after = await standalone.post(out, json={"outcome": "refused", "reason": "late"}, headers=key(scheme))
    assert after.status_code == 409

    timeline = (await standalone.get(f"/referral/v1/cases/{case_id}/timeline")).json()
    steps = [(e["kind"], e["status"]) for e in timeline if e["kind"].startswith("scheme")]
    assert steps == [("scheme_referral", "open"), ("scheme_outcome", "granted")]
    assert [e["amount"] for e in timeline if e["kind"] == "scheme_outcome"] == ["6000.00"]


async def _medical_case(client, township: str, **overrides) -> str:
    from tests.factories import application

    body = application(address=address(COUNTY, township), **overrides)
    body["medical"] = {**body["medical"], "total_bills": "300000.00"}
    case_id, _ = await pending_case(client, body)
    assert (await review(client, case_id)).status_code == 200
    r = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-2"},
    )
    assert r.status_code == 200, r.text

    async def decided_here():
        needs = (await client.get(f"/referral/v1/cases/{case_id}/needs")).json()
        return needs if isinstance(needs, list) and needs else None

    await eventually(decided_here, what="referral to know the decided case")
    return case_id


async def test_a_referral_to_a_suspended_scheme_is_a_409_naming_it_and_writes_nothing(
    standalone, partners, db
):
    scheme = await partners(
        kind="government_scheme",
        scheme="medical_assistance",
        need_types=["medical"],
        service_areas=[COUNTY],
    )
    charity = await partners(need_types=["medical"], service_areas=["140302005"])
    case_id = await _medical_case(standalone, f"{COUNTY}100")
    await standalone.patch(f"/referral/v1/partners/{scheme['id']}", json={"status": "suspended"})
    before = await db.fetchval("SELECT count(*) FROM referral.scheme_referrals")
    outbox = await db.fetchval("SELECT count(*) FROM referral.outbox")
    r = await standalone.post(
        f"/referral/v1/cases/{case_id}/scheme-referrals",
        json={"partner_id": scheme["id"], "need_type": "medical"},
    )
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("scheme-suspended") and "partner_id" in r.text
    not_scheme = await standalone.post(
        f"/referral/v1/cases/{case_id}/scheme-referrals",
        json={"partner_id": charity["id"], "need_type": "medical"},
    )
    assert not_scheme.status_code == 409 and "not a government scheme" in not_scheme.text
    assert await db.fetchval("SELECT count(*) FROM referral.scheme_referrals") == before
    assert await db.fetchval("SELECT count(*) FROM referral.outbox") == outbox


async def test_a_hardship_outlasting_temporary_help_is_on_the_desks_list_for_dibao(standalone, partners, db):
    big_living = [{"need_type": "living", "amount": "20000.00"}]
    small_living = [{"need_type": "living", "amount": "100.00"}]
    lasting = await decided(standalone, f"{COUNTY}200", needs=big_living)
    passing = await decided(standalone, f"{COUNTY}200", needs=small_living)

    async def listed():
        r = await standalone.get("/referral/v1/desk/suggestions", params={"county_code": COUNTY})
        ids = {s["case_id"]: s for s in r.json()}
        return ids if lasting in ids else None

    suggestions = await eventually(listed, what="the 低保 suggestion")
    assert suggestions[lasting]["scheme"] == "dibao_tekun"
    assert suggestions[lasting]["reason"].startswith("living_remaining_at_least_3000")
    assert passing not in suggestions
    months = await db.fetchval("SELECT months FROM referral.cases WHERE case_id = $1", passing)
    assert months is not None and months < 6  # the assessed months arrive too (the other county rule)
    township = auth("clerk-103", "intake_clerk", county=COUNTY, township=f"{COUNTY}103")
    theirs = await standalone.get("/referral/v1/desk/suggestions", headers=township)
    assert lasting not in {s["case_id"] for s in theirs.json()}  # scoped to the caller's township


async def test_a_money_need_without_its_amount_is_a_422_naming_needs(standalone, db):
    before = await db.fetchval("SELECT count(*) FROM intake.applications")
    body = emergency_application(
        address=address(COUNTY, f"{COUNTY}101"), needs=[{"need_type": "housing_repair"}]
    )
    r = await standalone.post("/intake/v1/applications", json=body)
    assert r.status_code == 422 and "needs" in r.text
    assert await db.fetchval("SELECT count(*) FROM intake.applications") == before


async def test_needs_are_amended_with_the_application_and_the_decision_uses_the_newest(standalone, partners):
    from tests.factories import same_household

    body = emergency_application(
        address=address(COUNTY, f"{COUNTY}102"), needs=[{"need_type": "living", "amount": "100.00"}]
    )
    case_id, _ = await pending_case(standalone, body)
    amended = {
        **same_household(body, needs=[*FIRE_NEEDS[1:], {"need_type": "goods", "amount": "1500.00"}]),
        "reason": "house inspected: repair needed",
    }
    r = await standalone.put(f"/intake/v1/applications/{case_id}", json=amended)
    assert r.status_code == 200, r.text
    assert [n["need_type"] for n in r.json()["needs"]] == [
        "housing_repair",
        "psychological",
        "legal",
        "goods",
    ]

    async def approval_holds_revision_2():
        got = await standalone.get(f"/approval/v1/cases/{case_id}")
        return got.status_code == 200 and got.json()["revision"] == 2

    await eventually(approval_holds_revision_2, what="the amended revision in approval")
    assert (await review(standalone, case_id)).status_code == 200
    decided_r = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "R-CAT-1"},
    )
    assert decided_r.status_code == 200, decided_r.text

    async def records():
        rows = (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
        return rows or None

    shared = {r["need_type"]: r["remaining_amount"] for r in await eventually(records, what="needs records")}
    granted = Decimal((await standalone.get(f"/approval/v1/cases/{case_id}")).json()["assessed_amount"])
    assert Decimal("1500.00") < granted < Decimal("31500.00")
    assert set(shared) == {"housing_repair"}  # the newest needs count: no living; goods covered first
    assert Decimal(shared["housing_repair"]) == Decimal("31500.00") - granted


async def test_accepting_into_a_project_with_no_place_left_is_a_409_and_the_offer_stays_open(
    standalone, partners, db
):
    partner = await partners(need_types=["housing_repair"], service_areas=[COUNTY])
    p = await project(standalone, partner, capacity=2, areas=[f"{COUNTY}100"])
    await decided(standalone, f"{COUNTY}100")
    task = await offered_task(standalone, partner)
    # every place taken meanwhile (e.g. by another replica's acceptances)
    await db.execute("UPDATE referral.projects SET places_taken = 2 WHERE id = $1", p["id"])
    url = f"/referral/v1/partners/{partner['id']}/referrals/{task['task_id']}/accept"
    r = await standalone.post(url, headers=key(partner))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("project-over-capacity") and p["id"] in r.json()["detail"]
    status = await db.fetchval("SELECT status FROM referral.tasks WHERE id = $1", task["task_id"])
    assert status == "requested"  # nothing half-written
    row = await db.fetchrow("SELECT places_held, places_taken FROM referral.projects WHERE id = $1", p["id"])
    assert (row["places_held"], row["places_taken"]) == (1, 2)
