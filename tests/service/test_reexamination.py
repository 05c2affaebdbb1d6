"""Re-examination (复核) and complaints (issue 17 §3), on the real app and database over the in-process bus:
the applicant's request within the county's window (R-REX-1), decided by an officer who took no part in
the decision, at the same level or higher (R-REX-2); a changed amount pays exactly the difference, a
lowered one claws nothing back (R-REX-3); complaints are tickets with deadlines, listed when overdue
(R-REX-4); the oversight figures count them (R-REX-5)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from shared import clock
from tests.factories import address, application, auth, eventually, gov_system, pending_case, review
from tests.service.test_household_notices import _pdftoppm

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP = "140322", "140322101"  # 盂县, one of its townships
OTHER_COUNTY = "140303"
REDECIDED = "gov.assistance.approval.case-redecided.v1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "household"
CLERK = auth("rex-clerk", "intake_clerk", township=TOWNSHIP)
COUNTY_HEAD = auth("rex-county-head", "county_approver", county=COUNTY)
TOWNSHIP_HEAD = auth("rex-township-head", "township_approver", township=TOWNSHIP)


async def _decided(client, decision: str = "approved", amount: str | None = None, headers=None) -> str:
    case_id, _ = await pending_case(client, application(address=address(COUNTY, TOWNSHIP)))
    opinion = {"opinion": decision} if decision == "rejected" else {}
    assert (await review(client, case_id, **opinion)).status_code == 200
    body = {"decision": decision, "reasons": "R-CAT-3 means test", "confirm_extended_duration": True}
    if amount is not None:
        body["amount"] = amount
    decided = await client.post(f"/approval/v1/cases/{case_id}/decision", json=body, headers=headers)
    assert decided.status_code == 200, decided.text
    return case_id


async def _ask(client, case_id: str, ground: str, headers=None):
    return await client.post(
        f"/approval/v1/cases/{case_id}/reexaminations",
        json={"ground": ground, "grounds": "家中收入已下降，请求复核"},
        headers=headers or CLERK,
    )


async def _decide(client, case_id: str, headers=None, **body):
    return await client.post(
        f"/approval/v1/cases/{case_id}/reexaminations/decision",
        json={"outcome": "changed", "reasons": "复核认定：入户调查有误 (R-REX-2)", **body},
        headers=headers or COUNTY_HEAD,
    )


async def _payments(client, case_id: str):
    return (await client.get(f"/disbursement/v1/cases/{case_id}/payments")).json()


async def _redecided_events(db, case_id: str) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM approval.outbox WHERE key = $1 AND event_type = $2", case_id, REDECIDED
    )


async def test_a_refusal_changed_on_reexamination_is_paid_once_in_full(standalone, db):
    case_id = await _decided(standalone, "rejected")
    asked = await _ask(standalone, case_id, "refusal", headers=gov_system("12345-hotline"))
    assert asked.status_code == 201, asked.text
    assert (asked.json()["channel"], asked.json()["requested_by"]) == ("gov_system", "12345-hotline")
    assert asked.json()["notice_on"] == clock.local_today().isoformat()
    changed = await _decide(standalone, case_id)
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assessed = (await standalone.get(f"/approval/v1/cases/{case_id}")).json()
    assert assessed["status"] == "approved"
    assert (out["decision_before"], out["decision_after"]) == ("rejected", "approved")
    assert out["amount_after"] == assessed["assessed_amount"] == out["difference"]
    paid = await eventually(lambda: _payments(standalone, case_id), what="the payment of the re-decision")
    assert [(p["kind"], p["amount"], p["stage"]) for p in paid] == [
        ("reexamination", assessed["assessed_amount"], 101)
    ]
    assert paid[0]["reference"] == f"TA-{case_id.replace('-', '')[:24]}-R01"

    async def told():
        notices = (await standalone.get(f"/household/v1/cases/{case_id}/notices")).json()
        return [n for n in notices if n["kind"] == "reexamined"] or None

    assert len(await eventually(told, what="the household's notice of the outcome")) == 1


async def test_a_raised_amount_pays_exactly_the_difference_never_a_second_full_payment(standalone, db):
    case_id = await _decided(standalone, "approved", amount="300.00")
    first = await eventually(lambda: _payments(standalone, case_id), what="the first payment")
    assert [p["amount"] for p in first] == ["300.00"]
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    changed = await _decide(standalone, case_id, amount="500.00")
    assert changed.status_code == 200, changed.text
    assert (changed.json()["difference"], changed.json()["not_recovered"]) == ("200.00", "0.00")

    async def two():
        rows = await _payments(standalone, case_id)
        return rows if len(rows) == 2 else None

    rows = sorted(await eventually(two, what="the difference payment"), key=lambda p: p["stage"])
    assert [(p["stage"], p["kind"], p["amount"]) for p in rows] == [
        (1, "stage", "300.00"),
        (101, "reexamination", "200.00"),
    ]
    assert sum(Decimal(p["amount"]) for p in rows) == Decimal("500.00")
    assert len({p["reference"] for p in rows}) == 2
    # a second re-examination raises again: only the new difference, under its own reference
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    again = await _decide(standalone, case_id, amount="650.00", headers=auth("rex-other", "county_approver"))
    assert again.status_code == 200, again.text
    assert (again.json()["seq"], again.json()["amount_before"], again.json()["difference"]) == (
        2,
        "500.00",
        "150.00",
    )

    async def three():
        found = await _payments(standalone, case_id)
        return found if len(found) == 3 else None

    rows = await eventually(three, what="the second difference")
    assert sum(Decimal(p["amount"]) for p in rows) == Decimal("650.00")
    assert any(p["reference"].endswith("-R02") and p["amount"] == "150.00" for p in rows)


async def test_a_lowered_amount_is_recorded_and_nothing_is_clawed_back(standalone, db):
    case_id = await _decided(standalone, "approved", amount="500.00")
    await eventually(lambda: _payments(standalone, case_id), what="the first payment")
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    lowered = await _decide(standalone, case_id, amount="300.00")
    assert lowered.status_code == 200, lowered.text
    assert (lowered.json()["difference"], lowered.json()["not_recovered"]) == ("-200.00", "200.00")

    async def recorded():
        return await db.fetchrow("SELECT * FROM disbursement.redecisions WHERE case_id = $1", case_id)

    row = await eventually(recorded, what="disbursement's record of the reduction")
    assert (row["not_recovered"], row["instruction_id"]) == (Decimal("200.00"), None)
    assert [(p["kind"], p["amount"]) for p in await _payments(standalone, case_id)] == [("stage", "500.00")]


async def test_an_upheld_decision_pays_nothing_and_changes_nothing(standalone, db):
    case_id = await _decided(standalone, "rejected")
    assert (await _ask(standalone, case_id, "refusal")).status_code == 201
    upheld = await _decide(standalone, case_id, outcome="upheld")
    assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["status"], upheld.json()["difference"]) == ("upheld", "0.00")
    assert (await standalone.get(f"/approval/v1/cases/{case_id}")).json()["status"] == "rejected"
    assert await _redecided_events(db, case_id) == 1
    assert await _payments(standalone, case_id) == []


async def test_an_unknown_case_is_404(standalone):
    unknown = str(uuid.uuid4())
    asked = await _ask(standalone, unknown, "refusal")
    assert asked.status_code == 404 and asked.headers["content-type"] == "application/problem+json"
    assert (await _decide(standalone, unknown)).status_code == 404
    assert (
        await _ask(
            standalone,
            await _decided(standalone, "rejected"),
            "refusal",
            headers=auth("far-clerk", "intake_clerk", county=OTHER_COUNTY),
        )
    ).status_code == 404  # out of jurisdiction: as if it did not exist


async def test_the_window_closes_after_the_countys_days_from_the_decision_notice(standalone, db):
    case_id = await _decided(standalone, "rejected")
    policy = (await standalone.get(f"/approval/v1/counties/{COUNTY}/reexamination-policy")).json()
    days = policy["in_force"]["request_window_days"]
    with clock.frozen(clock.now() + timedelta(days=days + 1)):
        late = await _ask(standalone, case_id, "refusal")
    assert late.status_code == 409, late.text
    assert late.json()["type"].endswith("/reexamination-window-closed") and late.json()["rule"] == "R-REX-1"
    assert await db.fetchval("SELECT count(*) FROM approval.reexaminations WHERE case_id = $1", case_id) == 0
    with clock.frozen(clock.now() + timedelta(days=days)):
        last_day = await _ask(standalone, case_id, "refusal")
    assert last_day.status_code == 201, last_day.text
    assert last_day.json()["window_closes_on"] == (clock.local_today() + timedelta(days=days)).isoformat()


async def test_a_countys_changed_window_changes_both_the_letter_and_the_enforcement(standalone):
    """R-REX-1: one figure. The county's window in force at the decision is fixed with it: the refusal
    letter states it (carried in CaseDecided) and a request is checked against it; a case decided before
    the change keeps the window its letter stated."""
    before = await _decided(standalone, "rejected")
    admin = auth("rex-admin", "policy_admin", county=COUNTY)
    township_admin = auth("rex-t-admin", "policy_admin", township=TOWNSHIP)
    body = {
        "effective_from": clock.local_today().isoformat(),
        "request_window_days": 5,
        "decision_days": 10,
        "complaint_days": 7,
    }
    path = f"/approval/v1/counties/{COUNTY}/reexamination-policy"
    assert (await standalone.post(path, json=body, headers=township_admin)).status_code == 403
    try:
        assert (await standalone.post(path, json=body, headers=admin)).status_code == 201
        case_id = await _decided(standalone, "rejected")
    finally:
        restore = {**body, "request_window_days": 60, "decision_days": 30, "complaint_days": 15}
        assert (await standalone.post(path, json=restore, headers=admin)).status_code == 201
    closes = clock.local_today() + timedelta(days=5)
    text = await _letter_text(standalone, case_id, "refused")
    assert f"自决定之日起5日内（至{closes.year}年{closes.month}月{closes.day}日止）" in text
    assert "60日" not in text
    with clock.frozen(clock.now() + timedelta(days=6)):
        late = await _ask(standalone, case_id, "refusal")
        kept = await _ask(standalone, before, "refusal")  # decided under 60 days: still in time
    assert late.status_code == 409 and late.json()["window_days"] == 5, late.text
    assert late.json()["type"].endswith("/reexamination-window-closed")
    assert kept.status_code == 201, kept.text
    assert "自决定之日起60日内" in await _letter_text(standalone, before, "refused")
    with clock.frozen(clock.now() + timedelta(days=5)):
        last_day = await _ask(standalone, case_id, "refusal")
    assert last_day.status_code == 201 and last_day.json()["window_closes_on"] == closes.isoformat()


async def _notice(client, case_id: str, kind: str) -> dict:
    async def found():
        notices = (await client.get(f"/household/v1/cases/{case_id}/notices")).json()
        return next((n for n in notices if n["kind"] == kind), None)

    return await eventually(found, what=f"the household's {kind} notice")


async def _letter(client, case_id: str, kind: str) -> bytes:
    notice = await _notice(client, case_id, kind)
    assert notice["has_letter"], notice
    letter = await client.get(f"/household/v1/notices/{notice['id']}/letter")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf", letter.text
    return letter.content


async def _letter_text(client, case_id: str, kind: str) -> str:
    return _text(await _letter(client, case_id, kind))


def _text(content: bytes) -> str:
    """The letter's text, its line wraps undone (a figure may be wrapped mid-number)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return "".join(page.extract_text() for page in pages).replace("\n", "")


