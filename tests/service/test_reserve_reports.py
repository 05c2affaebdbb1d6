"""Township reserve-fund reports, top-ups and the year-end settlement (R-RES-2, R-OVS-3) on the real
database: reports generated from the ledger to the fen over fixture entries (local UTC+8 periods), the
county's acknowledgement or query and the township's answer and resubmission, the overdue list (nothing
silent), top-ups with four eyes, the year end carried over or returned, exactly once."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from shared import clock
from tests.factories import application, auth, eventually, pending_case

pytestmark = pytest.mark.asyncio(loop_scope="session")

CN = ZoneInfo("Asia/Shanghai")
QUARTERLY = "140321"  # quarterly reports, 15 grace days, balance carried over
MONTHLY = "140302"  # monthly reports, 10 grace days, balance returned
V1 = "/disbursement/v1"
COUNTY_FIN = auth("county-fin", "finance_officer", county=QUARTERLY)
COUNTY_FIN_2 = auth("county-fin-2", "finance_officer", county=QUARTERLY)
COUNTY_APPROVER = auth("county-approver", "county_approver", county=QUARTERLY)
MONTHLY_FIN = auth("monthly-fin", "finance_officer", county=MONTHLY)


def township_officer(township: str, subject: str = "tw-officer") -> dict[str, str]:
    return auth(subject, "finance_officer", township=township)


async def _settings(standalone, county: str, frequency: str, grace: int, year_end: str, who) -> None:
    answer = await standalone.put(
        f"{V1}/counties/{county}/reserve-settings",
        json={
            "effective_from": "2026-01-01",
            "report_frequency": frequency,
            "grace_days": grace,
            "year_end": year_end,
        },
        headers=who,
    )
    assert answer.status_code in (201, 409), answer.text  # set once per session's database
    if answer.status_code == 409:
        assert answer.json()["type"].endswith("/settings-version-exists")


@pytest.fixture
async def quarterly(standalone):
    await _settings(standalone, QUARTERLY, "quarterly", 15, "carry_over", COUNTY_FIN)


@pytest.fixture
async def monthly(standalone):
    await _settings(standalone, MONTHLY, "monthly", 10, "return", MONTHLY_FIN)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CN)


async def _fund(db, township: str, year: int, balance: str) -> None:
    await db.execute(
        "INSERT INTO disbursement.reserve_funds (township_code, year, county_code, proportion,"
        " previous_year_spending, spending_source, allocated, balance, actor)"
        " VALUES ($1, $2, $3, 0.05, 200000.00, 'declared', 10000.00, $4, 'fixture')",
        township,
        year,
        township[:6],
        Decimal(balance),
    )


async def _entry(db, township: str, at: datetime, kind: str, amount: str, case_id: str | None = None) -> int:
    return await db.fetchval(
        "INSERT INTO disbursement.ledger_entries (at, kind, fund, amount, county_code, township_code,"
        " case_id, memo, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, 'fixture', 'fixture') RETURNING id",
        at,
        kind,
        f"reserve:{township}:{at.astimezone(CN).year}",
        Decimal(amount),
        township[:6],
        township,
        case_id,
    )


async def _case(db, township: str, case_no: str, category: str) -> str:
    case_id = str(uuid.uuid4())
    await db.execute(
        "INSERT INTO disbursement.beneficiaries (case_id, county_code, township_code, case_no, category)"
        " VALUES ($1, $2, $3, $4, $5)",
        case_id,
        township[:6],
        township,
        case_no,
        category,
    )
    return case_id


async def test_a_townships_quarterly_report_is_generated_from_the_ledger_to_the_fen_and_acknowledged(
    standalone, db, quarterly
):
    """The issue's proof (R-RES-2): Q2 2026 from fixture entries, local UTC+8 periods, acknowledged."""
    township = "140321100"
    a = await _case(db, township, "YQ-2026-0001", "emergency")
    b = await _case(db, township, "YQ-2026-0002", "expenditure")
    c = await _case(db, township, "YQ-2026-0003", "emergency")
    await _fund(db, township, 2026, "9365.39")
    await _entry(db, township, local("2026-01-05 10:00"), "allocation", "10000.00")
    await _entry(db, township, local("2026-02-14 09:00"), "reserve_draw", "500.00", c)
    # 2026-03-31 16:30 UTC is 1 April 00:30 in China: the second quarter's
    await _entry(
        db, township, datetime.fromisoformat("2026-03-31T16:30:00+00:00"), "reserve_draw", "1234.56", a
    )
    await _entry(db, township, local("2026-04-10 11:00"), "reserve_draw", "800.00", b)
    await _entry(db, township, local("2026-05-02 15:00"), "reserve_release", "100.00", b)
    await _entry(db, township, local("2026-06-30 23:59:59"), "reserve_top_up", "2000.00")
    await _entry(db, township, local("2026-07-01 00:00"), "reserve_draw", "200.05", a)  # the third quarter's

    submitted = await standalone.post(
        f"{V1}/reserve-funds/{township}/reports",
        json={"period": "2026-Q2"},
        headers=township_officer(township),
    )
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()
    assert (report["status"], report["revision"], report["frequency"]) == ("submitted", 1, "quarterly")
    assert (report["period_start"], report["period_end"], report["due_on"]) == (
        "2026-04-01",
        "2026-06-30",
        "2026-07-15",
    )
    assert (report["opening"], report["closing"]) == ("9500.00", "9565.44")
    f = report["figures"]
    assert f["totals"] == {
        "allocations": "0.00",
        "top_ups": "2000.00",
        "carried_in": "0.00",
        "draws": "2034.56",
        "carried_over": "0.00",
        "returned_to_county": "0.00",
        "returns": "100.00",
    }
    assert [(x["case_no"], x["category"], x["draws"], x["drawn"], x["returned"]) for x in f["cases"]] == [
        ("YQ-2026-0001", "emergency", 1, "1234.56", "0.00"),
        ("YQ-2026-0002", "expenditure", 1, "800.00", "100.00"),
    ]
    assert len(f["entry_ids"]) == 4  # every yuan of the report traced to its ledger entry (R-OVS-3)

    csv = (await standalone.get(f"{V1}/reserve-reports/{report['id']}", params={"format": "csv"})).text
    assert csv.splitlines()[0] == "section,item,case_no,category,draws,amount,returned"
    assert "report,opening,,,,9500.00," in csv and "report,closing,,,,9565.44," in csv
    assert f"case,{a},YQ-2026-0001,emergency,1,1234.56,0.00" in csv
    pdf = await standalone.get(f"{V1}/reserve-reports/{report['id']}", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "备用金使用情况报告" in text and "9565.44" in text and "YQ-2026-0002" in text, text

    elsewhere = await standalone.get(f"{V1}/reserve-reports/{report['id']}", headers=MONTHLY_FIN)
    assert elsewhere.status_code == 404  # another county's report does not exist for its staff
    own = await standalone.post(
        f"{V1}/reserve-reports/{report['id']}/acknowledgement",
        json={},
        headers=township_officer(township, "tw-2"),
    )
    assert own.status_code == 403 and own.json()["type"].endswith("/county-decides"), own.text
    acked = await standalone.post(
        f"{V1}/reserve-reports/{report['id']}/acknowledgement",
        json={"note": "agreed"},
        headers=COUNTY_APPROVER,
    )
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == ("acknowledged", "county-approver")
    again = await standalone.post(
        f"{V1}/reserve-reports/{report['id']}/acknowledgement", json={}, headers=COUNTY_FIN
    )
    assert again.status_code == 409
    detail = (await standalone.get(f"{V1}/reserve-reports/{report['id']}", headers=COUNTY_FIN)).json()
    assert [(e["kind"], e["actor"]) for e in detail["history"]] == [
        ("submitted", "tw-officer"),
        ("acknowledged", "county-approver"),
    ]
    twice = await standalone.post(
        f"{V1}/reserve-funds/{township}/reports",
        json={"period": "2026-Q2"},
        headers=township_officer(township),
    )
    assert twice.status_code == 409 and twice.json()["type"].endswith("/report-state")


async def test_a_report_for_a_period_not_yet_ended_is_refused_and_nothing_is_written(
    standalone, db, quarterly
):
    township = "140321106"
    await _fund(db, township, 2026, "10000.00")
    me = township_officer(township)
    with clock.frozen(local("2026-09-30 23:59")):
        open_period = await standalone.post(
            f"{V1}/reserve-funds/{township}/reports", json={"period": "2026-Q3"}, headers=me
        )
    assert open_period.status_code == 409, open_period.text
    assert (
        open_period.json()["type"].endswith("/period-not-ended") and open_period.json()["rule"] == "R-RES-2"
    )
    monthly_period = await standalone.post(
        f"{V1}/reserve-funds/{township}/reports", json={"period": "2026-03"}, headers=me
    )
    assert monthly_period.status_code == 409 and monthly_period.json()["type"].endswith(
        "/period-not-reported"
    )
    not_the_township = await standalone.post(
        f"{V1}/reserve-funds/{township}/reports", json={"period": "2026-Q1"}, headers=COUNTY_FIN
    )
    assert not_the_township.status_code == 403
    assert (
        await db.fetchval(
            "SELECT count(*) FROM disbursement.reserve_reports WHERE township_code = $1", township
        )
        == 0
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM disbursement.reserve_report_events e JOIN disbursement.reserve_reports r"
            " ON r.id = e.report_id WHERE r.township_code = $1",
            township,
        )
        == 0
    )
    bad = await standalone.post(
        f"{V1}/reserve-funds/{township}/reports", json={"period": "2026-Q5"}, headers=me
    )
    assert bad.status_code == 422


