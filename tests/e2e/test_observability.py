"""Signals ops teams rely on: one trace id across the services, and the named Prometheus series."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.factories import application, eventually, staff_client

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.e2e]


async def test_a_trace_id_set_on_the_intake_request_appears_in_the_referral_log(cluster):
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    async with staff_client(timeout=10) as client:
        created = await client.post(
            cluster.urls["intake"] + "/intake/v1/applications",
            json=application(),
            headers={"traceparent": traceparent, "X-Request-ID": "req-obs-1"},
        )
        assert created.status_code == 201 and created.headers["X-Request-ID"] == "req-obs-1"
    case_id = created.json()["id"]

    async def referral_logged():
        lines = (cluster.logs / "referral.log").read_text(errors="replace").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        return [e for e in entries if e.get("trace_id") == trace_id and e.get("case_id") == case_id]

    entries = await eventually(referral_logged, timeout=60, what="referral to log the traced case")
    assert entries[0]["event_type"] == "gov.assistance.intake.application-submitted.v1"

    async def every_service_logged():
        texts = {name: (cluster.logs / f"{name}.log").read_text(errors="replace") for name in cluster.urls}
        return texts if all(trace_id in text for text in texts.values()) else None

    # One trace through the five processes: approval continues it from assessment's event (OpenTelemetry
    # spans joined through the envelope's traceparent / the Kafka header).
    texts = await eventually(every_service_logged, timeout=60, what="every service to log the trace")
    for name, text in texts.items():
        assert "张小明" not in text and "6222020200112233445" not in text, f"{name} logged personal data"


async def test_metrics_expose_http_event_and_outbox_series(cluster):
    async with staff_client(timeout=10) as client:
        bodies = {name: (await client.get(url + "/metrics")).text for name, url in cluster.urls.items()}
    for name, body in bodies.items():
        assert "assistance_http_requests_total{" in body, name
        assert "assistance_http_request_duration_seconds_bucket" in body, name
        assert f'assistance_outbox_backlog{{service="{name}"}}' in body, name
        assert f'assistance_outbox_oldest_age_seconds{{service="{name}"}}' in body, name
    assert 'assistance_events_published_total{service="intake"' in bodies["intake"]
    assert 'assistance_events_consumed_total{outcome="applied",service="assessment"' in bodies["assessment"]