async def test_a_changed_amount_prints_a_reexamination_letter_with_reasons_and_the_difference(standalone):
    """Issue 17 §3: the 复核决定书 states the outcome, the reasons, the new amount and exactly the
    difference to be paid (R-REX-2, R-REX-3); its first page is saved as a PNG."""
    case_id = await _decided(standalone, "approved", amount="300.00")
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    changed = await _decide(standalone, case_id, amount="520.00", reasons="复核认定：家庭人口漏计一人")
    assert changed.status_code == 200, changed.text
    content = await _letter(standalone, case_id, "reexamined")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "reexamination-letter.pdf"
    pdf.write_bytes(content)  # noqa: ASYNC240 - a small artifact
    text = _text(content)
    assert "临时救助复核决定书" in text and "决定变更原决定" in text
    assert "复核理由：复核认定：家庭人口漏计一人。" in text
    assert "原决定：给予临时救助，救助金额300.00元。" in text
    assert "复核决定：给予临时救助，救助金额520.00元。" in text
    assert "应补发差额220.00元（复核后520.00元－原决定300.00元，R-REX-3）" in text
    png = ARTIFACTS / "reexamination-letter"
    pdftoppm = await asyncio.to_thread(_pdftoppm)
    await asyncio.to_thread(
        subprocess.run,
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)],
        check=True,
    )
    assert (ARTIFACTS / "reexamination-letter.png").stat().st_size > 10_000  # noqa: ASYNC240