async def test_a_queried_report_is_answered_and_resubmitted_regenerated_with_its_history_kept(
    standalone, db, quarterly
):
    township = "140321101"
    case = await _case(db, township, "YQ-2026-0101", "emergency")
    await _fund(db, township, 2026, "9000.00")
    await _entry(db, township, local("2026-01-02 08:00"), "allocation", "10000.00")
    await _entry(db, township, local("2026-03-01 08:00"), "reserve_draw", "1500.00", case)
    me = township_officer(township)
    report = (
        await standalone.post(
            f"{V1}/reserve-funds/{township}/reports", json={"period": "2026-Q1"}, headers=me
        )
    ).json()
    assert (report["opening"], report["closing"]) == ("0.00", "8500.00")
    rid = report["id"]
    queried = await standalone.post(
        f"{V1}/reserve-reports/{rid}/query",
        json={"question": "1500.00 for one case? Show the bills."},
        headers=COUNTY_FIN,
    )
    assert queried.status_code == 200 and queried.json()["status"] == "queried", queried.text
    early = await standalone.post(f"{V1}/reserve-reports/{rid}/acknowledgement", json={}, headers=COUNTY_FIN)
    assert early.status_code == 409  # a queried report waits for the township's answer
    by_county = await standalone.post(
        f"{V1}/reserve-reports/{rid}/answer", json={"answer": "x"}, headers=COUNTY_FIN
    )
    assert by_county.status_code == 403
    # the township corrects the ledger: 500.00 of the draw released back (as a correction does)
    await _entry(db, township, local("2026-03-20 08:00"), "reserve_release", "500.00", case)
    answered = await standalone.post(
        f"{V1}/reserve-reports/{rid}/answer",
        json={"answer": "500.00 was not needed and went back to the fund"},
        headers=me,
    )
    assert answered.status_code == 200, answered.text
    again = answered.json()
    assert (again["status"], again["revision"], again["closing"]) == ("submitted", 2, "9000.00")
    assert again["figures"]["cases"][0]["returned"] == "500.00"
    acked = await standalone.post(
        f"{V1}/reserve-reports/{rid}/acknowledgement", json={}, headers=COUNTY_FIN_2
    )
    assert acked.json()["status"] == "acknowledged"
    history = (await standalone.get(f"{V1}/reserve-reports/{rid}", headers=COUNTY_FIN)).json()["history"]
    assert [(e["kind"], e["revision"], e["text"]) for e in history] == [
        ("submitted", 1, None),
        ("queried", 1, "1500.00 for one case? Show the bills."),
        ("resubmitted", 2, "500.00 was not needed and went back to the fund"),
        ("acknowledged", 2, None),
    ]
    assert [e["figures"]["closing"] if e["figures"] else None for e in history] == [
        "8500.00",  # what revision 1 said stays on record
        None,
        "9000.00",
        None,
    ]


