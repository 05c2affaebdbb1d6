"""An S3-compatible object store for the tests, run as its own process on 127.0.0.1: it keeps objects in
memory (PUT/GET/DELETE /<bucket>/<key>, path-style) and checks every request's AWS Signature Version 4
independently of the code under test (its own canonical request from what it received, the access key it
was given, the payload's SHA-256 against x-amz-content-sha256, the date within 15 minutes); a bad
signature is 403 SignatureDoesNotMatch. GET /control/received lists what it accepted (method, path,
signed headers).

    python tests/service/fake_s3.py --access-key A --secret-key S --region R   # prints "port <n>"
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.server
import json
import re
import sys
import threading
from urllib.parse import urlsplit

LOCK = threading.Lock()
OBJECTS: dict[str, bytes] = {}
RECEIVED: list[dict[str, str]] = []
ACCESS, SECRET, REGION = "", "", ""
AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def expected_signature(method: str, path: str, headers: dict[str, str], signed: list[str], day: str) -> str:
    payload_hash = headers["x-amz-content-sha256"]
    canonical = "\n".join(
        [method, path, "", *(f"{h}:{headers[h].strip()}" for h in signed), "", ";".join(signed), payload_hash]
    )
    scope = f"{day}/{REGION}/s3/aws4_request"
    string = "\n".join(
        ["AWS4-HMAC-SHA256", headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{SECRET}".encode()
    for part in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string.encode(), hashlib.sha256).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", kind: str = "application/xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, code: str, status: int = 403) -> None:
        self._answer(status, f"<Error><Code>{code}</Code></Error>".encode())

    def _checked(self, payload: bytes) -> bool:
        headers = {k.lower(): v for k, v in self.headers.items()}
        match = AUTH.match(headers.get("authorization", ""))
        if not match or match["key"] != ACCESS or match["region"] != REGION:
            self._refuse("InvalidAccessKeyId")
            return False
        signed = match["signed"].split(";")
        if not {"host", "x-amz-date", "x-amz-content-sha256"} <= set(signed) or signed != sorted(signed):
            self._refuse("SignatureDoesNotMatch")
            return False
        if headers.get("x-amz-content-sha256") != hashlib.sha256(payload).hexdigest():
            self._refuse("XAmzContentSHA256Mismatch", 400)
            return False
        when = dt.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        if abs((dt.datetime.now(dt.UTC) - when).total_seconds()) > 900 or match["day"] != when.strftime(
            "%Y%m%d"
        ):
            self._refuse("RequestTimeTooSkewed")
            return False
        path = urlsplit(self.path).path
        if not hmac.compare_digest(
            expected_signature(self.command, path, headers, signed, match["day"]), match["sig"]
        ):
            self._refuse("SignatureDoesNotMatch")
            return False
        with LOCK:
            RECEIVED.append({"method": self.command, "path": path, "signed": match["signed"]})
        return True

    def _payload(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_PUT(self) -> None:
        payload = self._payload()
        if self._checked(payload):
            with LOCK:
                OBJECTS[urlsplit(self.path).path] = payload
            self._answer(200)

    def do_GET(self) -> None:
        if self.path == "/control/received":
            with LOCK:
                body = json.dumps({"received": RECEIVED, "objects": {k: len(v) for k, v in OBJECTS.items()}})
            self._answer(200, body.encode(), "application/json")
            return
        if self._checked(b""):
            with LOCK:
                found = OBJECTS.get(urlsplit(self.path).path)
            if found is None:
                self._refuse("NoSuchKey", 404)
            else:
                self._answer(200, found, "application/octet-stream")

    def do_DELETE(self) -> None:
        if self._checked(b""):
            with LOCK:
                OBJECTS.pop(urlsplit(self.path).path, None)
            self._answer(204)


def main() -> None:
    global ACCESS, SECRET, REGION
    parser = argparse.ArgumentParser()
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args()
    ACCESS, SECRET, REGION = args.access_key, args.secret_key, args.region
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
