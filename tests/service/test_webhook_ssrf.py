"""Webhook SSRF on the running service (R-CHA-2): a receiver inside our network is refused at registration
as a 422 naming ``webhook_url``; a name that resolves inside at delivery time (DNS rebinding) is refused
then and recorded as a failed delivery; a receiver's answer never ends up in ``last_error``."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading

import pytest

from tests.factories import (
    WebhookReceiver,
    address,
    application,
    eventually,
    partner_body,
    pending_case,
    review,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOWNSHIP = "140322200"  # 仙人乡: no other test's partners serve it


@pytest.fixture
def partners(partners):
    """The shared registrar (tests/conftest.py), serving ``TOWNSHIP`` unless told otherwise."""

    async def register(**overrides):
        return await partners(**{"service_areas": [TOWNSHIP], **overrides})

    return register


async def decided_case(client) -> str:
    case_id, _ = await pending_case(client, application(address=address("140322", TOWNSHIP)))
    assert (await review(client, case_id)).status_code == 200  # R-FLOW-1: a second person reviews first
    answer = await client.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={
            "decision": "approved",
            "actor": "approver-2",
            "reasons": "ok",
            "confirm_extended_duration": True,
        },
    )
    assert answer.status_code == 200, answer.text
    return case_id


async def deliveries_of(client, partner: dict) -> list[dict]:
    r = await client.get("/referral/v1/deliveries", params={"partner_id": partner["id"]})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://192.168.10.1/hook",
        "https://172.20.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://100.64.0.10/hook",
        "https://239.1.2.3/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://[::ffff:192.168.0.1]/hook",
        "http://charity.example/hook",
    ],
)
async def test_a_webhook_to_a_private_address_is_refused(standalone, db, url):
    before = await db.fetchval("SELECT count(*) FROM referral.partners")
    response = await standalone.post("/referral/v1/partners", json=partner_body(webhook_url=url))
    assert response.status_code == 422 and response.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert [e["field"] for e in response.json()["errors"]] == ["webhook_url"]
    assert await db.fetchval("SELECT count(*) FROM referral.partners") == before


async def test_a_webhook_changed_to_a_private_address_is_refused(standalone, partners):
    partner = await partners()
    path = f"/referral/v1/partners/{partner['id']}"
    refused = await standalone.patch(path, json={"webhook_url": "https://169.254.169.254/hook"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "webhook_url"
    assert (await standalone.get(path)).json()["webhook_url"] is None


async def test_a_loopback_webhook_is_refused_unless_the_development_setting_allows_it(standalone, partners):
    runtime = standalone.app.state.runtimes["referral"]
    runtime.settings.webhook_allow_loopback_http = False  # the default; the test fixture turned it on
    try:
        for url in (
            "http://127.0.0.1:9/hook",
            "https://localhost/hook",
            "https://127.1/hook",
            "https://[::1]/x",
        ):
            response = await standalone.post("/referral/v1/partners", json=partner_body(webhook_url=url))
            assert response.status_code == 422 and "webhook_url" in response.text, url
    finally:
        runtime.settings.webhook_allow_loopback_http = True
    assert (await partners(webhook_url="http://127.0.0.1:9/hook"))["webhook_url"].startswith("http://127.")


async def test_dns_rebinding_to_loopback_is_refused_at_delivery(standalone, partners):
    """This machine's own host name passes the registration check (a name, not an address) but resolves
    to this machine — loopback or a private address — when the delivery is made: nothing is sent."""
    name = socket.gethostname()
    resolved = {ipaddress.ip_address(i[4][0].split("%")[0]) for i in socket.getaddrinfo(name, 443)}
    if all(a.is_global for a in resolved):
        pytest.skip(f"{name} resolves to a public address here")
    receiver = WebhookReceiver()  # listening on 127.0.0.1: where the name now points
    try:
        port = receiver.server.server_address[1]
        partner = await partners(webhook_url=f"https://{name}:{port}/hooks/assistance")
        await decided_case(standalone)

        async def refused():
            rows = await deliveries_of(standalone, partner)
            return rows if rows and rows[0]["attempts"] >= 1 else None

        [delivery] = await eventually(refused, what="the delivery attempt")
        assert delivery["status"] != "delivered" and delivery["last_status"] is None
        assert delivery["last_error"] == "refused: resolves to a non-public address"
        assert receiver.requests == []
    finally:
        receiver.close()


class TalkativeReceiver:
    """A receiver answering 500 with a body that must never be recorded on our side."""

    SECRET_BODY = b"Traceback: db password=hunter2 at 10.0.0.3"

    def __init__(self) -> None:
        body = self.SECRET_BODY

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(500, "Internal Server Error: hunter2")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_a_receivers_error_body_is_never_recorded(standalone, partners, db):
    receiver = TalkativeReceiver()
    try:
        partner = await partners(webhook_url=receiver.url)
        await decided_case(standalone)

        async def failed():
            rows = await deliveries_of(standalone, partner)
            return rows if rows and rows[0]["attempts"] >= 1 else None

        [delivery] = await eventually(failed, what="the failed delivery")
        assert delivery["last_status"] == 500 and delivery["last_error"] == "HTTP 500"
        stored = await db.fetchval(
            "SELECT row_to_json(d)::text FROM referral.webhook_deliveries d WHERE id = $1", delivery["id"]
        )
        assert "hunter2" not in stored
    finally:
        receiver.close()