async def test_overdue_reports_are_listed_for_the_county_and_counted_in_the_figures(
    standalone, db, quarterly
):
    township = "140321102"
    await _fund(db, township, 2026, "10000.00")
    await _entry(db, township, local("2026-01-03 08:00"), "allocation", "10000.00")
    params = {"county_code": QUARTERLY, "township_code": township}
    with clock.frozen(local("2026-07-10 12:00")):
        mid_year = await standalone.get(f"{V1}/reserve-reports/overdue", params=params, headers=COUNTY_FIN)
    assert mid_year.status_code == 200, mid_year.text
    assert [(o["period"], o["due_on"], o["days_overdue"]) for o in mid_year.json()] == [
        ("2026-Q1", "2026-04-15", 86)
    ]
    with clock.frozen(local("2026-10-20 12:00")):
        late = await standalone.post(
            f"{V1}/reserve-funds/{township}/reports",
            json={"period": "2026-Q2"},
            headers=township_officer(township),
        )
        assert late.status_code == 201 and late.json()["on_time"] is False
        listed = await standalone.get(f"{V1}/reserve-reports/overdue", params=params, headers=COUNTY_FIN)
        assert [o["period"] for o in listed.json()] == ["2026-Q1", "2026-Q3"]
        figures = await standalone.get(
            f"{V1}/figures", params={"township_code": township, "to": "2026-10-20"}
        )
        scraped = (await standalone.get("/metrics")).text
    gauge = f'assistance_reserve_reports_overdue{{county="{QUARTERLY}",township="{township}"}} 2.0'
    assert gauge in scraped  # nothing silent: the dashboards show it too
    rows = {r["period"]: r for r in figures.json()["reserve_reports"]}
    assert {p: (r["submitted"], r["on_time"], r["late"], r["overdue"]) for p, r in rows.items()} == {
        "2026-Q1": (0, 0, 0, 1),
        "2026-Q2": (1, 0, 1, 0),
        "2026-Q3": (0, 0, 0, 1),
    }
    other_county = await standalone.get(
        f"{V1}/reserve-reports/overdue", params={"county_code": MONTHLY}, headers=COUNTY_FIN
    )
    assert other_county.status_code == 403


