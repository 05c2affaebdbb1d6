"""A bank's 代发 gateway for the tests, run as its own process on 127.0.0.1 over HTTPS: it takes batch
files (PUT /daifa/batches/<batch_no>), checks them independently of the code under test (GBK, CRLF,
header/detail/trailer layout of docs/bank-file.md, control count and total, SHA-256 of the detail lines,
the upload's SHA-256 header, the bearer token) and answers 422 for a bad file; it then serves the return
file (GET /daifa/returns/<batch_no>), failing the references it was told to fail
(POST /control/failures), the payer account's statement (GET /daifa/statements/<account>/<from>-<to>),
and a summary of what it received (GET /control/received).

    python tests/service/fake_bank.py --cert C --key K --token T    # prints "port <n>" when listening
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import re
import ssl
import sys
import threading
from decimal import Decimal
from typing import Any

LOCK = threading.Lock()
RECEIVED: dict[str, dict[str, Any]] = {}
FAIL: dict[str, list[str]] = {}  # reference -> [status, code, text], used by the first batch holding it
TOKEN = ""


class Refused(Exception):
    pass


def check(batch_no: str, body: bytes) -> dict[str, Any]:
    if not body.endswith(b"\r\n"):
        raise Refused("the file must end with CRLF")
    raw = body[:-2].split(b"\r\n")
    try:
        lines = [r.decode("gbk") for r in raw]
    except UnicodeDecodeError as exc:
        raise Refused("not GBK") from exc
    head, details, tail = lines[0].split("|"), lines[1:-1], lines[-1].split("|")
    if head[0] != "H" or len(head) != 8 or head[1] != batch_no or head[7] != "CNY":
        raise Refused(f"bad header {head[:2]}")
    if tail[0] != "T" or len(tail) != 4:
        raise Refused("bad trailer")
    total, items = Decimal("0.00"), []
    for n, line in enumerate(details, start=1):
        f = line.split("|")
        if len(f) != 7 or f[0] != "D" or f[1] != str(n):
            raise Refused(f"bad detail line {n}")
        if not re.fullmatch(r"\d{8,30}", f[2]) or not re.fullmatch(r"\d+\.\d{2}", f[4]) or not f[3]:
            raise Refused(f"bad account, name or amount on detail line {n}")
        if f[6] != "临时救助金":
            raise Refused(f"bad purpose on detail line {n}")
        total += Decimal(f[4])
        items.append({"seq": n, "account": f[2], "amount": f[4], "reference": f[5]})
    if not (head[5] == tail[1] == str(len(details))):
        raise Refused("control count does not match the detail lines")
    if not (head[6] == tail[2] == f"{total:.2f}"):
        raise Refused("control total does not match the detail lines")
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw[1:-1])).hexdigest()
    if tail[3] != digest:
        raise Refused("checksum does not match the detail lines")
    return {
        "count": len(details),
        "total": f"{total:.2f}",
        "checksum": digest,
        "items": items,
        "date": head[2],
        "payer": head[3],
    }


def return_file(batch_no: str) -> bytes:
    got = RECEIVED[batch_no]
    details = []
    for item in got["items"]:
        status, code, text = got["outcomes"].get(item["reference"], ["S", "", ""])
        details.append(
            f"D|{item['seq']}|{item['reference']}|{item['account']}|{item['amount']}|{status}|{code}|{text}"
        )
    raw = [d.encode("gbk") for d in details]
    head = f"H|{batch_no}|20261201|{len(details)}".encode()
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw)).hexdigest()
    tail = f"T|{len(details)}|{got['total']}|{digest}"
    return b"\r\n".join([head, *raw, tail.encode()]) + b"\r\n"


def statement(payer: str, start: str, end: str) -> bytes:
    """The payer account's statement: a debit per transfer paid or returned, a credit per return."""
    moves = []
    for got in RECEIVED.values():
        if got["payer"] != payer or not start <= got["date"] <= end:
            continue
        for item in got["items"]:
            status = got["outcomes"].get(item["reference"], ["S"])[0]
            if status in ("S", "R"):
                moves.append((got["date"], item["reference"], "DR", item["amount"], item["account"]))
            if status == "R":
                moves.append((got["date"], item["reference"], "CR", item["amount"], item["account"]))
    raw = [
        f"D|{n}|{d}|{ref}|{way}|{amt}|{acct}".encode() for n, (d, ref, way, amt, acct) in enumerate(moves, 1)
    ]
    debits = sum((Decimal(m[3]) for m in moves if m[2] == "DR"), Decimal("0.00"))
    credits = sum((Decimal(m[3]) for m in moves if m[2] == "CR"), Decimal("0.00"))
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw)).hexdigest()
    head = f"H|{payer}|{start}|{end}|{len(raw)}".encode()
    tail = f"T|{len(raw)}|{debits:.2f}|{credits:.2f}|{digest}".encode()
    return b"\r\n".join([head, *raw, tail]) + b"\r\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._answer(status, json.dumps(value, ensure_ascii=False).encode())

    def do_PUT(self) -> None:  # http.server API
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        match = re.fullmatch(r"/daifa/batches/([A-Za-z0-9-]{1,32})", self.path)
        if self.headers.get("authorization") != f"Bearer {TOKEN}":
            return self._json(401, {"error": "bad token"})
        if match is None:
            return self._json(404, {"error": "no such endpoint"})
        if self.headers.get("x-content-sha256") != hashlib.sha256(body).hexdigest():
            return self._json(422, {"error": "the upload's SHA-256 does not match its content"})
        try:
            got = check(match.group(1), body)
        except Refused as exc:
            return self._json(422, {"error": str(exc)})
        with LOCK:
            before = RECEIVED.get(match.group(1))
            if before is not None:
                same = before["checksum"] == got["checksum"]
                return self._json(200 if same else 409, {"accepted": same, "duplicate": True})
            got["outcomes"] = {
                i["reference"]: FAIL.pop(i["reference"]) for i in got["items"] if i["reference"] in FAIL
            }
            got["uploads"] = 1
            RECEIVED[match.group(1)] = got
        return self._json(200, {"accepted": True, "count": got["count"], "total": got["total"]})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path != "/control/failures":
            return self._json(404, {"error": "no such endpoint"})
        with LOCK:
            FAIL.update(json.loads(body))
        return self._json(200, {"failing": len(FAIL)})

    def do_GET(self) -> None:
        match = re.fullmatch(r"/daifa/returns/([A-Za-z0-9-]{1,32})", self.path)
        if match and match.group(1) in RECEIVED:
            return self._answer(200, return_file(match.group(1)), "text/plain; charset=GBK")
        wanted = re.fullmatch(r"/daifa/statements/(\d{8,30})/(\d{8})-(\d{8})", self.path)
        if wanted:
            with LOCK:
                body = statement(*wanted.groups())
            return self._answer(200, body, "text/plain; charset=GBK")
        if self.path == "/control/received":
            with LOCK:
                summary = {
                    k: {"count": v["count"], "total": v["total"], "checksum": v["checksum"]}
                    for k, v in RECEIVED.items()
                }
            return self._json(200, summary)
        return self._json(404, {"error": "not found"})

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    global TOKEN
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    TOKEN = args.token
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
