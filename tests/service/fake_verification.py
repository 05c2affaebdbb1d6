"""The city's verification system (核对) and source registry for the tests, run as its own process on
127.0.0.1 (a small Starlette app under uvicorn), implementing docs/verification.md. It checks what it
receives independently of the code under test — the bearer token, the Idempotency-Key (= the request's
``reference``), every member's resident ID number (18 characters, GB 11643 check character) — and answers
422/401 for a bad request (recorded in ``refused``). On demand (POST /control/plan, keyed by the first
member's ID number; ``send``/``poll`` for the economic request, ``registry_send``/``registry_poll`` for the
registry check) it answers 500, times out (sleeps beyond the client's timeout), or keeps the answer
pending (for a late answer delivered by the test); otherwise it answers the planned figures on the first
poll. GET /control/received says what it got (counts and refusals; ID numbers only as their last 4).

    python tests/service/fake_verification.py --token T --port P    # prints "port <n>" when listening
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import uuid
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = ""
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
PLAN: dict[str, dict[str, Any]] = {}
REQUESTS: dict[str, dict[str, Any]] = {}  # request id -> {kind, ids, first, reference}
BY_REFERENCE: dict[str, str] = {}
RECEIVED: dict[str, Any] = {"posts": 0, "polls": 0, "errors_answered": 0, "timeouts": 0, "refused": []}
ZERO = {
    "annual_income": "0.00",
    "deposits": "0.00",
    "vehicles": 0,
    "vehicle_value": "0.00",
    "houses": 0,
    "business_registrations": 0,
}


def valid_id(number: object) -> bool:
    if not isinstance(number, str) or not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


def refuse(status: int, why: str) -> JSONResponse:
    RECEIVED["refused"].append(why)
    return JSONResponse({"title": why}, status_code=status)


async def create(request: Request) -> JSONResponse:
    kind = "economic" if request.url.path.startswith("/verification/") else "registry"
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return refuse(401, "bad token")
    body = await request.json()
    members = body.get("members")
    if not isinstance(members, list) or not members or not all(valid_id(m.get("id_number")) for m in members):
        return refuse(422, "members must be a list of valid resident ID numbers")
    if not re.fullmatch(r"\d{6}", str(body.get("county_code"))) or not body.get("reference"):
        return refuse(422, "county_code and reference are required")
    if request.headers.get("idempotency-key") != body["reference"]:
        return refuse(422, "Idempotency-Key must be the request's reference")
    ids = [m["id_number"] for m in members]
    plan = PLAN.get(ids[0], {})
    RECEIVED["posts"] += 1
    send = plan.get("send" if kind == "economic" else "registry_send")
    if send == "error500":
        RECEIVED["errors_answered"] += 1
        return JSONResponse({"title": "internal error"}, status_code=500)
    if send == "timeout":
        RECEIVED["timeouts"] += 1
        await asyncio.sleep(5)  # well beyond the client's timeout
    key = f"{kind}:{body['reference']}"
    if key not in BY_REFERENCE:  # the same reference again: the same request (idempotent)
        request_id = f"{'vr' if kind == 'economic' else 'rg'}-{uuid.uuid4().hex[:16]}"
        BY_REFERENCE[key] = request_id
        REQUESTS[request_id] = {"kind": kind, "ids": ids, "first": ids[0], "reference": body["reference"]}
    return JSONResponse({"request_id": BY_REFERENCE[key], "status": "pending"}, status_code=202)


async def poll(request: Request) -> JSONResponse:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return refuse(401, "bad token")
    found = REQUESTS.get(request.path_params["request_id"])
    if found is None:
        return JSONResponse({"title": "no such request"}, status_code=404)
    RECEIVED["polls"] += 1
    plan = PLAN.get(found["first"], {})
    if plan.get("poll" if found["kind"] == "economic" else "registry_poll") == "pending":
        return JSONResponse({"status": "pending"}, status_code=202)
    if found["kind"] == "economic":
        figures = plan.get("figures", {})
        members = [{"id_number": i, **ZERO, **figures.get(i, {})} for i in found["ids"]]
    else:
        statuses = plan.get("registry", {})
        members = [
            {"id_number": i, "dibao": False, "tekun": False, "jiandang": False, **statuses.get(i, {})}
            for i in found["ids"]
        ]
    return JSONResponse(
        {"request_id": request.path_params["request_id"], "status": "answered", "members": members}
    )


async def set_plan(request: Request) -> JSONResponse:
    PLAN.update(await request.json())
    return JSONResponse({"planned": len(PLAN)})


async def received(request: Request) -> JSONResponse:
    requests = {
        rid: {"kind": r["kind"], "reference": r["reference"], "members_last4": [i[-4:] for i in r["ids"]]}
        for rid, r in REQUESTS.items()
    }
    return JSONResponse({**RECEIVED, "requests": requests})


app = Starlette(
    routes=[
        Route("/verification/v1/requests", create, methods=["POST"]),
        Route("/verification/v1/requests/{request_id}", poll, methods=["GET"]),
        Route("/registry/v1/status-checks", create, methods=["POST"]),
        Route("/registry/v1/status-checks/{request_id}", poll, methods=["GET"]),
        Route("/control/plan", set_plan, methods=["POST"]),
        Route("/control/received", received, methods=["GET"]),
    ]
)


def main() -> None:
    global TOKEN
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    TOKEN = args.token
    print(f"port {args.port}", flush=True)
    sys.stdout.flush()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
