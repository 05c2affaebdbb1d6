"""Shared by the bank-file tests: the fake bank as a real HTTPS server process on 127.0.0.1 (its own
self-signed certificate, trusted by the disbursement service through its CA-file setting), county bank
settings, and many approved cases with their bank-transfer payment instructions."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import secrets
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from tests.factories import address, application, auth, complete_archive, eventually, officer, pending_case

SERVER = Path(__file__).with_name("fake_bank.py")
SECOND = auth("finance-two", "finance_officer")
"""A second finance officer (four eyes)."""


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-bank.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "bank.crt", folder / "bank.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@dataclass
class FakeBank:
    base: str
    ca: str
    token: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base, verify=ssl.create_default_context(cafile=self.ca), timeout=30
        )

    async def fail(self, outcomes: dict[str, list[str]]) -> None:
        """{reference: [status F|R, reason code, reason text]} for the next batch holding each reference."""
        async with self.client() as c:
            (await c.post("/control/failures", json=outcomes)).raise_for_status()

    async def received(self) -> dict[str, Any]:
        async with self.client() as c:
            return (await c.get("/control/received")).json()

    async def statement(self, account: str, day: str) -> bytes:
        async with self.client() as c:
            answer = await c.get(f"/daifa/statements/{account}/{day}-{day}")
            answer.raise_for_status()
            return answer.content

    async def return_file(self, batch_no: str) -> bytes:
        async with self.client() as c:
            answer = await c.get(f"/daifa/returns/{batch_no}")
            answer.raise_for_status()
            return answer.content


@pytest.fixture
def fake_bank(standalone: httpx.AsyncClient, tmp_path: Path) -> Iterator[FakeBank]:
    """The bank, a real process; the disbursement service is pointed at it for the test."""
    cert, key = self_signed(tmp_path)
    token = secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--cert", str(cert), "--key", str(key), "--token", token],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("port "), line
        bank = FakeBank(f"https://127.0.0.1:{int(line.split()[1])}", str(cert), token)
        settings = standalone.app.state.runtimes["disbursement"].settings  # type: ignore[attr-defined]
        before = (settings.bank_upload_url, settings.bank_upload_token, settings.bank_ca_file)
        settings.bank_upload_url = f"{bank.base}/daifa/batches"
        settings.bank_upload_token = SecretStr(token)
        settings.bank_ca_file = str(cert)
        yield bank
        settings.bank_upload_url, settings.bank_upload_token, settings.bank_ca_file = before
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def ensure_settings(client: httpx.AsyncClient, county: str, **overrides: Any) -> dict[str, Any]:
    """The county's bank settings from 2026-01-01 (set once per test database)."""
    body = {
        "effective_from": "2026-01-01",
        "payer_account": "0502020009022100001",
        "payer_name": "盂县财政局",
        **overrides,
    }
    answer = await client.put(f"/disbursement/v1/counties/{county}/bank-settings", json=body)
    assert answer.status_code in (201, 409), answer.text
    return body


async def approved_transfers(client: httpx.AsyncClient, township: str, n: int) -> list[dict[str, Any]]:
    """``n`` cases of ``township`` through intake, assessment, review and approval; their payments."""
    county = township[:6]
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> str:
        async with gate:
            body = application(address=address(county, township))
            body["household"][0]["name"] = ["张小明", "李建国", "王芳", "赵丽华", "欧阳明月"][i % 5]
            body["payee"] = {
                "name": body["household"][0]["name"],
                "bank": "中国工商银行",
                "account": f"62220202{i:011d}",
            }
            case_id, _ = await pending_case(client, body, timeout=120)
            await complete_archive(client, case_id, timeout=120)  # R-ARC-1: before an approving review
            return case_id

    case_ids = await asyncio.gather(*(one(i) for i in range(n)))
    reviewed = await client.post(
        "/approval/v1/reviews:batch",
        json={
            "items": [
                {"case_id": c, "opinion": "approved", "reasons": "home visit done (R-FLOW-1)"}
                for c in case_ids
            ]
        },
        headers=auth("test-reviewer", "township_reviewer"),
    )
    assert reviewed.json()["succeeded"] == n, reviewed.text
    decided = await client.post(
        "/approval/v1/decisions:batch",
        json={
            "items": [
                {
                    "case_id": c,
                    "decision": "approved",
                    "reasons": "meets R-CAT-3",
                    "confirm_extended_duration": True,
                }
                for c in case_ids
            ]
        },
        headers=officer(),
    )
    assert decided.json()["succeeded"] == n, decided.text

    async def payments() -> list[dict[str, Any]] | None:
        found = []
        for c in case_ids:
            rows = (await client.get(f"/disbursement/v1/cases/{c}/payments")).json()
            if not rows:
                return None
            found.append(rows[0])
        return found

    return await eventually(payments, timeout=120, what="the payment instructions")


async def released_batch(client: httpx.AsyncClient, county: str, township: str) -> dict[str, Any]:
    """Create, approve (second officer) and release the township's batch; the batch as released."""
    created = await client.post(
        "/disbursement/v1/bank-batches", json={"county_code": county, "township_code": township}
    )
    assert created.status_code == 201, created.text
    bid = created.json()["id"]
    assert (
        await client.post(f"/disbursement/v1/bank-batches/{bid}/approval", headers=SECOND)
    ).status_code == 200
    released = (await client.post(f"/disbursement/v1/bank-batches/{bid}/release")).json()
    assert released["delivery"] == "delivered", released
    return released


def rebuild_return(data: bytes, edit: Any) -> bytes:
    """A return file with its detail records changed by ``edit`` (list of field lists → same), its
    trailer's count, total and checksum recomputed: a well-formed file saying something else."""
    import hashlib
    from decimal import Decimal

    lines = data.decode("gbk").split("\r\n")[:-1]
    details = edit([line.split("|") for line in lines[1:-1]])
    raw = ["|".join(d).encode("gbk") for d in details]
    head = lines[0].split("|")
    head[3] = str(len(raw))
    total = sum((Decimal(d[4]) for d in details), Decimal("0.00"))
    digest = hashlib.sha256(b"".join(r + b"\r\n" for r in raw)).hexdigest()
    return (
        b"\r\n".join(["|".join(head).encode(), *raw, f"T|{len(raw)}|{total:.2f}|{digest}".encode()]) + b"\r\n"
    )


async def import_return(client: httpx.AsyncClient, data: bytes, **kw: Any) -> httpx.Response:
    import base64

    body = {"content_base64": base64.b64encode(data).decode(), "filename": "return.txt"}
    return await client.post("/disbursement/v1/bank-returns", json=body, headers=kw)
