"""Test data: valid resident ID numbers and application bodies, and a wait helper."""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import os
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from shared import idnumber

T = TypeVar("T")

# --- access tokens: every service trusts the development issuer whose key is in this folder ---
DEV_KEY_DIR = os.environ.setdefault(
    "ASSISTANCE_AUTH_DEV_KEY_DIR", str(Path(__file__).resolve().parents[1] / ".run" / "test-dev-issuer")
)
ALL_STAFF = [
    "intake_clerk",
    "township_reviewer",
    "township_approver",
    "county_approver",
    "finance_officer",
    "auditor",
    "policy_admin",
]


@functools.cache
def _issuer() -> Any:
    from shared.auth import DevIssuer

    return DevIssuer(Path(DEV_KEY_DIR), "assistance-api")


def token(
    subject: str,
    *roles: str,
    county: str | None = None,
    township: str | None = None,
    partner: str | None = None,
    **kw: Any,
) -> str:
    return _issuer().mint(
        subject, list(roles), county_code=county, township_code=township, partner_id=partner, **kw
    )


def auth(subject: str, *roles: str, **kw: Any) -> dict[str, str]:
    """Headers of a caller with ``roles`` (city-wide unless ``county``/``township`` are given)."""
    return {"Authorization": f"Bearer {token(subject, *roles, **kw)}"}


def officer() -> dict[str, str]:
    """A city-wide officer holding every staff role: the default caller of the tests."""
    return auth("test-officer", *ALL_STAFF)


def reviewer() -> dict[str, str]:
    """A second person, who reviews (审核) so that the officer may approve (审批) (R-FLOW-1)."""
    return auth("test-reviewer", "township_reviewer")


def gov_system(name: str) -> dict[str, str]:
    """Headers of another government system (R-OVS-2): its token's subject is the referring system."""
    return auth(name, "gov_system")


def staff_client(**kwargs: Any) -> Any:
    """An HTTP client for the distributed services, calling as the test officer."""
    import httpx

    return httpx.AsyncClient(headers=officer(), **kwargs)


_seq = itertools.count(random.randint(1, 400) * 1000)


def resident_id(area: str = "140302", birth: str = "19800101") -> str:
    """A fresh, valid 18-character resident ID number (GB 11643 check character)."""
    first17 = f"{area}{birth}{next(_seq) % 1000:03d}"
    return first17 + idnumber.check_character(first17)


def unique_birth() -> str:
    n = next(_seq)
    return f"{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}"


def application(**overrides: Any) -> dict[str, Any]:
    """A consented, eligible medical expenditure case in 城区/上站街道, with a fresh household: it consents to
    sharing with charities and, separately, to sharing its health data (R-CHA-2, PIPL art. 29) — without the
    latter its medical need reaches no partner."""
    birth = unique_birth()
    body: dict[str, Any] = {
        "household": [
            {"name": "张小明", "id_number": resident_id(birth=birth), "relation": "self"},
            {"name": "李花", "id_number": resident_id(birth=birth), "relation": "spouse", "dibao": True},
        ],
        "phone": "13800000000",
        "address": {"county_code": "140302", "township_code": "140302001", "detail": "上站街道某路1号"},
        "category": "expenditure",
        "subtype": "medical",
        "incident": {"description": "住院治疗", "occurred_on": "2026-10-01", "ongoing": False},
        "persons_helped": 2,
        "annual_household_income": "20000.00",
        "property": {"deposits": "1000.00", "vehicles": 0, "vehicle_value": "0.00", "houses": 1},
        "medical": {
            "total_bills": "80000.00",
            "basic_insurance": "40000.00",
            "critical_illness_insurance": "10000.00",
            "commercial_insurance": "0.00",
            "medical_assistance": "5000.00",
        },
        "payee": {"name": "张小明", "bank": "中国工商银行", "account": "6222020200112233445"},
        "consents": {
            "verify_economic_situation": True,
            "share_with_charities": True,
            "share_health_data": True,
        },
    }
    for key, value in overrides.items():
        body[key] = value
    return copy.deepcopy(body)


