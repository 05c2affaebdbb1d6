"""The household's side of a case (issue 17): a public-safe status for government service platforms and
notices by SMS and decision letter — on the whole standalone app (all services in one process, real
PostgreSQL, in-process bus), with the SMS gateway played by a real HTTP receiver process that checks every
request (signature, contract)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.household import repository as household_repo
from services.household.domain.model import Delivery, DeliveryStatus
from tests.conftest import standalone_client
from tests.factories import WebhookReceiver, application, auth, eventually, pending_case, review

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "household"
GATEWAY_KEY = "test-gateway-key-not-a-production-secret"
PLATFORM = auth("gov-platform-12345", "gov_system")


@pytest.fixture(scope="module")
def sms_gateway() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "household" / "sms_receiver.py"), GATEWAY_KEY],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _pdftoppm() -> str:
    """pdftoppm from poppler-utils, which scripts/poppler.sh installs where it is missing."""
    found = shutil.which("pdftoppm")
    if found:
        return found
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "poppler.sh")], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
async def app(
    database_url: str, sms_gateway: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The standalone app of tests/conftest.py on the module's database, with the household service
    pointed at the SMS gateway."""
    household: dict[str, object] = {
        "sms_gateway_url": sms_gateway,
        "sms_gateway_key": GATEWAY_KEY,
        "sms_poll_interval_seconds": 0.1,
        "sms_backoff_seconds": 0.2,
        "webhook_poll_interval_seconds": 0.1,
        "status_failures_allowed": 3,
        "webhook_allow_loopback_http": True,  # the tests' subscriber listens on http://127.0.0.1
    }
    async with standalone_client(database_url, tmp_path_factory, {"household": household}) as client:
        yield client


