"""/metrics after a case runs end to end on the distributed system (five processes, real Kafka): the named
series — HTTP, events, outbox, dead letters, consumer lag per topic/partition/group, cases by state in every
service, reserve-fund balances (R-RES) — with no personal data or case ids in any label."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import application, eventually, review, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e, pytest.mark.kafka]

CONSUMERS = {
    "assessment": ("intake",),
    "approval": ("assessment",),
    "disbursement": ("intake", "approval"),
    "referral": ("intake", "approval"),
}


async def _scrape(client: httpx.AsyncClient, url: str) -> tuple[str, dict[str, dict[tuple, float]]]:
    text = (await client.get(url + "/metrics")).text
    parsed = {
        family.name: {tuple(sorted(s.labels.items())): s.value for s in family.samples}
        for family in text_string_to_metric_families(text)
    }
    return text, parsed


async def test_metrics_expose_the_named_series_after_a_case_runs_end_to_end(cluster):
    township, year = "140322103", 2026
    async with staff_client(timeout=10) as client:
        fund = await client.post(
            f"{cluster.urls['disbursement']}/disbursement/v1/reserve-funds/{township}",
            json={
                "county_code": "140322",
                "year": year,
                "proportion": "0.2",
                "previous_year_spending": "10000.00",
                "actor": "county-finance",
            },
        )
        assert fund.status_code == 201, fund.text
        created = await client.post(cluster.urls["intake"] + "/intake/v1/applications", json=application())
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]

        async def pending():
            r = await client.get(f"{cluster.urls['approval']}/approval/v1/cases/{case_id}")
            return r.status_code == 200

        await eventually(pending, timeout=60, what="approval to receive the assessed case")
        assert (
            await review(client, case_id, cluster.urls["approval"], intake_base=cluster.urls["intake"])
        ).status_code == 200
        decided = await client.post(
            f"{cluster.urls['approval']}/approval/v1/cases/{case_id}/decision",
            json={
                "decision": "approved",
                "confirm_extended_duration": True,
                "actor": "approver",
                "reasons": "meets R-CAT",
            },
        )
        assert decided.status_code == 200, decided.text

        async def paid_and_shared():
            payments = await client.get(
                f"{cluster.urls['disbursement']}/disbursement/v1/cases/{case_id}/payments"
            )
            shared = await client.get(f"{cluster.urls['referral']}/referral/v1/cases/{case_id}/needs-records")
            return payments.json() and shared.json()

        await eventually(paid_and_shared, timeout=60, what="the payment instruction and the needs record")

        async def caught_up():
            scraped = {name: await _scrape(client, url) for name, url in cluster.urls.items()}
            lags = [
                v for name in CONSUMERS for v in scraped[name][1].get("assistance_consumer_lag", {}).values()
            ]
            return scraped if lags and all(v == 0 for v in lags) else None

        scraped = await eventually(caught_up, timeout=60, what="every consumer group to catch up (lag 0)")

    for name, (text, metrics) in scraped.items():
        assert "assistance_http_requests_total{" in text, name
        assert "assistance_http_request_duration_seconds_bucket" in text, name
        assert f'assistance_outbox_backlog{{service="{name}"}}' in text, name
        assert f'assistance_outbox_oldest_age_seconds{{service="{name}"}}' in text, name
        assert (("service", name),) in metrics["assistance_dead_letters_waiting"], name
        states = {
            dict(k)["state"]: v
            for k, v in metrics["assistance_cases_by_state"].items()
            if dict(k)["service"] == name
        }
        assert sum(states.values()) >= 1, (name, states)
        assert "张小明" not in text and "6222020200112233445" not in text and case_id not in text, name
    assert 'assistance_events_published_total{service="intake"' in scraped["intake"][0]
    assert (
        'assistance_events_consumed_total{outcome="applied",service="assessment"' in scraped["assessment"][0]
    )

    # Consumer lag: one series per partition of each consumed topic, labelled by topic, partition and group.
    for name, sources in CONSUMERS.items():
        lag = scraped[name][1]["assistance_consumer_lag"]
        for source in sources:
            partitions = {
                dict(k)["partition"]
                for k in lag
                if dict(k)["topic"] == cluster.topic(source)
                and dict(k)["group"] == f"{cluster.topic_prefix}-{name}"
            }
            assert partitions == {"0", "1", "2"}, (name, source, lag)  # ASSISTANCE_TOPIC_PARTITIONS=3

    cases = {
        name: {dict(k)["state"]: v for k, v in scraped[name][1]["assistance_cases_by_state"].items()}
        for name in cluster.urls
    }
    assert sum(cases["intake"].values()) >= 1  # intake follows the case: submitted … approved
    assert cases["approval"].get("approved", 0) >= 1
    assert cases["assessment"].get("eligible", 0) >= 1

    fund_labels = (("county", "140322"), ("township", township), ("year", str(year)))
    disbursement = scraped["disbursement"][1]
    assert disbursement["assistance_reserve_fund_allocated_yuan"][fund_labels] == 2000.0
    assert disbursement["assistance_reserve_fund_balance_yuan"][fund_labels] == 2000.0