async def test_a_top_up_needs_a_second_person_at_county_level_and_lands_in_the_ledger(standalone, quarterly):
    township = "140321103"
    fund = await standalone.post(
        f"{V1}/reserve-funds/{township}",
        json={
            "county_code": QUARTERLY,
            "year": 2026,
            "proportion": "0.05",
            "previous_year_spending": "30000.00",
        },
        headers=COUNTY_FIN,
    )
    assert fund.json()["balance"] == "1500.00", fund.text
    asked = await standalone.post(
        f"{V1}/reserve-funds/{township}/2026/top-ups",
        json={"amount": "2345.67", "reason": "flood season"},
        headers=COUNTY_FIN,
    )
    assert asked.status_code == 201 and asked.json()["status"] == "requested", asked.text
    tid = asked.json()["id"]
    own = await standalone.post(f"{V1}/reserve-top-ups/{tid}/approval", json={}, headers=COUNTY_FIN)
    assert own.status_code == 409 and own.json()["type"].endswith("/separation-of-duties"), own.text
    township_side = await standalone.post(
        f"{V1}/reserve-top-ups/{tid}/approval", json={}, headers=township_officer(township)
    )
    assert township_side.status_code == 403
    unchanged = await standalone.get(f"{V1}/reserve-funds/{township}/2026", headers=COUNTY_FIN)
    assert unchanged.json()["balance"] == "1500.00"
    approved = await standalone.post(f"{V1}/reserve-top-ups/{tid}/approval", json={}, headers=COUNTY_APPROVER)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "county-approver")
    after = await standalone.get(f"{V1}/reserve-funds/{township}/2026", headers=COUNTY_FIN)
    assert after.json()["balance"] == "3845.67"
    entries = (
        await standalone.get(f"{V1}/ledger", params={"township_code": township}, headers=COUNTY_FIN)
    ).json()
    top_up = [e for e in entries if e["kind"] == "reserve_top_up"]
    assert [(e["id"], e["amount"], e["actor"]) for e in top_up] == [
        (approved.json()["entry_id"], "2345.67", "county-approver")
    ]
    twice = await standalone.post(f"{V1}/reserve-top-ups/{tid}/approval", json={}, headers=COUNTY_FIN_2)
    assert twice.status_code == 409
    reconciled = await standalone.get(
        f"{V1}/ledger/reconciliation", params={"county_code": QUARTERLY, "year": 2026}, headers=COUNTY_FIN
    )
    row = next(r for r in reconciled.json()["reserve_funds"] if r["township_code"] == township)
    assert row["balanced"] and row["ledger_balance"] == "3845.67"