async def _received(gateway: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(trust_env=False) as c:
        return (await c.get(f"{gateway}/received")).json()


async def _submitted(app: httpx.AsyncClient, body: dict[str, Any]) -> tuple[str, str]:
    created = await app.post("/intake/v1/applications", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["case_no"]


async def _notice(app: httpx.AsyncClient, case_id: str, kind: str, *statuses: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        r = await app.get(f"/household/v1/cases/{case_id}/notices")
        found = [n for n in r.json() if n["kind"] == kind] if r.status_code == 200 else []
        return found[0] if found and found[0]["status"] in statuses else None

    return await eventually(probe, what=f"the {kind} notice to be {'/'.join(statuses)}")


async def _refused(app: httpx.AsyncClient, body: dict[str, Any]) -> str:
    case_id, case = await pending_case(app, body)
    assert case["eligible"] is False
    reviewed = await review(app, case_id, opinion="rejected", reasons="入户调查核实家庭收入高于当地标准")
    assert reviewed.status_code == 200, reviewed.text
    decided = await app.post(
        f"/approval/v1/cases/{case_id}/decision", json={"decision": "rejected", "reasons": "同意审核意见"}
    )
    assert decided.status_code == 200, decided.text
    return case_id


async def test_a_refused_case_gets_its_written_reasons_by_sms_and_in_a_pdf_letter(app, sms_gateway):
    """R-CAT-3, R-FLOW-1: the refusal cites the rule, the figures and the reviewer's written opinion."""
    body = application(annual_household_income="500000.00")
    case_id = await _refused(app, body)
    notice = await _notice(app, case_id, "refused", "sent")
    messages = [m for m in await _received(sms_gateway) if m["message_id"] == notice["id"]]
    assert len(messages) == 1
    text = messages[0]["text"]
    assert messages[0]["to"] == body["phone"]
    assert "不予救助" in text and "R-CAT-3" in text and "250000.00" in text  # per-capita = 500000 / 2
    assert "入户调查核实家庭收入高于当地标准" in text and "复核" in text

    letter = await app.get(f"/household/v1/notices/{notice['id']}/letter")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "refusal-letter.pdf"
    pdf.write_bytes(letter.content)
    from pypdf import PdfReader

    extracted = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    squeezed = "".join(extracted.split())
    assert "不予临时救助决定书" in squeezed
    assert "250000.00" in squeezed and "R-CAT-3" in squeezed
    assert "入户调查核实家庭收入高于当地标准" in squeezed
    assert body["household"][0]["name"] not in squeezed  # the letter names the case, not the person
    pdftoppm = await asyncio.to_thread(_pdftoppm)
    await asyncio.to_thread(
        subprocess.run,
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / "refusal-letter"),
        ],
        check=True,
    )
    assert (ARTIFACTS / "refusal-letter.png").stat().st_size > 10_000


async def test_nothing_is_sent_without_a_phone_on_file(app, sms_gateway):
    case_id, _ = await _submitted(app, application(phone=None))
    notice = await _notice(app, case_id, "accepted", "no_phone")
    assert notice["sent_at"] is None and notice["attempts"] == 0
    assert notice["id"] not in {m["message_id"] for m in await _received(sms_gateway)}


async def test_a_household_that_opted_out_gets_no_sms(app, sms_gateway):
    case_id, _ = await _submitted(app, application())
    await _notice(app, case_id, "accepted", "sent")
    opted = await app.put(f"/household/v1/cases/{case_id}/sms-opt-out", json={"opt_out": True})
    assert opted.status_code == 200 and opted.json()["sms_opt_out"] is True
    returned = await review(app, case_id, opinion="returned", reasons="缺少医疗费用票据原件")
    if returned.status_code != 200:  # the case may not have reached approval yet
        await pending_case_wait(app, case_id)
        returned = await review(app, case_id, opinion="returned", reasons="缺少医疗费用票据原件")
    assert returned.status_code == 200, returned.text
    notice = await _notice(app, case_id, "documents_missing", "opted_out")
    assert "缺少医疗费用票据原件" in notice["sms_text"]
    assert notice["id"] not in {m["message_id"] for m in await _received(sms_gateway)}


async def pending_case_wait(app: httpx.AsyncClient, case_id: str) -> None:
    async def arrived() -> bool:
        return (await app.get(f"/approval/v1/cases/{case_id}")).status_code == 200

    await eventually(arrived, what="the case to reach approval")


async def test_a_busy_gateway_is_retried_with_backoff_until_it_accepts(app, sms_gateway):
    async with httpx.AsyncClient(trust_env=False) as c:
        await c.post(f"{sms_gateway}/control", json={"fail_next": 2})
    case_id, _ = await _submitted(app, application())
    notice = await _notice(app, case_id, "accepted", "sent")
    assert notice["attempts"] == 3 and notice["last_error"] is None
    assert [m["message_id"] for m in await _received(sms_gateway)].count(notice["id"]) == 1


class TestStatusQueries:
    async def test_the_platform_gets_a_public_safe_status_with_the_right_verifier(self, app):
        body = application()
        case_id, case_no = await _submitted(app, body)
        await _notice(app, case_id, "accepted", "sent", "queued")
        verifier = body["household"][0]["id_number"]
        r = await app.post(
            "/household/v1/status-queries", json={"case_no": case_no, "id_number": verifier}, headers=PLATFORM
        )
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["case_no"] == case_no and view["stage"] in ("accepted", "under_review")
        assert view["office"] and view["next_step"]
        dumped = json.dumps(view, ensure_ascii=False)
        for personal in (verifier, body["phone"], body["household"][0]["name"], body["address"]["detail"]):
            assert personal not in dumped

    async def test_a_wrong_verifier_gets_the_same_404_as_an_unknown_case(self, app):
        body = application()
        case_id, case_no = await _submitted(app, body)
        await _notice(app, case_id, "accepted", "sent", "queued")
        other = application()["household"][0]["id_number"]
        wrong = await app.post(
            "/household/v1/status-queries", json={"case_no": case_no, "id_number": other}, headers=PLATFORM
        )
        unknown = await app.post(
            "/household/v1/status-queries",
            json={"case_no": "NO-SUCH-CASE", "id_number": other},
            headers=auth("another-platform", "gov_system"),
        )
        assert wrong.status_code == unknown.status_code == 404
        assert wrong.json()["detail"] == unknown.json()["detail"]
        assert other not in wrong.text

    async def test_repeated_wrong_verifiers_from_one_system_are_refused_with_retry_after(self, app):
        body = application()
        case_id, case_no = await _submitted(app, body)
        await _notice(app, case_id, "accepted", "sent", "queued")
        source = auth("guessing-system", "gov_system")
        for _ in range(3):
            r = await app.post(
                "/household/v1/status-queries",
                json={"case_no": case_no, "id_number": application()["household"][0]["id_number"]},
                headers=source,
            )
            assert r.status_code == 404
        right = {"case_no": case_no, "id_number": body["household"][0]["id_number"]}
        limited = await app.post("/household/v1/status-queries", json=right, headers=source)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        other_system = await app.post("/household/v1/status-queries", json=right, headers=PLATFORM)
        assert other_system.status_code == 200

    async def test_only_a_government_system_may_ask(self, app):
        r = await app.post("/household/v1/status-queries", json={"case_no": "X-1", "id_number": "1" * 18})
        assert r.status_code == 403


async def test_status_changes_are_pushed_to_a_subscribed_system_by_signed_webhook(app):
    receiver = WebhookReceiver()
    try:
        created = await app.post(
            "/household/v1/subscribers",
            json={"name": "山西政务服务平台", "url": receiver.url},
            headers=auth("admin", "policy_admin"),
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        body = application()
        _, case_no = await _submitted(app, body)

        async def pushed() -> list[dict[str, Any]] | None:
            got = [e for e in receiver.events("case-status-changed.v1") if e["data"]["case_no"] == case_no]
            return got if "accepted" in {e["data"]["stage"] for e in got} else None

        events = await eventually(pushed, what="the status push")
        assert receiver.bad_signatures == 0  # every push was signed with the subscriber's secret
        pushed_text = json.dumps(events[0], ensure_ascii=False)
        for personal in (body["phone"], body["household"][0]["id_number"], body["household"][0]["name"]):
            assert personal not in pushed_text
    finally:
        receiver.close()


async def test_a_subscriber_inside_our_network_is_refused_naming_the_url(app):
    """SSRF at registration: private, link-local (cloud metadata), plain-http and internal names are a 422
    naming ``url``, and nothing is registered."""
    admin = auth("admin", "policy_admin")
    for url in (
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://metadata.google.internal/x",
        "http://status.example.org/hook",
        "https://user:pw@status.example.org/hook",
    ):
        refused = await app.post(
            "/household/v1/subscribers", json={"name": "内网", "url": url}, headers=admin
        )
        assert refused.status_code == 422, (url, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["url"], url
    listed = await app.get("/household/v1/subscribers", headers=admin)
    assert not {s["url"] for s in listed.json()} & {"https://10.0.0.5/hook", "http://status.example.org/hook"}


async def _deliveries_of_case(app: httpx.AsyncClient, subscriber_id: str, case_no: str) -> list[Delivery]:
    """The webhook deliveries to one subscriber that carry this case's status (read as the service does)."""
    runtime = app.app.state.runtimes["household"]  # type: ignore[attr-defined]
    async with runtime.reading() as session:
        rows = await household_repo.deliveries_for(session, subscriber_id)
    return [d for d in rows if d.envelope["data"]["case_no"] == case_no]


async def test_a_name_that_resolves_inside_at_delivery_is_refused_and_nothing_is_sent(app):
    """SSRF / DNS rebinding: this machine's host name passes registration (a name over https, not an
    address) but resolves to this machine when the push is made; the delivery-time check refuses it, the
    attempt is recorded as failed, and the real receiver listening there gets nothing."""
    name = socket.gethostname()
    resolved = {ipaddress.ip_address(i[4][0].split("%")[0]) for i in socket.getaddrinfo(name, 443)}
    if all(a.is_global for a in resolved):
        pytest.skip(f"{name} resolves to a public address here")
    receiver = WebhookReceiver()  # listening on 127.0.0.1: where the name points now
    try:
        port = receiver.server.server_address[1]
        created = await app.post(
            "/household/v1/subscribers",
            json={"name": "重新解析测试平台", "url": f"https://{name}:{port}/hooks/assistance"},
            headers=auth("admin", "policy_admin"),
        )
        assert created.status_code == 201, created.text  # a public-looking name: accepted at registration
        receiver.secret = created.json()["secret"]
        _, case_no = await _submitted(app, application())

        async def attempted() -> list[Delivery] | None:
            rows = await _deliveries_of_case(app, created.json()["id"], case_no)
            return rows if rows and rows[0].attempts >= 1 else None

        [delivery, *_] = await eventually(attempted, what="the refused delivery attempt")
        assert delivery.status is not DeliveryStatus.delivered and delivery.last_status is None
        assert delivery.last_error == "refused: resolves to a non-public address"
        assert receiver.requests == []
    finally:
        receiver.close()


async def test_a_push_goes_to_the_address_checked_with_the_registered_host_name(app):
    """The connection is made to the address resolved and checked at delivery (no second lookup to
    rebind), while the receiver still sees the host name it was registered with."""
    receiver = WebhookReceiver()
    try:
        port = receiver.server.server_address[1]
        created = await app.post(
            "/household/v1/subscribers",
            json={"name": "本机名称测试平台", "url": f"http://localhost:{port}/hooks/assistance"},
            headers=auth("admin", "policy_admin"),
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        _, case_no = await _submitted(app, application())

        async def pushed() -> list[dict[str, Any]] | None:
            got = [e for e in receiver.events("case-status-changed.v1") if e["data"]["case_no"] == case_no]
            return got or None

        await eventually(pushed, what="the status push to localhost")
        assert receiver.bad_signatures == 0
        assert {r["headers"]["host"] for r in receiver.requests} == {f"localhost:{port}"}

        async def recorded() -> list[Delivery] | None:
            rows = await _deliveries_of_case(app, created.json()["id"], case_no)
            return rows if rows and rows[0].status is not DeliveryStatus.pending else None

        [delivery, *_] = await eventually(recorded, what="the delivery's outcome")
        assert delivery.status is DeliveryStatus.delivered and delivery.last_error is None
    finally:
        receiver.close()


async def test_no_personal_data_reaches_the_logs(app, caplog):
    caplog.set_level(logging.DEBUG)
    body = application(phone="13912345678")
    case_id, case_no = await _submitted(app, body)
    await _notice(app, case_id, "accepted", "sent")
    id_number = body["household"][0]["id_number"]
    for verifier in (id_number, application()["household"][0]["id_number"]):
        await app.post(
            "/household/v1/status-queries",
            json={"case_no": case_no, "id_number": verifier},
            headers=auth("log-check-system", "gov_system"),
        )
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "notice attempt" in logged  # the notifier did log, without the person
    for personal in ("13912345678", id_number, body["household"][0]["name"]):
        assert personal not in logged


async def test_the_status_asyncapi_document_names_the_topic_and_its_payload(app):
    r = await app.get("/household/v1/asyncapi.json", headers=PLATFORM)
    assert r.status_code == 200
    doc = r.json()
    assert doc["channels"]["statusTopic"]["address"] == "assistance.household.status.v1"
    assert "CaseStatusChanged" in doc["components"]["messages"]
    assert "id_number" not in doc["components"]["schemas"]["CaseStatusChanged"]["properties"]


async def test_an_approved_case_is_told_the_amount_the_months_and_the_stages(app, sms_gateway):
    """R-AMT-1, R-FLOW-4: the approval notice states the amount, how it was counted and when it is paid."""
    case_id, case = await pending_case(app, application())
    assert case["eligible"] is True
    reviewed = await review(app, case_id)
    assert reviewed.status_code == 200, reviewed.text
    decided = await app.post(
        f"/approval/v1/cases/{case_id}/decision",
        json={"decision": "approved", "reasons": "符合条件", "confirm_extended_duration": True},
    )
    assert decided.status_code == 200, decided.text
    notice = await _notice(app, case_id, "approved", "sent")
    amount = f"{Decimal(str(case['assessed_amount'])):.2f}"  # approved as assessed
    text = notice["sms_text"]
    assert "批准" in text and f"救助金额{amount}元" in text and "个月" in text and "第1期" in text
    letter = await app.get(f"/household/v1/notices/{notice['id']}/letter")
    assert letter.status_code == 200
    from io import BytesIO

    from pypdf import PdfReader

    extracted = "".join("".join(p.extract_text().split()) for p in PdfReader(BytesIO(letter.content)).pages)
    assert "临时救助决定书" in extracted and "R-AMT-1" in extracted
    assert "不予" not in extracted


async def test_the_figures_count_notices_by_kind_and_delivery_status(app):
    """R-OVS-1: how many households were told, and how many could not be reached (no phone)."""
    before = (await app.get("/household/v1/figures")).json()
    case_id, _ = await _submitted(app, application(phone=None))
    await _notice(app, case_id, "accepted", "no_phone")
    after = await app.get("/household/v1/figures")
    assert after.status_code == 200, after.text
    body = after.json()
    assert body["totals"].get("no_phone", 0) == before["totals"].get("no_phone", 0) + 1
    assert body["totals"]["notices"] == before["totals"]["notices"] + 1
    assert any(k["kind"] == "accepted" for k in body["by_kind"])
    csv = await app.get("/household/v1/figures", params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
