"""End to end, six processes over Kafka (issue 17 §4, Proof; R-RIGHTS-1): a person's export holds their
records from every service — intake asks the other five over real HTTP (INTAKE_PEER_URLS), with the data-
protection officer's own token — and no other household's."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import approved_over_http
from tests.factories import address, application, auth, eventually, partner_body, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

COUNTY, TOWNSHIP = "140322", "140322104"  # 盂县, a township no other e2e test places cases in
DPO = auth("dpo-e2e", "data_protection_officer")
SERVICES = ["intake", "assessment", "approval", "disbursement", "referral", "household"]


async def test_a_persons_export_holds_their_records_from_all_six_processes(cluster):
    urls = cluster.urls
    async with staff_client(timeout=20) as client:
        partner = await client.post(
            urls["referral"] + "/referral/v1/partners", json=partner_body(service_areas=[TOWNSHIP])
        )
        assert partner.status_code == 201, partner.text
        mine, other = (
            application(address=address(COUNTY, TOWNSHIP)),
            application(address=address(COUNTY, TOWNSHIP)),
        )
        cases = []
        for body in (mine, other):
            cases.append(await approved_over_http(client, urls, body, reasons="ok"))

        async def everywhere():
            for case_id in cases:
                paid = (
                    await client.get(f"{urls['disbursement']}/disbursement/v1/cases/{case_id}/payments")
                ).json()
                offers = (
                    await client.get(f"{urls['referral']}/referral/v1/cases/{case_id}/referrals")
                ).json()
                notices = (
                    await client.get(f"{urls['household']}/household/v1/cases/{case_id}/notices")
                ).json()
                if not (paid and offers and notices):
                    return False
            return True

        await eventually(everywhere, timeout=90, what="payments, referral offers and notices")
        offered_to = {
            o["partner_id"]
            for o in (await client.get(f"{urls['referral']}/referral/v1/cases/{cases[0]}/referrals")).json()
        }
        exported = await client.post(
            urls["intake"] + "/intake/v1/person-data/export",
            json={"id_number": mine["household"][0]["id_number"]},
            headers=DPO,
        )
    assert exported.status_code == 200, exported.text
    export = exported.json()
    assert [s["service"] for s in export["sections"]] == SERVICES and export["case_ids"] == [cases[0]]
    for section in export["sections"]:
        held = {r["case_id"] for rows in section["records"].values() for r in rows}
        assert held == {cases[0]}, f"{section['service']}: {held}"
    assert {r["partner_id"] for r in export["recipients"]} == offered_to
    text = json.dumps(export, ensure_ascii=False)
    assert cases[1] not in text and other["household"][0]["id_number"] not in text
    assert mine["payee"]["account"] not in text