async def test_an_upheld_refusal_prints_a_letter_that_keeps_the_decision(standalone):
    case_id = await _decided(standalone, "rejected")
    assert (await _ask(standalone, case_id, "refusal")).status_code == 201
    upheld = await _decide(standalone, case_id, outcome="upheld", reasons="复核认定：收入核对无误")
    assert upheld.status_code == 200, upheld.text
    text = await _letter_text(standalone, case_id, "reexamined")
    assert "决定维持原决定" in text and "原决定：不予救助。" in text
    assert "复核决定：维持原决定。原决定继续有效。" in text and "复核理由：复核认定：收入核对无误。" in text
    assert "差额" not in text


async def test_the_first_decisions_officer_or_reviewer_cannot_decide_the_reexamination(standalone, db):
    case_id = await _decided(standalone, "rejected")
    assert (await _ask(standalone, case_id, "refusal")).status_code == 201
    for who in (auth("test-officer", "county_approver"), auth("test-reviewer", "county_approver")):
        refused = await _decide(standalone, case_id, headers=who)
        assert refused.status_code == 409, refused.text
        assert (
            refused.json()["type"].endswith("/separation-of-duties") and refused.json()["rule"] == "R-REX-2"
        )
    assert await _redecided_events(db, case_id) == 0
    rows = await db.fetch(
        "SELECT status, decided_by FROM approval.reexaminations WHERE case_id = $1", case_id
    )
    assert [(r["status"], r["decided_by"]) for r in rows] == [("open", None)]
    assert (await standalone.get(f"/approval/v1/cases/{case_id}")).json()["status"] == "rejected"