async def test_the_year_end_carries_the_balance_over_once_into_next_years_fund(standalone, quarterly):
    township = "140321104"
    await standalone.post(
        f"{V1}/reserve-funds/{township}",
        json={
            "county_code": QUARTERLY,
            "year": 2026,
            "proportion": "0.05",
            "previous_year_spending": "20000.00",
        },
        headers=COUNTY_FIN,
    )
    drawn = await standalone.post(
        f"{V1}/reserve-funds/{township}/2026/draws", json={"amount": "250.50", "purpose": "emergency help"}
    )
    assert drawn.json()["balance"] == "749.50", drawn.text
    url = f"{V1}/reserve-funds/{township}/2026/settlement"
    early = await standalone.post(url, json={}, headers=COUNTY_FIN)
    assert early.status_code == 409 and early.json()["type"].endswith("/year-not-over"), early.text
    with clock.frozen(local("2027-01-05 09:00")):
        by_township = await standalone.post(url, json={}, headers=township_officer(township))
        assert by_township.status_code == 403
        both = await asyncio.gather(
            standalone.post(url, json={}, headers=COUNTY_FIN),
            standalone.post(url, json={}, headers=COUNTY_FIN_2),
        )
        assert sorted(r.status_code for r in both) == [201, 409], [r.text for r in both]
        settled = next(r for r in both if r.status_code == 201).json()
        refused = next(r for r in both if r.status_code == 409).json()
        assert refused["type"].endswith("/already-settled")
        assert (settled["policy"], settled["amount"], settled["carried_in_entry_id"]) == (
            "carry_over",
            "749.50",
            None,
        )
        closed = await standalone.get(f"{V1}/reserve-funds/{township}/2026", headers=COUNTY_FIN)
        assert closed.json()["balance"] == "0.00"
        next_year = await standalone.post(
            f"{V1}/reserve-funds/{township}",
            json={
                "county_code": QUARTERLY,
                "year": 2027,
                "proportion": "0.05",
                "previous_year_spending": "20000.00",
            },
            headers=COUNTY_FIN,
        )
    assert next_year.status_code == 201 and next_year.json()["balance"] == "1749.50", next_year.text
    entries = (
        await standalone.get(f"{V1}/ledger", params={"township_code": township}, headers=COUNTY_FIN)
    ).json()
    out = next(e for e in entries if e["kind"] == "reserve_carry_over")
    into = next(e for e in entries if e["kind"] == "reserve_carry_in")
    assert (out["amount"], out["fund"], out["id"]) == (
        "749.50",
        f"reserve:{township}:2026",
        settled["entry_id"],
    )
    assert (into["amount"], into["fund"], into["source_entry_id"]) == (
        "749.50",
        f"reserve:{township}:2027",
        out["id"],
    )
    after = (await standalone.get(url, headers=COUNTY_FIN)).json()
    assert after["carried_in_entry_id"] == into["id"]
    for year in (2026, 2027):
        reconciled = await standalone.get(
            f"{V1}/ledger/reconciliation", params={"county_code": QUARTERLY, "year": year}, headers=COUNTY_FIN
        )
        row = next(r for r in reconciled.json()["reserve_funds"] if r["township_code"] == township)
        assert row["balanced"], row


