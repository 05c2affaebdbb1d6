"""Intake's part of a person's export (PIPL art. 45, R-RIGHTS-1): the person's cases (applicant or member,
found by the blind index of their ID number), each as stated with the person's own data in clear — other
members' ID numbers and the bank account masked — and the leads and correction requests about them."""

from __future__ import annotations

import json
from typing import Any

from services.intake import repository as repo
from services.intake.domain.model import Application, Lead
from services.intake.repository import correction_queries as cq
from services.intake.repository import lead_queries as lq
from services.intake.service import PERSONAL, corrections
from services.intake.service.leads import to_out as lead_out
from shared import clock, idnumber
from shared.access import caller, covers, note_place
from shared.runtime import Runtime

MOST_CASES = 500


def _covered(county_code: str, township_code: str) -> bool:
    principal = caller()
    if principal is not None and not covers(principal, county_code, township_code):
        return False
    note_place(county_code, township_code)
    return True


async def applications_of(runtime: Runtime, id_number: str) -> list[Application]:
    """The person's cases in the caller's jurisdiction, newest first (any status, merged ones included)."""
    bidx = runtime.cipher.blind_index(id_number, purpose="id_number")
    async with runtime.reading() as session:
        rows = await repo.applications_of_person(session, bidx, MOST_CASES)
    return [r for r in rows if _covered(r.county_code, r.township_code)]


def stated(runtime: Runtime, row: Application, id_number: str) -> dict[str, Any]:
    """What the case's current revision states about its people, in clear for the person: names, phone,
    address and the incident; another member's ID number masked; the payee's account masked."""
    personal = json.loads(runtime.cipher.decrypt(row.personal, context=PERSONAL))
    payee = personal.get("payee")
    return {
        "case_id": row.id,
        "case_no": row.case_no,
        "revision": row.revision,
        "household": [
            {
                "name": p["name"],
                "relation": f["relation"],
                "id_number": p["id_number"] if p["id_number"] == id_number else idnumber.mask(p["id_number"]),
                "is_subject": p["id_number"] == id_number,
            }
            for p, f in zip(personal["household"], row.facts["household"], strict=True)
        ],
        "phone": personal.get("phone"),
        "address": personal.get("address"),
        "incident": personal.get("incident"),
        "payee": {**payee, "account": idnumber.mask_account(payee["account"])} if payee else None,
        "consents": row.consents,
    }


async def leads_and_corrections(
    runtime: Runtime, id_number: str, application_ids: list[str]
) -> tuple[list[Lead], list[dict[str, Any]]]:
    """The leads about the person (in the caller's jurisdiction) and the corrections of their cases, each
    correction with its value in clear (the person's own data)."""
    bidx = runtime.cipher.blind_index(id_number, purpose="id_number")
    async with runtime.reading() as session:
        leads = [
            x for x in await lq.leads_of_person(session, bidx) if _covered(x.county_code, x.township_code)
        ]
        fixes = await cq.of_applications(session, application_ids) if application_ids else []
    records = []
    for fix in fixes:
        record = corrections.to_out(runtime, fix).model_dump(mode="json")
        record["value"] = runtime.cipher.decrypt(fix.value_sealed, context=corrections.CORRECTION_VALUE)
        records.append({**record, "case_id": fix.application_id})
    return leads, records


def lead_records(runtime: Runtime, leads: list[Lead]) -> list[dict[str, Any]]:
    now = clock.now()
    return [lead_out(runtime, x, now).model_dump(mode="json") for x in leads]