async def test_a_second_open_reexamination_on_the_same_case_is_refused(standalone, db):
    case_id = await _decided(standalone, "rejected")
    assert (await _ask(standalone, case_id, "refusal")).status_code == 201
    second = await _ask(standalone, case_id, "refusal", headers=gov_system("12345-hotline"))
    assert second.status_code == 409 and second.json()["type"].endswith("/reexamination-already-open")
    assert await db.fetchval("SELECT count(*) FROM approval.reexaminations WHERE case_id = $1", case_id) == 1


async def test_a_township_officer_cannot_reexamine_a_county_decision(standalone):
    case_id = await _decided(standalone, "rejected")  # decided by the test officer at the county level
    assert (await _ask(standalone, case_id, "refusal")).status_code == 201
    low = await _decide(standalone, case_id, headers=TOWNSHIP_HEAD)
    assert low.status_code == 409 and low.json()["type"].endswith("/reexamination-level-too-low")


async def test_a_township_decision_is_reexamined_by_another_township_officer(standalone):
    first = auth("rex-township-first", "township_approver", township=TOWNSHIP)
    case_id = await _decided(standalone, "approved", amount="300.00", headers=first)
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    same = await _decide(standalone, case_id, headers=first, amount="400.00")
    assert same.status_code == 409 and same.json()["type"].endswith("/separation-of-duties")
    other = await _decide(standalone, case_id, headers=TOWNSHIP_HEAD, amount="400.00")
    assert other.status_code == 200, other.text
    assert other.json()["level"] == "township"


