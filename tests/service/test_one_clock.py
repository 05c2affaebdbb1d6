"""One clock: every local-date rule follows China's date (Asia/Shanghai), never the host's (UTC here).

At 07:59 China time it is still 23:59 of the previous day in UTC: an incident, a raise or an emergency's end
dated China's today is not "in the future", and a list filtered on China's today finds the cases submitted
since China's midnight. The clock is frozen ahead of the real date (when written), so a rule that still
read the host clock would refuse or miss what these tests expect."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import clock
from tests.factories import address, application, emergency_application, eventually, pending_case, review

pytestmark = pytest.mark.asyncio(loop_scope="session")

COUNTY, TOWNSHIP = "140321", "140321103"
CHINA_TODAY = date(2026, 12, 21)
"""A Monday within the seeded 2026 policies, after the date these tests were written on."""
AT_0759 = datetime.combine(CHINA_TODAY - timedelta(days=1), datetime.min.time(), UTC) + timedelta(
    hours=23, minutes=59
)
"""07:59 in Shanghai = 23:59 UTC of the day before."""
AT_0801 = AT_0759 + timedelta(minutes=2)
"""08:01 in Shanghai = 00:01 UTC of the same day."""


def _frozen(moment: datetime) -> Iterator[None]:
    with clock.frozen(moment):
        yield


@pytest.fixture
def at_0759() -> Iterator[None]:
    yield from _frozen(AT_0759)


@pytest.fixture
def at_0801() -> Iterator[None]:
    yield from _frozen(AT_0801)


def _dated(on: date, **overrides: object) -> dict:
    return application(
        address=address(COUNTY, TOWNSHIP),
        incident={"description": "住院治疗", "occurred_on": on.isoformat(), "ongoing": False},
        **overrides,
    )


async def test_the_frozen_moments_straddle_the_utc_date_line():
    assert (AT_0759.date(), clock.local_date(AT_0759)) == (CHINA_TODAY - timedelta(days=1), CHINA_TODAY)
    assert (AT_0801.date(), clock.local_date(AT_0801)) == (CHINA_TODAY, CHINA_TODAY)


async def test_an_incident_dated_today_at_0759_china_time_is_accepted(standalone, at_0759):
    created = await standalone.post("/intake/v1/applications", json=_dated(CHINA_TODAY))
    assert created.status_code == 201, created.text


async def test_an_incident_dated_today_at_0801_china_time_is_accepted(standalone, at_0801):
    created = await standalone.post("/intake/v1/applications", json=_dated(CHINA_TODAY))
    assert created.status_code == 201, created.text


async def test_an_incident_dated_tomorrow_in_china_is_refused_as_in_the_future_at_0759(standalone, at_0759):
    refused = await standalone.post("/intake/v1/applications", json=_dated(CHINA_TODAY + timedelta(days=1)))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "incident.occurred_on"


@pytest.mark.parametrize("moment", [AT_0759, AT_0801], ids=["0759", "0801"])
async def test_submitted_from_china_today_finds_a_case_submitted_that_morning(standalone, moment):
    with clock.frozen(moment):
        created = await standalone.post("/intake/v1/applications", json=_dated(CHINA_TODAY))
        assert created.status_code == 201, created.text
        today = CHINA_TODAY.isoformat()
        page = await standalone.get(
            "/intake/v1/applications",
            params={"township_code": TOWNSHIP, "submitted_from": today, "submitted_to": today, "limit": 200},
        )
        before = await standalone.get(
            "/intake/v1/applications",
            params={"township_code": TOWNSHIP, "submitted_to": (CHINA_TODAY - timedelta(days=1)).isoformat()},
        )
    assert created.json()["id"] in {c["id"] for c in page.json()["items"]}
    assert created.json()["id"] not in {c["id"] for c in before.json()["items"]}


async def test_a_raise_dated_today_at_0759_china_time_is_accepted_and_stages_fall_due_on_chinas_date(
    standalone, at_0759
):
    case_id, _ = await pending_case(standalone, _dated(CHINA_TODAY - timedelta(days=3)))
    raised = await standalone.post(
        f"/assessment/v1/cases/{case_id}/raises",
        json={
            "decided_by": "平定县人民政府常务会议",
            "decided_on": CHINA_TODAY.isoformat(),
            "reference": "平政纪〔2026〕1号",
            "reason": "家庭负担特别沉重 (R-AMT-4)",
            "amount": "20000.00",
        },
    )
    assert raised.status_code == 201, raised.text

    async def raised_in_approval():
        case = (await standalone.get(f"/approval/v1/cases/{case_id}")).json()
        return case if case["assessed_amount"] == "20000.00" else None

    await eventually(raised_in_approval, what="approval to take the raise")
    assert (await review(standalone, case_id)).status_code == 200
    decided = await standalone.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "reasons": "R-AMT-4 raise by the county government"},
    )
    assert decided.status_code == 200, decided.text
    approval = [d for d in decided.json()["decisions"] if d["step"] == "approval"][-1]
    assert approval["stages"][0]["due_on"] == CHINA_TODAY.isoformat()


async def test_an_emergency_over_today_at_0759_china_time_is_not_in_the_future(standalone, at_0759):
    township = "140321104"
    fund = await standalone.post(
        f"/disbursement/v1/reserve-funds/{township}",
        json={
            "county_code": COUNTY,
            "year": CHINA_TODAY.year,
            "proportion": "0.2",
            "previous_year_spending": "100000.00",
            "actor": "county-finance",
        },
    )
    assert fund.status_code == 201, fund.text  # the module's own database: no fund there yet
    body = emergency_application(
        address=address(COUNTY, township),
        incident={"description": "房屋失火", "occurred_on": CHINA_TODAY.isoformat(), "ongoing": False},
    )
    case_id, _ = await pending_case(standalone, body)
    granted = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first",
        json={
            "role": "township",
            "amount": "500.00",
            "form": "cash",
            "channel": "direct",
            "reasons": "house burnt down last night",
        },
    )
    assert granted.status_code == 201, granted.text
    over = await standalone.post(
        f"/approval/v1/cases/{case_id}/help-first/emergency-over", json={"over_on": CHINA_TODAY.isoformat()}
    )
    assert over.status_code == 200, over.text
    assert over.json()["deadline"] > CHINA_TODAY.isoformat()  # 10 working days after China's today (R-FLOW-2)
