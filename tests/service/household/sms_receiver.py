"""A stand-in SMS gateway, run as its own process on 127.0.0.1 (``python sms_receiver.py KEY``): it checks
every request against the gateway contract (path, JSON fields, fresh timestamp, HMAC signature) and
answers 401/422 to a bad one; ``POST /control {"fail_next": n}`` makes it answer 503 to the next n
messages. ``GET /received`` lists the messages it accepted; ``GET /rejected`` counts the bad requests.
Prints its port on the first line of stdout."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import re
import sys
import time
import uuid
from typing import Any

KEY = sys.argv[1]
STATE: dict[str, Any] = {"received": [], "rejected": 0, "fail_next": 0, "attempts": 0}


def _check(headers: Any, body: bytes) -> int:
    ts = headers.get("x-timestamp", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
        return 401
    expected = "sha256=" + hmac.new(KEY.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("x-signature", "")):
        return 401
    try:
        msg = json.loads(body)
    except ValueError:
        return 422
    if set(msg) != {"message_id", "to", "sign_name", "text"} or not re.fullmatch(r"\+?\d{7,15}", msg["to"]):
        return 422
    if not msg["text"] or headers.get("idempotency-key") != msg["message_id"]:
        return 422
    return 202


class Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # http.server API
        if self.path == "/received":
            self._answer(200, STATE["received"])
        else:
            self._answer(200, {"rejected": STATE["rejected"], "attempts": STATE["attempts"]})

    def do_POST(self) -> None:  # http.server API
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/control":
            STATE["fail_next"] = json.loads(body)["fail_next"]
            self._answer(200, {})
            return
        if self.path != "/v1/messages":
            self._answer(404, {"error": "unknown path"})
            return
        STATE["attempts"] += 1
        status = _check(self.headers, body)
        if status != 202:
            STATE["rejected"] += 1
            self._answer(status, {"error": "bad request"})
            return
        if STATE["fail_next"] > 0:
            STATE["fail_next"] -= 1
            self._answer(503, {"error": "busy"})
            return
        msg = json.loads(body)
        if all(m["message_id"] != msg["message_id"] for m in STATE["received"]):
            STATE["received"].append(msg)
        self._answer(202, {"id": uuid.uuid4().hex, "status": "accepted"})

    def log_message(self, *args: Any) -> None:
        pass


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
