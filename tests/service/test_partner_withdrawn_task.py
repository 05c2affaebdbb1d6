"""A partner's withdrawn task: after the household withdraws consent (R-CHA-2) the task stays readable by its
partner with its final status (cancelled, consent_withdrawn), as docs/partners.md says, and with none of the
needs record (no need type, amount, household size, place or case reference)."""

import pytest

from tests.factories import eventually
from tests.service.test_referral_exchange import auth, decided_case, offers_to, record_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_withdrawn_task_stays_readable_with_its_final_status_and_no_personal_data(
    standalone, partners
):
    partner = await partners()
    case_id = await decided_case(standalone)
    ref = (await record_of(standalone, case_id))["case_ref"]
    [offer] = await offers_to(standalone, partner, ref)
    task = f"/referral/v1/partners/{partner['id']}/referrals/{offer['task_id']}"
    before = (await standalone.get(task, headers=auth(partner))).json()
    assert before["status"] == "requested" and before["need_type"] == "medical"

    withdrawn = await standalone.post(
        f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal"
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def cancelled():
        r = await standalone.get(task, headers=auth(partner))
        return r.json() if r.status_code == 200 and r.json()["status"] == "cancelled" else None

    after = await eventually(cancelled, what="the task to be cancelled")
    assert after["task_id"] == offer["task_id"] and after["referral_id"] == offer["referral_id"]
    assert after["status_reason"] == "consent_withdrawn" and after["record_withdrawn"] is True
    for hidden in (
        "case_ref",
        "need_type",
        "remaining_amount",
        "household_size",
        "county_code",
        "township_code",
        "contact_route",
    ):
        assert after[hidden] is None, hidden
    assert ref not in str(after)
    assert (await standalone.post(task + "/accept", headers=auth(partner))).status_code == 404
    listed = await offers_to(standalone, partner)
    assert offer["task_id"] not in {t["task_id"] for t in listed}  # the open list no longer shows it


async def test_another_partners_withdrawn_task_is_still_404(standalone, partners):
    first, second = await partners(), await partners()
    case_id = await decided_case(standalone)
    ref = (await record_of(standalone, case_id))["case_ref"]
    offered = {p["id"]: await offers_to(standalone, p, ref) for p in (first, second)}
    owner, other = (first, second) if offered[first["id"]] else (second, first)
    [offer] = offered[owner["id"]]
    await standalone.post(f"/intake/v1/applications/{case_id}/consents/share_with_charities/withdrawal")
    task = f"/referral/v1/partners/{other['id']}/referrals/{offer['task_id']}"
    assert (await standalone.get(task, headers=auth(other))).status_code == 404
