"""A service that cannot answer, for intake's person export (R-RIGHTS-1), run as its own process on
127.0.0.1 (Starlette under uvicorn): every ``POST /<service>/v1/person-data`` answers 500 problem+json. It
checks what it receives independently of the code under test — a bearer token in the header, the ID number
in the JSON body and never in the URL — and says so at GET /control/received (paths and checks only; the
ID number only as its last 4).

    python tests/service/fake_failing_peer.py --port P    # prints "port <n>" when listening
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

RECEIVED: list[dict[str, Any]] = []


async def person_data(request: Request) -> JSONResponse:
    body = await request.json()
    number = body.get("id_number") if isinstance(body, dict) else None
    RECEIVED.append(
        {
            "path": request.url.path,
            "bearer": (request.headers.get("authorization") or "").startswith("Bearer "),
            "id_in_body": isinstance(number, str) and re.fullmatch(r"\d{17}[\dX]", number) is not None,
            "id_in_url": isinstance(number, str) and number in str(request.url),
            "id_last4": number[-4:] if isinstance(number, str) else None,
        }
    )
    problem = {"type": "about:blank", "title": "internal error", "status": 500}
    return JSONResponse(problem, status_code=500, media_type="application/problem+json")


async def received(request: Request) -> JSONResponse:
    return JSONResponse(RECEIVED)


app = Starlette(
    routes=[
        Route("/{service}/v1/person-data", person_data, methods=["POST"]),
        Route("/control/received", received, methods=["GET"]),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    print(f"port {args.port}", flush=True)
    sys.stdout.flush()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