async def test_the_year_end_returns_the_balance_to_the_county_where_the_county_says_so(standalone, monthly):
    township = "140302001"
    await standalone.post(
        f"{V1}/reserve-funds/{township}",
        json={
            "county_code": MONTHLY,
            "year": 2026,
            "proportion": "0.10",
            "previous_year_spending": "5000.05",
        },
        headers=MONTHLY_FIN,
    )
    url = f"{V1}/reserve-funds/{township}/2026/settlement"
    with clock.frozen(local("2027-01-02 09:00")):
        settled = await standalone.post(url, json={}, headers=MONTHLY_FIN)
        assert settled.status_code == 201, settled.text
        assert (settled.json()["policy"], settled.json()["amount"]) == ("return", "500.01")
        again = await standalone.post(url, json={}, headers=MONTHLY_FIN)
        assert again.status_code == 409
        next_year = await standalone.post(
            f"{V1}/reserve-funds/{township}",
            json={
                "county_code": MONTHLY,
                "year": 2027,
                "proportion": "0.10",
                "previous_year_spending": "1000.00",
            },
            headers=MONTHLY_FIN,
        )
    assert next_year.json()["balance"] == "100.00"  # nothing carried in: it went back to the county
    entries = (
        await standalone.get(f"{V1}/ledger", params={"township_code": township}, headers=MONTHLY_FIN)
    ).json()
    assert [(e["kind"], e["amount"]) for e in entries if e["kind"].startswith("reserve_")] == [
        ("reserve_settlement_return", "500.01")
    ]


async def test_the_report_lines_name_the_category_the_application_gave(standalone, db):
    """The per-case lines carry the case's category, which disbursement keeps from application-submitted."""
    case_id, _ = await pending_case(standalone, application())

    async def category():
        return await db.fetchval(
            "SELECT category FROM disbursement.beneficiaries WHERE case_id = $1", case_id
        )

    assert await eventually(category, what="the beneficiary with its category") == "expenditure"


async def test_bad_reserve_input_is_a_problem_naming_the_cause_never_a_500(standalone, quarterly):
    unknown = str(uuid.uuid4())
    cases = [
        (
            "put",
            f"{V1}/counties/{QUARTERLY}/reserve-settings",
            {
                "effective_from": "2026-02-01",
                "report_frequency": "quarterly",
                "grace_days": 91,
                "year_end": "return",
            },
            COUNTY_FIN,
            422,
        ),
        (
            "put",
            f"{V1}/counties/140399/reserve-settings",
            {
                "effective_from": "2026-02-01",
                "report_frequency": "weekly",
                "grace_days": 5,
                "year_end": "return",
            },
            None,
            422,
        ),
        (
            "put",
            f"{V1}/counties/140399/reserve-settings",
            {
                "effective_from": "2026-02-01",
                "report_frequency": "monthly",
                "grace_days": 5,
                "year_end": "return",
            },
            None,
            422,
        ),
        ("get", f"{V1}/reserve-reports/{unknown}", None, COUNTY_FIN, 404),
        ("post", f"{V1}/reserve-reports/{unknown}/query", {"question": "?"}, COUNTY_FIN, 404),
        ("post", f"{V1}/reserve-reports/{unknown}/acknowledgement", {}, COUNTY_FIN, 404),
        ("post", f"{V1}/reserve-top-ups/{unknown}/approval", {}, COUNTY_FIN, 404),
        (
            "post",
            f"{V1}/reserve-funds/140321105/2031/top-ups",
            {"amount": "1.00", "reason": "x"},
            COUNTY_FIN,
            404,
        ),
        (
            "post",
            f"{V1}/reserve-funds/140321105/2026/top-ups",
            {"amount": "0.00", "reason": "x"},
            COUNTY_FIN,
            422,
        ),
        ("post", f"{V1}/reserve-funds/140321105/2020/settlement", {}, COUNTY_FIN, 404),
        (
            "post",
            f"{V1}/reserve-funds/140321105/reports",
            {"period": "2020-Q1"},
            township_officer("140321105"),
            404,
        ),
        ("get", f"{V1}/reserve-reports?status=lost", None, COUNTY_FIN, 422),
    ]
    for method, url, body, who, status in cases:
        kwargs = {"headers": who} if who else {}
        if body is not None:
            kwargs["json"] = body
        answer = await getattr(standalone, method)(url, **kwargs)
        assert answer.status_code == status, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), url