async def test_the_ground_must_fit_the_decision_and_an_undecided_case_has_nothing_to_reexamine(standalone):
    approved = await _decided(standalone, "approved")
    wrong = await _ask(standalone, approved, "refusal")
    assert wrong.status_code == 409 and wrong.json()["type"].endswith("/ground-does-not-fit")
    pending, _ = await pending_case(standalone, application(address=address(COUNTY, TOWNSHIP)))
    early = await _ask(standalone, pending, "refusal")
    assert early.status_code == 409 and early.json()["type"].endswith("/case-not-decided")
    none_open = await _decide(standalone, approved, amount="10.00")
    assert none_open.status_code == 404


async def test_a_changed_amount_stays_within_the_assessed_amount(standalone, db):
    case_id = await _decided(standalone, "approved", amount="300.00")
    assessed = Decimal((await standalone.get(f"/approval/v1/cases/{case_id}")).json()["assessed_amount"])
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    above = await _decide(standalone, case_id, amount=str(assessed + 1))
    assert above.status_code == 409 and above.json()["rule"] == "R-AMT-4"
    same = await _decide(standalone, case_id, amount="300.00")
    assert same.status_code == 409 and same.json()["type"].endswith("/change-without-effect")
    assert await _redecided_events(db, case_id) == 0


async def test_an_overdue_complaint_appears_on_the_countys_list(standalone, db):
    case_id = await _decided(standalone, "approved")
    filed = await standalone.post(
        f"/approval/v1/cases/{case_id}/complaints",
        json={"topic": "delay", "summary": "两周未收到救助金"},
        headers=CLERK,
    )
    assert filed.status_code == 201, filed.text
    complaint = filed.json()
    assert (complaint["status"], complaint["channel"], complaint["filed_by"]) == (
        "open",
        "township",
        "rex-clerk",
    )
    base = f"/approval/v1/complaints/{complaint['id']}"
    early_close = await standalone.post(f"{base}/closure", json={}, headers=COUNTY_HEAD)
    assert early_close.status_code == 409 and early_close.json()["type"].endswith("/complaint-state")
    assigned = await standalone.post(f"{base}/assignment", json={"assignee": "王科长"}, headers=COUNTY_HEAD)
    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == "王科长"
    overdue_path = "/approval/v1/complaints/overdue"
    assert complaint["id"] not in {
        c["id"] for c in (await standalone.get(overdue_path, headers=COUNTY_HEAD)).json()
    }
    # the day after the deadline (the deadline day itself is still in time), local time
    deadline = clock.start_of(date.fromisoformat(complaint["deadline"]) + timedelta(days=1))
    with clock.frozen(deadline + timedelta(hours=1)):
        listed = await standalone.get(overdue_path, headers=COUNTY_HEAD)
        elsewhere = await standalone.get(
            overdue_path, headers=auth("far", "county_approver", county=OTHER_COUNTY)
        )
    assert listed.status_code == 200 and complaint["id"] in {c["id"] for c in listed.json()}
    assert complaint["id"] not in {c["id"] for c in elsewhere.json()}
    far_answer = await standalone.post(
        f"{base}/answer",
        json={"answer": "x"},
        headers=auth("far-head", "county_approver", county=OTHER_COUNTY),
    )
    assert far_answer.status_code == 404  # another county's complaint does not exist for its staff
    answered = await standalone.post(f"{base}/answer", json={"answer": "已于次日发放"}, headers=COUNTY_HEAD)
    assert answered.status_code == 200 and answered.json()["answered_by"] == "rex-county-head"
    with clock.frozen(deadline + timedelta(hours=1)):
        after = await standalone.get(overdue_path, headers=COUNTY_HEAD)
    assert complaint["id"] not in {c["id"] for c in after.json()}
    closed = await standalone.post(f"{base}/closure", json={}, headers=COUNTY_HEAD)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    unknown = await standalone.post(
        f"/approval/v1/complaints/{uuid.uuid4()}/answer",
        json={"answer": "x"},
        headers=COUNTY_HEAD,
    )
    assert unknown.status_code == 404