def emergency_application(**overrides: Any) -> dict[str, Any]:
    body = application(
        category="emergency",
        subtype="fire_or_accident",
        medical=None,
        incident={"description": "房屋失火", "occurred_on": "2026-11-01", "ongoing": False},
    )
    body.update(overrides)
    return body


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a deadline that fails with `what`, not a cancellation
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.25,
    what: str = "condition",
) -> T:
    """The blocking twin of ``eventually`` for plain tests and fixtures (a server process coming up):
    poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


REVIEW = {"opinion": "approved", "reasons": "home visit done, papers complete (R-FLOW-1)"}
"""The review (审核) step that precedes every approval (审批) decision (R-FLOW-1)."""


async def review(
    client: Any,
    case_id: str,
    base: str = "",
    headers: dict[str, str] | None = None,
    intake_base: str | None = None,
    **overrides: Any,
) -> Any:
    """POST the review step of a case (as the test reviewer unless ``headers`` say who); returns the
    response. An approving review first completes the case archive (R-ARC-1, ``complete_archive``, as the
    client's own caller), as a township does before it reviews."""
    if {**REVIEW, **overrides}["opinion"] == "approved":
        await complete_archive(
            client, case_id, base=base if intake_base is None else intake_base, approval=base
        )
    return await client.post(
        f"{base}/approval/v1/cases/{case_id}/review",
        json={**REVIEW, **overrides},
        headers=headers or reviewer(),
    )


VISITOR = "test-visitor"
"""The second officer of the tests' home visits (R-ARC-1): the client's caller records, this one signs."""
BEFORE_REVIEW = ("intake", "investigation")
"""The checklist stages the seed's archive gate requires before an approving review (R-ARC-1)."""


async def record_home_visit(client: Any, case_id: str, base: str = "", **overrides: Any) -> dict[str, Any]:
    """A home-visit report recorded by the client's caller and signed by the second visitor (R-ARC-1)."""
    from shared import clock

    body = {
        "visited_on": clock.local_today().isoformat(),
        "second_visitor": VISITOR,
        "findings": "家中房屋受损，无其他收入来源",
        "living_conditions": "临时借住亲属家",
        **overrides,
    }
    recorded = await client.post(f"{base}/intake/v1/applications/{case_id}/home-visits", json=body)
    assert recorded.status_code == 201, recorded.text
    visit = recorded.json()
    signed = await client.post(
        f"{base}/intake/v1/applications/{case_id}/home-visits/{visit['id']}/confirmation",
        headers=auth(VISITOR, "township_reviewer"),
    )
    assert signed.status_code == 200, signed.text
    return signed.json()


async def complete_archive(
    client: Any,
    case_id: str,
    base: str = "",
    approval: str | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109 - eventually()
) -> None:
    """Record every archive item the case still lacks that is due before review (R-ARC-1): documents, and
    the home-visit report signed by two officers; then wait until approval (at ``approval``, default
    ``base``) knows nothing blocks, if the case has reached it."""
    archive = await client.get(f"{base}/intake/v1/applications/{case_id}/documents")
    assert archive.status_code == 200, archive.text
    for item in archive.json()["required"]:
        if item["recorded"] or item["stage"] not in BEFORE_REVIEW:
            continue
        if item["kind"] == "home_visit_report":
            await record_home_visit(client, case_id, base)
        else:
            created = await client.post(
                f"{base}/intake/v1/applications/{case_id}/documents", json=document_body(item["kind"])
            )
            assert created.status_code in (200, 201), created.text

    async def known() -> bool:
        r = await client.get(f"{base if approval is None else approval}/approval/v1/cases/{case_id}")
        if r.status_code == 404:
            return True  # not at approval (yet): nothing to wait for
        return (
            r.status_code == 200 and r.json()["archive"] is not None and not r.json()["archive"]["blocking"]
        )

    await eventually(known, timeout=timeout, what="approval to learn the case archive is complete")


def address(county_code: str, township_code: str) -> dict[str, str]:
    return {"county_code": county_code, "township_code": township_code, "detail": "某路1号"}


async def pending_case(
    client: Any,
    body: dict[str, Any],
    base: str = "",
    timeout: float = 30.0,  # noqa: ASYNC109 - eventually()
    headers: dict[str, str] | None = None,
) -> tuple[str, Any]:
    """Submit through intake (as ``headers`` say, else the client's caller) and wait until approval holds
    the assessed case; returns (case id, case)."""
    created = await client.post(f"{base}/intake/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    async def arrived():
        r = await client.get(f"{base}/approval/v1/cases/{case_id}")
        return r.json() if r.status_code == 200 else None

    return case_id, await eventually(arrived, timeout=timeout, what="the case to reach approval")


class WebhookReceiver:
    """A partner's webhook endpoint on 127.0.0.1 (a real HTTP server in a thread): verifies the Standard
    Webhooks signature, answers 500 to its first ``fail_first`` requests, and applies each ``webhook-id``
    once (``effects``), however often it is delivered (``requests``)."""

    def __init__(self, secret: str | None = None, fail_first: int = 0) -> None:
        import http.server
        import threading

        self.secret, self.fail_first = secret, fail_first
        self.requests: list[dict[str, Any]] = []
        self.effects: dict[str, dict[str, Any]] = {}
        self.bad_signatures = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server API
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = receiver.receive(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/assistance"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        import json as _json
        import time

        from shared.webhooks import verify

        headers = {k.lower(): v for k, v in headers.items()}
        self.requests.append({"headers": headers, "body": body})
        msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "0")
        if (
            self.secret is None
            or not stamp.isdigit()
            or abs(time.time() - int(stamp)) > 300
            or not verify(self.secret, msg_id, int(stamp), body, headers.get("webhook-signature", ""))
        ):
            self.bad_signatures += 1
            return 401
        if len(self.requests) <= self.fail_first:
            return 500
        self.effects.setdefault(msg_id, _json.loads(body))
        return 204

    def events(self, type_suffix: str = "") -> list[dict[str, Any]]:
        return [e for e in self.effects.values() if e["type"].endswith(type_suffix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def partner_auth(partner: dict[str, Any]) -> dict[str, str]:
    """The headers a registered partner calls the partner side (/referral/v1/partners/{id}/...) with."""
    return {"Authorization": f"Bearer {partner['api_key']}"}


def now(check: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """An async probe for ``eventually`` from a plain function."""

    async def probe() -> T:
        return check()

    return probe


def partner_body(**overrides: Any) -> dict[str, Any]:
    """A partner charity serving medical needs in one township (each test uses its own township)."""
    body: dict[str, Any] = {
        "name": f"阳泉慈善会-{next(_seq)}",
        "kind": "charity",
        "need_types": ["medical"],
        "service_areas": ["140302005"],
        "email": "help@charity.example",
        "uscc": "91350100M000100Y43",  # 统一社会信用代码 with a valid check character (GB 32100-2015)
    }
    body.update(overrides)
    return body


def same_household(earlier: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A new application body by the household of ``earlier`` (same people, same ID numbers)."""
    body = copy.deepcopy(earlier)
    body.update(copy.deepcopy(overrides))
    return body


def education_application(**overrides: Any) -> dict[str, Any]:
    """An eligible education expenditure case (R-CAT-2) with a fresh household."""
    body = application(
        subtype="education",
        medical=None,
        incident={"description": "大学入学", "occurred_on": "2026-09-01", "ongoing": False},
        education={
            "tuition": "6000.00",
            "accommodation": "1200.00",
            "living": "3000.00",
            "non_basic": "5000.00",
            "education_assistance": "2000.00",
        },
    )
    body.update(overrides)
    return body


def document_body(kind: str, **overrides: Any) -> dict[str, Any]:
    """An archive document record (R-ARC-1) with a fresh content hash."""
    import hashlib

    digest = hashlib.sha256(f"{kind}-{next(_seq)}".encode()).hexdigest()
    body: dict[str, Any] = {
        "kind": kind,
        "media_type": "application/pdf",
        "size_bytes": 123456,
        "sha256": digest,
        "storage_uri": f"s3://archive/{digest[:12]}.pdf",
        "metadata": {"pages": "3"},
        "recorded_by": "township-clerk",
    }
    body.update(overrides)
    return body


async def forget_county_coverage(db: Any, county_code: str, within: float = 30.0) -> None:
    """Intake has not heard of a county's policies yet: wait until assessment's policy-coverage events are
    out and intake holds the coverage (so they cannot re-add it), then drop the county from intake's copy.
    The next coverage event (a new policy version, a restart of assessment) brings it back. Every event out,
    not only one: a module's database is a copy of a template whose own start announced the coverage too,
    and the copy's start announces it again (the in-process bus publishes only once its consumers commit)."""

    async def arrived() -> bool:
        return bool(
            await db.fetchval(
                "SELECT EXISTS (SELECT 1 FROM intake.policy_coverage) AND NOT EXISTS (SELECT 1 FROM "
                "assessment.outbox WHERE event_type = 'gov.assistance.assessment.policy-coverage.v1' "
                "AND published_at IS NULL)"
            )
        )

    await eventually(arrived, timeout=within, what="intake to hold assessment's policy coverage")
    await db.execute("DELETE FROM intake.policy_coverage WHERE county_code = $1", county_code)
