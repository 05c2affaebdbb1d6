"""Personal data never appears in plain text (issue 6): not in any column of any of the five schemas
(outboxes and partner events included), not in the logs — after a case has gone all the way through."""

from __future__ import annotations

import logging

from tests.factories import application, eventually, pending_case, resident_id, review, unique_birth


async def _all_rows_as_text(db) -> dict[str, str]:
    tables = await db.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema IN ('intake', 'assessment', 'approval', 'disbursement', 'referral')"
    )
    assert len(tables) >= 20
    dumped = {}
    for t in tables:
        rows = await db.fetch(f'SELECT t::text AS row FROM "{t["table_schema"]}"."{t["table_name"]}" t')  # noqa: S608 - names from the catalogue
        dumped[f"{t['table_schema']}.{t['table_name']}"] = "\n".join(r["row"] for r in rows)
    return dumped


async def test_no_id_number_account_phone_or_name_in_plain_text_anywhere(standalone, db, caplog):
    birth = unique_birth()
    secrets = {
        "id": resident_id(birth=birth),
        "id2": resident_id(birth=birth),
        "account": "6217000099887766554",
        "phone": "13912345678",
        "name": "欧阳明远",
        "payee_name": "欧阳明远",
    }
    body = application(
        household=[
            {"name": secrets["name"], "id_number": secrets["id"], "relation": "self"},
            {"name": "欧阳晓", "id_number": secrets["id2"], "relation": "child"},
        ],
        phone=secrets["phone"],
        payee={"name": secrets["payee_name"], "bank": "中国银行", "account": secrets["account"]},
    )
    caplog.set_level(logging.DEBUG)
    case_id, _ = await pending_case(standalone, body)
    assert (await review(standalone, case_id)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "confirm_extended_duration": True, "reasons": "meets R-CAT-2"},
    )
    assert decided.status_code == 200, decided.text

    async def paid_and_referred():
        payments = (await standalone.get(f"/disbursement/v1/cases/{case_id}/payments")).json()
        records = (await standalone.get(f"/referral/v1/cases/{case_id}/needs-records")).json()
        return payments and records

    await eventually(paid_and_referred, what="the payment instruction and the needs record")
    # The case really is in the schemas (referral knows it by a pseudonym), so the scan looks at real rows.
    dumped = await _all_rows_as_text(db)
    for table in (
        "intake.applications",
        "assessment.assessments",
        "approval.cases",
        "disbursement.payment_instructions",
    ):
        assert case_id in dumped[table], table

    found = [
        (what, table) for table, text in dumped.items() for what, value in secrets.items() if value in text
    ]
    assert found == []
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert case_id in logged
    for what, value in secrets.items():
        assert value not in logged, f"{what} in the logs"