async def test_an_overdue_reexamination_appears_on_the_list_and_the_figures_count_them(standalone):
    township = "140322102"
    clerk = auth("rex-fig-clerk", "intake_clerk", township=township)
    ids = []
    for _ in range(2):
        case_id, _ = await pending_case(standalone, application(address=address(COUNTY, township)))
        assert (await review(standalone, case_id, opinion="rejected")).status_code == 200
        decided = await standalone.post(
            f"/approval/v1/cases/{case_id}/decision", json={"decision": "rejected", "reasons": "R-CAT-3"}
        )
        assert decided.status_code == 200, decided.text
        ids.append(case_id)
    for case_id in ids:
        assert (await _ask(standalone, case_id, "refusal", headers=clerk)).status_code == 201
    assert (await _decide(standalone, ids[0])).status_code == 200
    policy = (await standalone.get(f"/approval/v1/counties/{COUNTY}/reexamination-policy")).json()
    with clock.frozen(clock.now() + timedelta(days=policy["in_force"]["decision_days"] + 1)):
        overdue = await standalone.get("/approval/v1/reexaminations/overdue", headers=COUNTY_HEAD)
    assert ids[1] in {r["case_id"] for r in overdue.json()} and ids[0] not in {
        r["case_id"] for r in overdue.json()
    }
    figures = await standalone.get(f"/approval/v1/figures?township_code={township}")
    assert figures.status_code == 200, figures.text
    rex = figures.json()["reexamination"]
    assert (rex["requested"], rex["decided"], rex["changed"]) == (2, 1, 1)
    assert (rex["reexamination_rate"], rex["reversal_rate"]) == ("1.0000", "1.0000")
    assert rex["median_days_to_decide"] is not None and rex["median_days_to_decide"] < 1


async def test_a_redelivered_redecision_never_pays_the_difference_twice(standalone, db):
    from services.disbursement.service import payments
    from shared.contracts.approval import CaseRedecided

    case_id = await _decided(standalone, "approved", amount="300.00")
    await eventually(lambda: _payments(standalone, case_id), what="the first payment")
    assert (await _ask(standalone, case_id, "amount")).status_code == 201
    assert (await _decide(standalone, case_id, amount="450.00")).status_code == 200

    async def two():
        rows = await _payments(standalone, case_id)
        return rows if len(rows) == 2 else None

    await eventually(two, what="the difference payment")
    data = await db.fetchval(
        "SELECT envelope->'data' FROM approval.outbox WHERE key = $1 AND event_type = $2", case_id, REDECIDED
    )
    event = CaseRedecided.model_validate_json(data)
    runtime = standalone.app.state.runtimes["disbursement"]
    for _ in range(2):  # the same event again, past the inbox: the handler itself is idempotent
        async with runtime.transaction() as session:
            await payments.record_redecision(runtime, session, event)
    rows = await _payments(standalone, case_id)
    assert sorted(p["amount"] for p in rows) == ["150.00", "300.00"]
